import { ApiError, messageFromBody } from "./errors";
import type { AuthResponse, Job, JobCreated, JobPage, OperationsView, UploadTarget } from "./types";
import { uuid4 } from "../lib/uuid";

export interface ApiClientOptions {
  baseUrl: string;
  /** Current bearer token, or null when logged out. */
  getToken?: () => string | null;
  /** Called on a 401 from an authenticated call (the session is over: back to login). */
  onUnauthorized?: (err: ApiError) => void;
  fetchImpl?: typeof fetch;
  /** Per-request timeout (API Gateway gives up at 29 s). */
  timeoutMs?: number;
  /** Source of Idempotency-Key values for job-starting calls. */
  newKey?: () => string;
  /** Retries of a 429 or 503 (throttled, or briefly unavailable); 0 turns them off. */
  maxRetries?: number;
  /** Told before each retry, so the user sees why the answer is slow. */
  onRetry?: (info: RetryInfo) => void;
  /** Waits `ms` (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter (tests replace it). */
  random?: () => number;
}

export interface RetryInfo {
  method: string;
  path: string;
  status: number;
  attempt: number; // the retry about to be made: 1, 2, ...
  of: number;
  delayMs: number;
}

export const RETRY_STATUSES = new Set([429, 503]);
const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 8_000;

/** Full-jitter exponential back-off, or the server's Retry-After (seconds) when it gives one. */
export function retryDelayMs(attempt: number, retryAfter: string | null, random: () => number): number {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, RETRY_CAP_MS);
  return Math.round(random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (attempt - 1)));
}

interface RequestOptions {
  method?: "GET" | "POST";
  body?: unknown;
  auth?: boolean;
  idempotent?: boolean;
}

/** Thin client over the Atelier API (DESIGN §5). Every failure becomes an ApiError. */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly getToken: () => string | null;
  private readonly onUnauthorized?: (err: ApiError) => void;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly newKey: () => string;
  private readonly maxRetries: number;
  private readonly onRetry?: (info: RetryInfo) => void;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.getToken = options.getToken ?? (() => null);
    this.onUnauthorized = options.onUnauthorized;
    this.fetchImpl = options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.newKey = options.newKey ?? uuid4;
    this.maxRetries = options.maxRetries ?? 3;
    this.onRetry = options.onRetry;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** POST /auth: exchange credentials for a bearer token. A 401 here is "bad credentials". */
  async login(username: string, password: string): Promise<AuthResponse> {
    const body = await this.request<AuthResponse>("/auth", {
      method: "POST",
      body: { username, password },
      auth: false,
    });
    if (!body || typeof body.token !== "string" || !body.token) {
      throw new ApiError(500, "The API answered /auth without a token");
    }
    return body;
  }

  /** POST /structured_data: the prediction, synchronously. */
  predictStructured(id: string): Promise<Record<string, unknown>> {
    return this.request("/structured_data", { method: "POST", body: { id } });
  }

  /** POST /non_structured_data_images: starts the image job (202). */
  startImageJob(link: string): Promise<JobCreated> {
    return this.startJob("/non_structured_data_images", { link });
  }

  /** POST /non_structured_al_data_images {"ids": [...]}: starts the active-learning job (202). */
  startActiveLearningJob(ids: string[]): Promise<JobCreated> {
    return this.startJob("/non_structured_al_data_images", { ids });
  }

  /** GET /jobs/{job_id}. */
  getJob(jobId: string): Promise<Job> {
    return this.request<Job>(`/jobs/${encodeURIComponent(jobId)}`, { method: "GET" });
  }

  /** GET /jobs: one page of the caller's jobs, newest first (`next` continues the list). */
  listJobs(limit = 20, next?: string): Promise<JobPage> {
    const query = new URLSearchParams({ limit: String(limit), ...(next ? { next } : {}) });
    return this.request<JobPage>(`/jobs?${query.toString()}`, { method: "GET" });
  }

  /** GET /operations: alarm states, the model check's last `minutes`, the last drift check. */
  getOperations(minutes = 30): Promise<OperationsView> {
    return this.request<OperationsView>(`/operations?minutes=${minutes}`, { method: "GET" });
  }

  /** POST /uploads: where to send a file (presigned POST or PUT) and the link to submit after. */
  async createUpload(filename: string, contentType: string): Promise<UploadTarget> {
    const target = await this.request<UploadTarget>("/uploads", {
      method: "POST",
      body: { filename, content_type: contentType },
    });
    if (!target || typeof target.link !== "string" || !(target.url || target.put_url)) {
      throw new ApiError(500, 'The API answered /uploads without "link" and "url" or "put_url"');
    }
    return target;
  }

  /** Send the file to the presigned target (straight to S3, not through the API). */
  async upload(target: UploadTarget, file: Blob): Promise<void> {
    let response: Response;
    try {
      if (target.put_url) {
        response = await this.fetchImpl(target.put_url, {
          method: "PUT",
          body: file,
          headers: { "Content-Type": file.type || "application/octet-stream", ...(target.headers ?? {}) },
        });
      } else {
        const form = new FormData();
        for (const [key, value] of Object.entries(target.fields ?? {})) form.append(key, value);
        form.append("file", file);
        response = await this.fetchImpl(target.url as string, { method: "POST", body: form });
      }
    } catch (err) {
      throw new ApiError(0, `Upload failed: could not reach the storage (${(err as Error).message})`);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      const code = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
      throw new ApiError(response.status, `Upload failed: ${code ?? `HTTP ${response.status}`}`);
    }
  }

  private async startJob(path: string, body: unknown): Promise<JobCreated> {
    const answer = await this.request<Record<string, unknown>>(path, { method: "POST", body, idempotent: true });
    const jobId = answer?.job_id ?? answer?.jobId ?? answer?.id;
    if (typeof jobId !== "string" || !jobId) {
      throw new ApiError(500, `The API answered ${path} without a job id`, answer);
    }
    return { ...answer, job_id: jobId };
  }

  /** One call, retried on 429/503 with back-off (a job start keeps its Idempotency-Key, so a
   * retry never starts a second job). */
  private async request<T>(path: string, options: RequestOptions): Promise<T> {
    const key = options.idempotent ? this.newKey() : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(path, options, key);
      } catch (err) {
        const retryable = err instanceof ApiError && RETRY_STATUSES.has(err.status) && attempt <= this.maxRetries;
        if (!retryable) throw err;
        const delayMs = retryDelayMs(attempt, (err as ApiError & { retryAfter?: string | null }).retryAfter ?? null, this.random);
        this.onRetry?.({ method: options.method ?? "GET", path, status: err.status, attempt, of: this.maxRetries, delayMs });
        await this.sleep(delayMs);
      }
    }
  }

  private async once<T>(path: string, options: RequestOptions, key: string | undefined): Promise<T> {
    const { method = "GET", body, auth = true } = options;
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth) {
      const token = this.getToken();
      if (token) headers.Authorization = `Bearer ${token}`;
    }
    if (key) headers["Idempotency-Key"] = key;

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (err) {
      const reason = controller.signal.aborted
        ? `no answer within ${Math.round(this.timeoutMs / 1000)} s`
        : "network error or the API refused this origin (CORS)";
      throw new ApiError(0, `Could not reach the API (${method} ${path}): ${reason}`, err);
    } finally {
      clearTimeout(timer);
    }

    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      const error = new ApiError(response.status, messageFromBody(response.status, response.statusText, parsed), parsed);
      (error as ApiError & { retryAfter?: string | null }).retryAfter = response.headers.get("Retry-After");
      if (auth && error.isAuthError) this.onUnauthorized?.(error);
      throw error;
    }
    if (typeof parsed === "string") {
      throw new ApiError(response.status, `The API answered ${method} ${path} with non-JSON content`, parsed);
    }
    return parsed as T;
  }
}
