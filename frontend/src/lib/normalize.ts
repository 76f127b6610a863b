/**
 * Normalizers for result payloads. The pipelines own their output formats; these accept the
 * plausible shapes (lists, wrapped lists, column-wise series) so the page does not break on a
 * renamed wrapper key.
 */

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNum(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

// ---------------------------------------------------------------- detections

export interface DetectionsTable {
  columns: string[];
  rows: Obj[];
}

const DETECTION_KEYS = ["detections", "tiles", "predictions", "boxes", "objects", "results"];
const PREFERRED_COLUMNS = ["label", "class", "digit", "prediction", "score", "confidence", "probability", "box", "bbox", "x", "y", "w", "h", "width", "height"];

/** Find the list of detections in a result payload; null if there is none. */
export function detectionsOf(data: unknown): DetectionsTable | null {
  let rows: unknown = data;
  if (isObj(data)) {
    const key = DETECTION_KEYS.find((k) => Array.isArray(data[k]));
    rows = key ? data[key] : undefined;
  }
  if (!Array.isArray(rows)) return null;
  const objects = rows.filter(isObj);
  if (objects.length === 0) return { columns: [], rows: [] };
  const seen = new Set<string>();
  for (const row of objects.slice(0, 50)) Object.keys(row).forEach((k) => seen.add(k));
  const columns = [
    ...PREFERRED_COLUMNS.filter((c) => seen.has(c)),
    ...[...seen].filter((c) => !PREFERRED_COLUMNS.includes(c)),
  ];
  return { columns, rows: objects };
}

/** Scalar fields of a result payload (summary lines such as counts), links left out. */
export function scalarsOf(data: unknown): [string, string | number | boolean][] {
  if (!isObj(data)) return [];
  return Object.entries(data).filter(
    (entry): entry is [string, string | number | boolean] =>
      ["string", "number", "boolean"].includes(typeof entry[1]) &&
      !(typeof entry[1] === "string" && /^(s3|https?):\/\//.test(entry[1])),
  );
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string" && ISO_TIME.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date.toLocaleString();
  }
  if (isNum(value)) return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (Array.isArray(value)) return value.map((v) => formatCell(v)).join(", ");
  if (isObj(value)) return JSON.stringify(value);
  return String(value);
}

// ---------------------------------------------------------------- learning curve

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
}

const X_KEYS = ["n_labeled", "labeled", "n_labelled", "labelled", "size", "train_size", "x", "round", "rounds", "step"];
const WRAPPER_KEYS = ["curves", "strategies", "series", "learning_curve", "curve", "history", "rounds", "points"];

function numbers(value: unknown): number[] | null {
  return Array.isArray(value) && value.length > 0 && value.every(isNum) ? (value as number[]) : null;
}

function fromRows(rows: Obj[], name = "accuracy"): Series[] {
  const xKey = X_KEYS.find((k) => rows.every((r) => isNum(r[k])));
  const xOf = (r: Obj, i: number) => (xKey ? (r[xKey] as number) : i);
  const yKeys = Object.keys(rows[0]).filter((k) => !X_KEYS.includes(k) && rows.every((r) => isNum(r[k])));
  if (yKeys.length === 0) return [];
  // Long format: [{"strategy": "entropy", "n_labeled": 20, "accuracy": 0.8}, ...]
  if (rows.every((r) => typeof r.strategy === "string")) {
    const metric = yKeys.find((k) => k === "y" || /acc|f1|score|metric|value/i.test(k)) ?? yKeys[0];
    const groups = new Map<string, Point[]>();
    rows.forEach((r, i) => {
      const list = groups.get(r.strategy as string) ?? [];
      list.push({ x: xOf(r, i), y: r[metric] as number });
      groups.set(r.strategy as string, list);
    });
    return [...groups].map(([strategy, points]) => ({ name: strategy, points }));
  }
  // Wide format: [{"n_labeled": 20, "entropy": 0.8, "random": 0.7}, ...] or [{"x":..,"y":..}]
  return yKeys.map((k) => ({ name: k === "y" ? name : k, points: rows.map((r, i) => ({ x: xOf(r, i), y: r[k] as number })) }));
}

/**
 * Learning-curve series from: a list of numbers; a list of points/rows; `{strategy: [..]}`;
 * column-wise `{"n_labeled": [..], "entropy": [..], "random": [..]}`; or any of those under a
 * wrapper key such as "curves". Returns [] when nothing plottable is found.
 */
export function curveSeries(data: unknown, name = "accuracy"): Series[] {
  const nums = numbers(data);
  if (nums) return [{ name, points: nums.map((y, i) => ({ x: i, y })) }];
  if (Array.isArray(data)) {
    const rows = data.filter(isObj);
    return rows.length === data.length && rows.length > 0 ? fromRows(rows, name) : [];
  }
  if (!isObj(data)) return [];

  const wrapper = WRAPPER_KEYS.find((k) => k in data && (isObj(data[k]) || Array.isArray(data[k])));
  if (wrapper) {
    const inner = curveSeries(data[wrapper], name);
    if (inner.length) return inner;
  }
  // Column-wise arrays, with an optional shared x column.
  const xKey = X_KEYS.find((k) => numbers(data[k]));
  const xs = xKey ? (numbers(data[xKey]) as number[]) : null;
  const series: Series[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (key === xKey) continue;
    const ys = numbers(value);
    if (ys) {
      series.push({ name: key, points: ys.map((y, i) => ({ x: xs && xs.length === ys.length ? xs[i] : i, y })) });
    } else if (Array.isArray(value) || isObj(value)) {
      // {"entropy": [{"n_labeled":..,"accuracy":..}]} or {"entropy": {"x": [..], "y": [..]}}
      const inner = curveSeries(value, key);
      if (inner.length === 1) series.push({ name: key, points: inner[0].points });
    }
  }
  return series;
}

// ---------------------------------------------------------------- ids to label next

export interface RankedId {
  id: string;
  score?: number;
}

const ID_LIST_KEYS = ["next_ids", "ids", "to_label", "ranked", "ranked_ids", "query", "queries", "items"];

/** The ranked ids to label next, from a list or a wrapper object. */
export function nextIdsOf(data: unknown): RankedId[] {
  let list: unknown = data;
  if (isObj(data)) {
    const key = ID_LIST_KEYS.find((k) => Array.isArray(data[k]));
    list = key ? data[key] : undefined;
  }
  if (!Array.isArray(list)) return [];
  const out: RankedId[] = [];
  for (const item of list) {
    if (typeof item === "string" || isNum(item)) {
      out.push({ id: String(item) });
    } else if (isObj(item)) {
      const id = item.id ?? item.sample_id ?? item.index ?? item.key;
      if (id === undefined) continue;
      const score = [item.score, item.entropy, item.margin, item.uncertainty].find(isNum);
      out.push({ id: String(id), score });
    }
  }
  return out;
}
