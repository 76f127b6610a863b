import { act, renderHook } from "@testing-library/react";
import { useReducer } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../api/types";
import { ApiError } from "../api/errors";
import { initialJobsState, jobsReducer } from "./reducer";
import { useJobPolling } from "./usePolling";

function setup(getJob: (id: string) => Promise<Job>) {
  const client = { getJob: vi.fn(getJob) };
  const hook = renderHook(() => {
    const [state, dispatch] = useReducer(jobsReducer, initialJobsState);
    useJobPolling(state, dispatch, client, 2000);
    return { state, dispatch };
  });
  return { client, hook };
}

async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe("useJobPolling", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("polls every 2 s until the job is terminal, then stops", async () => {
    const statuses = ["PENDING", "RUNNING", "RUNNING", "SUCCEEDED"];
    const { client, hook } = setup(async (id) => ({ job_id: id, status: statuses.shift() ?? "SUCCEEDED" }));
    act(() => hook.result.current.dispatch({ type: "submitted", jobId: "j1", pipeline: "non_structured_data_images", label: "x", at: "t" }));

    await advance(300); // first poll soon after submission
    expect(client.getJob).toHaveBeenCalledTimes(1);
    expect(hook.result.current.state.byId.j1.status).toBe("PENDING");

    await advance(2000);
    expect(client.getJob).toHaveBeenCalledTimes(2);
    expect(hook.result.current.state.byId.j1.status).toBe("RUNNING");

    await advance(4000);
    expect(client.getJob).toHaveBeenCalledTimes(4);
    expect(hook.result.current.state.byId.j1.status).toBe("SUCCEEDED");

    await advance(10_000);
    expect(client.getJob).toHaveBeenCalledTimes(4);
  });

  it("records poll failures and recovers", async () => {
    let fail = true;
    const { hook } = setup(async (id) => {
      if (fail) throw new ApiError(502, "Bad gateway");
      return { job_id: id, status: "RUNNING" };
    });
    act(() => hook.result.current.dispatch({ type: "submitted", jobId: "j1", pipeline: "non_structured_al_data_images", label: "x", at: "t" }));
    await advance(300);
    expect(hook.result.current.state.byId.j1.pollError).toBe("Bad gateway");
    fail = false;
    await advance(2000);
    expect(hook.result.current.state.byId.j1).toMatchObject({ status: "RUNNING", pollError: undefined });
  });
});
