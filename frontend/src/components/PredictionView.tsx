import { formatCell } from "../lib/normalize";

const MAIN_KEYS = ["prediction", "predicted", "label", "class", "value", "score"];

/** The structured-data prediction: the predicted value first, then the other fields. */
export function PredictionView({ prediction }: { prediction: Record<string, unknown> }) {
  const source =
    prediction && typeof prediction.prediction === "object" && prediction.prediction !== null && !Array.isArray(prediction.prediction)
      ? { ...prediction, ...(prediction.prediction as Record<string, unknown>) }
      : prediction;
  const mainKey = MAIN_KEYS.find((k) => k in source && typeof source[k] !== "object");
  const rest = Object.entries(source).filter(([k, v]) => k !== mainKey && (v === null || typeof v !== "object"));
  return (
    <section className="result" aria-label="Prediction result">
      {mainKey ? (
        <p className="headline">
          <span className="muted">{mainKey}</span> <output aria-label="Predicted value">{formatCell(source[mainKey])}</output>
        </p>
      ) : null}
      {rest.length ? (
        <dl className="kv">
          {rest.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{formatCell(v)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <details>
        <summary>Raw answer</summary>
        <pre>{JSON.stringify(prediction, null, 2)}</pre>
      </details>
    </section>
  );
}
