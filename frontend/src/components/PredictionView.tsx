import { formatCell } from "../lib/normalize";

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Class probabilities, highest first, from `probabilities` / `probability` maps. */
export function probabilitiesOf(prediction: Obj): [string, number][] {
  const map = [prediction.probabilities, prediction.probability, prediction.proba].find(isObj);
  if (!map) return [];
  return Object.entries(map)
    .filter((e): e is [string, number] => typeof e[1] === "number")
    .sort((a, b) => b[1] - a[1]);
}

/** The headline: the class label if there is one, else the raw predicted value. */
export function headlineOf(prediction: Obj): { key: string; text: string } | null {
  for (const key of ["label", "prediction", "predicted", "class", "value", "score"]) {
    const value = prediction[key];
    if (value !== undefined && value !== null && !isObj(value) && !Array.isArray(value)) {
      return { key, text: formatCell(value) };
    }
  }
  return null;
}

/** The structured-data prediction: label first, class probabilities, then the other fields. */
export function PredictionView({ prediction }: { prediction: Obj }) {
  const headline = headlineOf(prediction);
  const probabilities = probabilitiesOf(prediction);
  const rest = Object.entries(prediction).filter(
    ([k, v]) => k !== headline?.key && (v === null || typeof v !== "object"),
  );

  return (
    <section className="result" aria-label="Prediction result">
      {headline ? (
        <p className="headline">
          <span className="muted">prediction</span> <output aria-label="Predicted value">{headline.text}</output>
        </p>
      ) : null}
      {probabilities.length ? (
        <ul className="probabilities" aria-label="Class probabilities">
          {probabilities.map(([name, p]) => (
            <li key={name}>
              <span className="prob-name">{name}</span>
              <meter min={0} max={1} value={p} aria-label={`${name} probability`} />
              <span className="prob-value">{(p * 100).toFixed(1)} %</span>
            </li>
          ))}
        </ul>
      ) : null}
      {rest.length ? (
        <dl className="kv">
          {rest.map(([k, v]) => (
            <div key={k}>
              <dt>{k.replace(/_/g, " ")}</dt>
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
