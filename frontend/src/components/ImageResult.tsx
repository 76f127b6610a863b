import type { ResolvedOutput } from "../lib/outputs";
import { findDetections, findOverlay } from "../lib/outputs";
import { detectionsOf, formatCell, scalarsOf } from "../lib/normalize";
import { DetectionsTable } from "./DetectionsTable";
import { OutputImage } from "./OutputImage";
import { useJsonOutput } from "./useJsonOutput";

/** Image job result: the annotated overlay and its detections table. */
export function ImageResult({ outputs }: { outputs: ResolvedOutput[] }) {
  const overlay = findOverlay(outputs);
  const detectionsOutput = findDetections(outputs);
  const { data, loading, error } = useJsonOutput(detectionsOutput);
  const table = detectionsOf(data);
  const summary = scalarsOf(data);

  return (
    <div className="result-grid">
      <section aria-labelledby="overlay-title">
        <h3 id="overlay-title">Annotated image</h3>
        {overlay ? <OutputImage output={overlay} alt="Annotated overlay" /> : <p className="muted">No overlay image in the outputs.</p>}
      </section>
      <section aria-labelledby="detections-title">
        <h3 id="detections-title">Detections</h3>
        {loading ? <p className="muted">Loading detections…</p> : null}
        {error ? (
          <p role="alert" className="alert alert-warn">
            {error}
            {detectionsOutput?.href ? (
              <>
                {" "}
                <a href={detectionsOutput.href} target="_blank" rel="noreferrer">
                  Open the JSON
                </a>
              </>
            ) : null}
          </p>
        ) : null}
        {summary.length ? (
          <dl className="kv">
            {summary.map(([k, v]) => (
              <div key={k}>
                <dt>{k.replace(/_/g, " ")}</dt>
                <dd>{formatCell(v)}</dd>
              </div>
            ))}
          </dl>
        ) : null}
        {table ? <DetectionsTable table={table} /> : !loading && !error ? <p className="muted">No detections in the outputs.</p> : null}
      </section>
    </div>
  );
}
