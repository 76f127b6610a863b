import { useEffect, useRef } from "react";
import type { Dispatch } from "react";
import type { ApiClient } from "../api/client";
import { ApiError } from "../api/errors";
import { activeJobIds } from "./reducer";
import type { JobsAction, JobsState } from "./reducer";

/**
 * Poll GET /jobs/{id} for every job that is not terminal, every `intervalMs`, until it is.
 * One request per job per round; a round starts after the previous one has finished.
 */
export function useJobPolling(
  state: JobsState,
  dispatch: Dispatch<JobsAction>,
  client: Pick<ApiClient, "getJob">,
  intervalMs: number,
): void {
  const stateRef = useRef(state);
  stateRef.current = state;
  const activeKey = activeJobIds(state).join(",");

  useEffect(() => {
    if (!activeKey) return undefined;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const round = async () => {
      const ids = activeJobIds(stateRef.current);
      await Promise.all(
        ids.map(async (jobId) => {
          try {
            const job = await client.getJob(jobId);
            if (!cancelled) dispatch({ type: "polled", job: { ...job, job_id: job?.job_id ?? jobId } });
          } catch (err) {
            if (cancelled) return;
            const httpStatus = err instanceof ApiError ? err.status : 0;
            const message = err instanceof Error ? err.message : String(err);
            dispatch({ type: "pollFailed", jobId, message, httpStatus });
          }
        }),
      );
      if (!cancelled) timer = setTimeout(round, intervalMs);
    };
    timer = setTimeout(round, 300);
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [activeKey, client, dispatch, intervalMs]);
}
