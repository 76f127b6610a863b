export type JobStatus = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED";

export const TERMINAL_STATUSES: readonly JobStatus[] = ["SUCCEEDED", "FAILED"];

export function isTerminal(status: string | undefined): boolean {
  return status === "SUCCEEDED" || status === "FAILED";
}

export type PipelineName =
  | "structured_data"
  | "non_structured_data_images"
  | "non_structured_al_data_images";

/** GET /jobs/{job_id} (DESIGN §5, contracts.md "Jobs"). Unknown fields are kept. */
export interface Job {
  job_id: string;
  pipeline?: string;
  status: JobStatus | string;
  created_at?: string;
  started_at?: string;
  finished_at?: string;
  request?: Record<string, unknown>;
  progress?: { round?: number; of?: number };
  /** name -> s3:// URI; `<name>_url` may hold a presigned https URL; may hold inline JSON too. */
  outputs?: Record<string, unknown>;
  error?: string;
  device?: string;
  [extra: string]: unknown;
}

export interface AuthResponse {
  token: string;
  expires_in?: number;
}

/** POST /uploads: a presigned POST (url + fields) or PUT (put_url), and the link to submit. */
export interface UploadTarget {
  url?: string;
  fields?: Record<string, string>;
  put_url?: string;
  link: string;
  headers?: Record<string, string>;
}

/** GET /jobs: a page of the caller's jobs, newest first; `next` is null on the last page. */
export interface JobPage {
  jobs: Job[];
  next: string | null;
}

/** The 202 answer of a job-starting route. */
export interface JobCreated {
  job_id: string;
  status?: string;
  [extra: string]: unknown;
}

/** GET /operations: one alarm of the environment (CloudWatch). */
export interface AlarmRow {
  name: string;
  state: "OK" | "ALARM" | "INSUFFICIENT_DATA" | string;
  reason: string;
  updated: string | null;
  metric?: string | null;
  notifies?: boolean | null;
}

/** GET /operations: one minute the model check (canary) ran. */
export interface CanaryMinute {
  minute: string;
  success: boolean;
  wrong_answers: number;
  latency_ms: number | null;
}

/** GET /operations: the last drift check of the structured model's inputs. */
export interface DriftCheck {
  checked_at: string | null;
  share: number;
  drifted: string[];
  current_rows: number | null;
  report_url: string | null;
}

/** GET /operations: what `atelier alerts` shows in a terminal. */
export interface OperationsView {
  environment: string;
  minutes: number;
  alarms: AlarmRow[];
  canary: CanaryMinute[];
  drift: DriftCheck | null;
}
