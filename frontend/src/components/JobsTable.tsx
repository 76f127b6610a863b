import type { Dispatch } from "react";
import type { JobsAction, JobsState } from "../jobs/reducer";
import { PIPELINE_LABELS, formatTime, shortId } from "../jobs/labels";
import { StatusBadge } from "./StatusBadge";

interface Props {
  state: JobsState;
  dispatch: Dispatch<JobsAction>;
}

function progressText(progress: { round?: number; of?: number } | undefined): string {
  return progress && typeof progress.round === "number" ? `round ${progress.round} of ${progress.of ?? "?"}` : "";
}

/** Jobs started from this browser; statuses update live while they run. */
export function JobsTable({ state, dispatch }: Props) {
  const running = state.order.filter((id) => !state.byId[id].done).length;
  return (
    <section className="card" aria-labelledby="jobs-title">
      <div className="card-head">
        <h2 id="jobs-title">Jobs</h2>
        <span className="muted" aria-live="polite">
          {running ? `${running} in progress · checking every few seconds` : state.order.length ? "all done" : ""}
        </span>
      </div>
      {state.order.length === 0 ? (
        <p className="muted">No job yet. Start one on the left.</p>
      ) : (
        <div className="scroll-x">
        <table aria-label="Jobs" className="jobs">
          <thead>
            <tr>
              <th scope="col">Pipeline</th>
              <th scope="col">Input</th>
              <th scope="col">Status</th>
              <th scope="col">Submitted</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {state.order.map((id) => {
              const entry = state.byId[id];
              const selected = state.selected === id;
              return (
                <tr key={id} className={selected ? "selected" : undefined}>
                  <td>
                    {PIPELINE_LABELS[entry.pipeline]}
                    <div className="mono muted">{shortId(id)}</div>
                  </td>
                  <td className="truncate" title={entry.label}>
                    {entry.label}
                  </td>
                  <td>
                    <StatusBadge status={entry.status} />
                    <div className="muted small">{progressText(entry.job?.progress)}</div>
                    {entry.pollError ? <div className="warn small">{entry.pollError}</div> : null}
                  </td>
                  <td>{formatTime(entry.job?.created_at ?? entry.submittedAt)}</td>
                  <td>
                    <button
                      type="button"
                      className="small-btn"
                      aria-label={`Show job ${shortId(id)}`}
                      aria-pressed={selected}
                      onClick={() => dispatch({ type: "select", jobId: id })}
                    >
                      Show
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
