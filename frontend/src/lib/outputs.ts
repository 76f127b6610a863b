import { s3HttpUrl } from "./s3";
import type { S3UrlOptions } from "./s3";

export type OutputKind = "image" | "json" | "file" | "inline";

/** One entry of a job's `outputs`, with a URL the browser can load when there is one. */
export interface ResolvedOutput {
  name: string;
  kind: OutputKind;
  /** The s3:// URI (or URL) the job recorded. */
  uri?: string;
  /** A loadable URL: the presigned `<name>_url` if given, else derived from the URI. */
  href: string | null;
  presigned: boolean;
  /** Inline value (a list, number, object) when the output is not a URI. */
  value?: unknown;
}

const IMAGE_EXT = /\.(png|jpe?g|gif|webp|svg)$/i;
const JSON_EXT = /\.json$/i;

function pathOf(uri: string): string {
  return uri.split(/[?#]/)[0];
}

function kindOf(uri: string): OutputKind {
  const path = pathOf(uri);
  if (IMAGE_EXT.test(path)) return "image";
  if (JSON_EXT.test(path)) return "json";
  return "file";
}

/**
 * Turn `outputs` into a list. `{"overlay": "s3://b/k.png", "overlay_url": "https://…"}` becomes one
 * image output whose href is the presigned URL; a lone `x_url` becomes output `x`.
 */
export function resolveOutputs(outputs: Record<string, unknown> | undefined, options: S3UrlOptions = {}): ResolvedOutput[] {
  if (!outputs || typeof outputs !== "object") return [];
  const result: ResolvedOutput[] = [];
  for (const [name, value] of Object.entries(outputs)) {
    if (name.endsWith("_url") && name.slice(0, -4) in outputs) continue; // merged into its base
    const isUrlKey = name.endsWith("_url");
    const baseName = isUrlKey ? name.slice(0, -4) : name;
    if (typeof value === "string") {
      const presignedValue = isUrlKey ? value : outputs[`${name}_url`];
      const presigned = typeof presignedValue === "string" && /^https?:\/\//.test(presignedValue);
      const href = presigned ? (presignedValue as string) : s3HttpUrl(value, options);
      result.push({ name: baseName, kind: kindOf(value), uri: value, href, presigned });
    } else if (value !== null && value !== undefined) {
      result.push({ name: baseName, kind: "inline", href: null, presigned: false, value });
    }
  }
  return result;
}

function pick(outputs: ResolvedOutput[], kinds: OutputKind[], pattern: RegExp): ResolvedOutput | undefined {
  return outputs.find((o) => kinds.includes(o.kind) && pattern.test(o.name));
}

/** The annotated overlay image of an image job. */
export function findOverlay(outputs: ResolvedOutput[]): ResolvedOutput | undefined {
  return pick(outputs, ["image"], /overlay|annotated/i) ?? outputs.find((o) => o.kind === "image" && !/curve/i.test(o.name));
}

/** The detections (inline list, or the result JSON). */
export function findDetections(outputs: ResolvedOutput[]): ResolvedOutput | undefined {
  return pick(outputs, ["inline", "json"], /detection/i) ?? pick(outputs, ["inline", "json"], /result|prediction/i);
}

/** The learning-curve image of an active-learning job. */
export function findCurveImage(outputs: ResolvedOutput[]): ResolvedOutput | undefined {
  return pick(outputs, ["image"], /curve|plot/i);
}

/** The learning-curve data (JSON). */
export function findCurveData(outputs: ResolvedOutput[]): ResolvedOutput | undefined {
  return pick(outputs, ["inline", "json"], /curve/i);
}

/** The ranked ids to label next. */
export function findNextIds(outputs: ResolvedOutput[]): ResolvedOutput | undefined {
  return pick(outputs, ["inline", "json"], /next|to_label|label|query|ranked/i);
}
