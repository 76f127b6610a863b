import type { ResolvedOutput } from "../lib/outputs";
import { findCurveData, findCurveImage, findNextIds } from "../lib/outputs";
import { curveSeries, nextIdsOf } from "../lib/normalize";
import { CurveChart } from "./CurveChart";
import { OutputImage } from "./OutputImage";
import { useJsonOutput } from "./useJsonOutput";

/** Active-learning result: the learning curve (drawn from JSON, plus the PNG) and the ids to label next. */
export function ActiveLearningResult({ outputs }: { outputs: ResolvedOutput[] }) {
  const curveImage = findCurveImage(outputs);
  const curveData = useJsonOutput(findCurveData(outputs));
  const nextOutput = findNextIds(outputs);
  const next = useJsonOutput(nextOutput);
  const series = curveSeries(curveData.data);
  const ids = nextIdsOf(next.data);

  return (
    <div className="result-grid curve-first">
      <section aria-labelledby="curve-title">
        <h3 id="curve-title">Learning curve</h3>
        {series.length ? <CurveChart series={series} /> : null}
        {curveData.error ? <p className="alert alert-warn">{curveData.error}</p> : null}
        {curveImage ? (
          <details open={!series.length}>
            <summary>Plot from the pipeline</summary>
            <OutputImage output={curveImage} alt="Active-learning curve plot" />
          </details>
        ) : null}
        {!series.length && !curveImage && !curveData.loading ? <p className="muted">No learning curve in the outputs.</p> : null}
      </section>
      <section aria-labelledby="next-title">
        <h3 id="next-title">Ids to label next</h3>
        {next.loading ? <p className="muted">Loading…</p> : null}
        {next.error ? <p className="alert alert-warn">{next.error}</p> : null}
        {ids.length ? (
          <ol aria-label="Ids to label next" className="ids">
            {ids.map((item) => (
              <li key={item.id}>
                <span className="mono">{item.id}</span>
                {item.score !== undefined ? <span className="score">score {item.score.toFixed(3)}</span> : null}
              </li>
            ))}
          </ol>
        ) : !next.loading && !next.error ? (
          <p className="muted">No ids in the outputs.</p>
        ) : null}
      </section>
    </div>
  );
}
