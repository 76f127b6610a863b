import type { ResolvedOutput } from "../lib/outputs";

/** Every output of a job, as links (for what the page does not draw itself). */
export function OutputLinks({ outputs }: { outputs: ResolvedOutput[] }) {
  if (outputs.length === 0) return null;
  return (
    <details className="outputs">
      <summary>All outputs ({outputs.length})</summary>
      <ul>
        {outputs.map((o) => (
          <li key={o.name}>
            <strong>{o.name}</strong>{" "}
            {o.href ? (
              <a href={o.href} target="_blank" rel="noreferrer" className="mono small">
                {o.uri}
              </a>
            ) : (
              <span className="mono small">{o.uri ?? JSON.stringify(o.value)}</span>
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}
