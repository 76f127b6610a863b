import { useEffect } from "react";
import type { Dispatch } from "react";
import type { ApiClient } from "../api/client";
import type { Job, PipelineName } from "../api/types";
import { isTerminal } from "../api/types";
import type { JobEntry, JobsAction, JobsState } from "./reducer";

const PIPELINES: readonly string[] = ["structured_data", "non_structured_data_images", "non_structured_al_data_images"];

function labelOf(job: Job): string {
  const request = job.request ?? {};
  if (typeof request.link === "string") return `link ${request.link}`;
  if (Array.isArray(request.ids)) return `ids ${request.ids.join(", ")}`;
  return job.job_id;
}

/**
 * Merge the API's job list (GET /jobs, newest first) into the state: jobs this tab did not know
 * are added after the ones it knows, in the API's order; known jobs are left to polling.
 */
export function restoreJobs(state: JobsState, jobs: Job[]): JobsState {
  const byId = { ...state.byId };
  const added: string[] = [];
  for (const job of jobs) {
    if (!job?.job_id || byId[job.job_id]) continue;
    const status = String(job.status ?? "PENDING");
    const entry: JobEntry = {
      jobId: job.job_id,
      pipeline: (PIPELINES.includes(String(job.pipeline)) ? job.pipeline : "non_structured_data_images") as PipelineName,
      label: labelOf(job),
      submittedAt: job.created_at ?? "",
      status,
      job,
      consecutiveErrors: 0,
      done: isTerminal(status),
    };
    byId[job.job_id] = entry;
    added.push(job.job_id);
  }
  if (added.length === 0) return state;
  return { ...state, byId, order: [...state.order, ...added] };
}

/** Load the caller's recent jobs once (after sign-in), so the list survives a reload or a new tab. */
export function useJobHistory(client: Pick<ApiClient, "listJobs">, dispatch: Dispatch<JobsAction>, limit = 20): void {
  useEffect(() => {
    let cancelled = false;
    client
      .listJobs(limit)
      .then((page) => {
        if (!cancelled && Array.isArray(page?.jobs)) dispatch({ type: "restored", jobs: page.jobs });
      })
      .catch(() => undefined); // the list is a convenience: polling and new jobs work without it
    return () => {
      cancelled = true;
    };
  }, [client, dispatch, limit]);
}
