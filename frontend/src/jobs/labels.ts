import type { PipelineName } from "../api/types";

export const PIPELINE_LABELS: Record<PipelineName, string> = {
  structured_data: "Structured data",
  non_structured_data_images: "Images",
  non_structured_al_data_images: "Active learning",
};

export function shortId(jobId: string): string {
  return jobId.length > 8 ? jobId.slice(0, 8) : jobId;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

/** "1 min 05 s" between two ISO times (or until now). */
export function formatDuration(startIso: string | undefined, endIso?: string, now = Date.now()): string {
  if (!startIso) return "—";
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return "—";
  const seconds = Math.max(0, Math.round((end - start) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${s} s`;
}
