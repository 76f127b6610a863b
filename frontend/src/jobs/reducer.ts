import type { Job, PipelineName } from "../api/types";
import { isTerminal } from "../api/types";
import { restoreJobs } from "./history";

/** A job started from this browser, and what polling has learnt about it. */
export interface JobEntry {
  jobId: string;
  pipeline: PipelineName;
  /** What was asked, for the list ("link …", "ids 1914, 1918"). */
  label: string;
  submittedAt: string;
  status: string;
  job?: Job;
  /** Last polling failure, shown beside the job; cleared by the next successful poll. */
  pollError?: string;
  consecutiveErrors: number;
  /** Polling has stopped: the job is terminal, or polling gave up. */
  done: boolean;
}

export interface JobsState {
  order: string[];
  byId: Record<string, JobEntry>;
  selected: string | null;
}

export type JobsAction =
  | { type: "submitted"; jobId: string; pipeline: PipelineName; label: string; at: string; status?: string }
  | { type: "polled"; job: Job }
  | { type: "pollFailed"; jobId: string; message: string; httpStatus: number }
  | { type: "select"; jobId: string | null }
  | { type: "restored"; jobs: Job[] }
  | { type: "clear" };

export const initialJobsState: JobsState = { order: [], byId: {}, selected: null };

/** Polling gives up after this many failures in a row (transient errors are retried). */
export const MAX_CONSECUTIVE_ERRORS = 10;
/** A job unknown to the API (404) this many times in a row is reported as missing. */
export const MAX_NOT_FOUND = 5;

const RANK: Record<string, number> = { PENDING: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2 };

function rank(status: string): number {
  return RANK[status] ?? 0;
}

export function jobsReducer(state: JobsState, action: JobsAction): JobsState {
  switch (action.type) {
    case "submitted": {
      if (state.byId[action.jobId]) return { ...state, selected: action.jobId }; // idempotent replay
      const status = action.status && RANK[action.status] !== undefined ? action.status : "PENDING";
      const entry: JobEntry = {
        jobId: action.jobId,
        pipeline: action.pipeline,
        label: action.label,
        submittedAt: action.at,
        status,
        consecutiveErrors: 0,
        done: isTerminal(status),
      };
      return {
        order: [action.jobId, ...state.order],
        byId: { ...state.byId, [action.jobId]: entry },
        selected: action.jobId,
      };
    }
    case "polled": {
      const entry = state.byId[action.job.job_id];
      if (!entry) return state;
      // A read that lags behind (eventually consistent) must not move a job backwards.
      const incoming = String(action.job.status ?? entry.status);
      const status = rank(incoming) >= rank(entry.status) ? incoming : entry.status;
      const job = status === incoming ? action.job : entry.job;
      return {
        ...state,
        byId: {
          ...state.byId,
          [entry.jobId]: {
            ...entry,
            status,
            job,
            pollError: undefined,
            consecutiveErrors: 0,
            done: isTerminal(status),
          },
        },
      };
    }
    case "pollFailed": {
      const entry = state.byId[action.jobId];
      if (!entry || entry.done) return state;
      const consecutiveErrors = entry.consecutiveErrors + 1;
      let done = false;
      let pollError = action.message;
      if (action.httpStatus === 404 && consecutiveErrors >= MAX_NOT_FOUND) {
        done = true;
        pollError = `The API does not know this job: ${action.message}`;
      } else if (consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) {
        done = true;
        pollError = `Stopped checking after ${consecutiveErrors} failed attempts: ${action.message}`;
      }
      return {
        ...state,
        byId: { ...state.byId, [entry.jobId]: { ...entry, consecutiveErrors, pollError, done } },
      };
    }
    case "restored":
      return restoreJobs(state, action.jobs);
    case "select":
      return { ...state, selected: action.jobId };
    case "clear":
      return initialJobsState;
    default:
      return state;
  }
}

/** Jobs that still need polling. */
export function activeJobIds(state: JobsState): string[] {
  return state.order.filter((id) => !state.byId[id].done);
}

const STORAGE_KEY = "atelier.jobs";

/** The jobs list from sessionStorage, so a reload does not lose track of a 5-hour job. */
export function loadJobs(): JobsState {
  try {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY);
    if (!raw) return initialJobsState;
    const state = JSON.parse(raw) as JobsState;
    if (!Array.isArray(state.order) || typeof state.byId !== "object" || state.byId === null) return initialJobsState;
    const order = state.order.filter((id) => typeof id === "string" && state.byId[id]?.jobId === id);
    return { order, byId: Object.fromEntries(order.map((id) => [id, state.byId[id]])), selected: state.selected ?? null };
  } catch {
    return initialJobsState;
  }
}

export function saveJobs(state: JobsState): void {
  try {
    globalThis.sessionStorage?.setItem(STORAGE_KEY, JSON.stringify(state));
  } catch {
    /* storage full or disabled: the list lives in memory only */
  }
}
