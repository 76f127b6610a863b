import type { Series } from "../lib/normalize";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];
const W = 480;
const H = 280;
const M = { top: 14, right: 14, bottom: 42, left: 52 };

/** Round tick values (steps of 1, 2, 2.5 or 5 × 10^k) covering [min, max], at most `max` ticks. */
export function niceTicks(min: number, max: number, most = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / (most - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => (max - min) / s <= most - 1) ?? 10 * power;
  const first = Math.ceil(min / step - 1e-9) * step;
  const out: number[] = [];
  for (let t = first; t <= max + step * 1e-6; t += step) out.push(Number(t.toFixed(10)));
  return out;
}

/** X ticks: the data's own x values when there are few of them, else round values. */
function xTicks(xs: number[], min: number, max: number): number[] {
  const unique = [...new Set(xs)].sort((a, b) => a - b);
  return unique.length <= 8 ? unique : niceTicks(min, max);
}

function label(value: number): string {
  if (Math.abs(value) >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return String(Number(value.toFixed(3)));
}

/** A small inline SVG line chart of learning curves (no chart library). */
export function CurveChart({ series, yLabel = "accuracy", xLabel = "labelled samples" }: { series: Series[]; yLabel?: string; xLabel?: string }) {
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) return null;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const inUnit = ys.every((y) => y >= 0 && y <= 1);
  const yMin = inUnit ? Math.max(0, Math.floor(Math.min(...ys) * 10) / 10) : Math.min(...ys);
  const yMax = inUnit ? 1 : Math.max(...ys);
  const sx = (x: number) => M.left + (xMax === xMin ? 0.5 : (x - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const sy = (y: number) => H - M.bottom - (yMax === yMin ? 0.5 : (y - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const names = series.map((s) => s.name).join(", ");

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Learning curve: ${names}`}>
        <title>{`Learning curve: ${names}`}</title>
        {niceTicks(yMin, yMax).map((t) => (
          <g key={`y${t}`}>
            <line x1={M.left} x2={W - M.right} y1={sy(t)} y2={sy(t)} className="grid" />
            <text x={M.left - 6} y={sy(t) + 4} textAnchor="end" className="tick">
              {label(t)}
            </text>
          </g>
        ))}
        {xTicks(xs, xMin, xMax).map((t) => (
          <text key={`x${t}`} x={sx(t)} y={H - M.bottom + 18} textAnchor="middle" className="tick">
            {label(t)}
          </text>
        ))}
        <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} className="axis" />
        <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} className="axis" />
        <text x={(W + M.left) / 2} y={H - 4} textAnchor="middle" className="axis-label">
          {xLabel}
        </text>
        <text transform={`translate(14 ${(H - M.bottom) / 2}) rotate(-90)`} textAnchor="middle" className="axis-label">
          {yLabel}
        </text>
        {series.map((s, i) => (
          <g key={s.name} stroke={COLORS[i % COLORS.length]} fill={COLORS[i % COLORS.length]}>
            <polyline fill="none" strokeWidth={2} points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" ")} />
            {s.points.map((p) => (
              <circle key={`${p.x}-${p.y}`} cx={sx(p.x)} cy={sy(p.y)} r={3} />
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="legend">
        {series.map((s, i) => (
          <span key={s.name}>
            <i style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
