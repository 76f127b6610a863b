import type { DriftCheck } from "../api/types";

/** Evidently's dataset drift: half or more of the inputs drifted (the drift_share alarm). */
export const DRIFT_THRESHOLD = 0.5;

export function DriftSummary({ drift }: { drift: DriftCheck | null }) {
  return (
    <section className="card" aria-label="Drift">
      <div className="card-head">
        <h2>Input drift</h2>
        {drift?.checked_at ? <span className="muted">checked {new Date(drift.checked_at).toLocaleString()}</span> : null}
      </div>
      {drift === null ? (
        <p className="muted">No drift check has run yet.</p>
      ) : (
        <>
          <p data-testid="drift-share" className={drift.share >= DRIFT_THRESHOLD ? "drift-high" : undefined}>
            {Math.round(drift.share * 100)}% of the inputs drifted
            {drift.share >= DRIFT_THRESHOLD ? " (dataset drift)" : ""}
            {drift.current_rows === null ? "" : `, over ${drift.current_rows} predictions`}
          </p>
          <p>{drift.drifted.length ? `Drifted: ${drift.drifted.join(", ")}` : "No input drifted."}</p>
          {drift.report_url ? (
            <a href={drift.report_url} target="_blank" rel="noreferrer">
              Open the drift report
            </a>
          ) : null}
        </>
      )}
    </section>
  );
}
