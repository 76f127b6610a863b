import { describe, expect, it } from "vitest";
import { MAX_CONSECUTIVE_ERRORS, MAX_NOT_FOUND, activeJobIds, initialJobsState, jobsReducer, loadJobs, saveJobs } from "./reducer";
import type { JobsAction, JobsState } from "./reducer";

const submit = (jobId: string): JobsAction => ({
  type: "submitted",
  jobId,
  pipeline: "non_structured_data_images",
  label: "s3://b/k.png",
  at: "2026-11-27T03:00:00Z",
});

function run(actions: JobsAction[], state: JobsState = initialJobsState): JobsState {
  return actions.reduce(jobsReducer, state);
}

describe("jobsReducer", () => {
  it("adds a submitted job first, PENDING, selected, needing polls", () => {
    const state = run([submit("a"), submit("b")]);
    expect(state.order).toEqual(["b", "a"]);
    expect(state.selected).toBe("b");
    expect(state.byId.a).toMatchObject({ status: "PENDING", done: false, consecutiveErrors: 0 });
    expect(activeJobIds(state)).toEqual(["b", "a"]);
  });

  it("does not duplicate a job submitted twice (idempotent replay)", () => {
    const state = run([submit("a"), submit("b"), submit("a")]);
    expect(state.order).toEqual(["b", "a"]);
    expect(state.selected).toBe("a");
  });

  it("follows PENDING -> RUNNING -> SUCCEEDED and stops polling at the end", () => {
    let state = run([submit("a"), { type: "polled", job: { job_id: "a", status: "RUNNING", progress: { round: 1, of: 5 } } }]);
    expect(state.byId.a).toMatchObject({ status: "RUNNING", done: false });
    state = jobsReducer(state, { type: "polled", job: { job_id: "a", status: "SUCCEEDED", outputs: { overlay: "s3://r/o.png" } } });
    expect(state.byId.a).toMatchObject({ status: "SUCCEEDED", done: true });
    expect(state.byId.a.job?.outputs).toEqual({ overlay: "s3://r/o.png" });
    expect(activeJobIds(state)).toEqual([]);
  });

  it("stops polling a FAILED job and keeps its error", () => {
    const state = run([submit("a"), { type: "polled", job: { job_id: "a", status: "FAILED", error: "not an image" } }]);
    expect(state.byId.a).toMatchObject({ status: "FAILED", done: true });
    expect(state.byId.a.job?.error).toBe("not an image");
  });

  it("never moves a job backwards on a stale read", () => {
    const state = run([
      submit("a"),
      { type: "polled", job: { job_id: "a", status: "RUNNING", progress: { round: 2, of: 5 } } },
      { type: "polled", job: { job_id: "a", status: "PENDING" } },
    ]);
    expect(state.byId.a.status).toBe("RUNNING");
    expect(state.byId.a.job?.progress).toEqual({ round: 2, of: 5 });
  });

  it("ignores polls of unknown jobs", () => {
    const state = run([submit("a")]);
    expect(jobsReducer(state, { type: "polled", job: { job_id: "zzz", status: "RUNNING" } })).toBe(state);
  });

  it("keeps polling through transient errors, clears them on success", () => {
    let state = run([submit("a"), { type: "pollFailed", jobId: "a", message: "HTTP 502", httpStatus: 502 }]);
    expect(state.byId.a).toMatchObject({ pollError: "HTTP 502", consecutiveErrors: 1, done: false });
    state = jobsReducer(state, { type: "polled", job: { job_id: "a", status: "RUNNING" } });
    expect(state.byId.a).toMatchObject({ pollError: undefined, consecutiveErrors: 0 });
  });

  it("gives up after too many failures in a row", () => {
    const failures = Array.from({ length: MAX_CONSECUTIVE_ERRORS }, (): JobsAction => ({ type: "pollFailed", jobId: "a", message: "timeout", httpStatus: 0 }));
    const state = run([submit("a"), ...failures]);
    expect(state.byId.a.done).toBe(true);
    expect(state.byId.a.pollError).toBe(`Stopped checking after ${MAX_CONSECUTIVE_ERRORS} failed attempts: timeout`);
  });

  it("reports a job the API keeps not knowing (404)", () => {
    const notFound = Array.from({ length: MAX_NOT_FOUND }, (): JobsAction => ({ type: "pollFailed", jobId: "a", message: "No job a", httpStatus: 404 }));
    const state = run([submit("a"), ...notFound]);
    expect(state.byId.a.done).toBe(true);
    expect(state.byId.a.pollError).toBe("The API does not know this job: No job a");
  });

  it("selects and clears", () => {
    let state = run([submit("a"), submit("b"), { type: "select", jobId: "a" }]);
    expect(state.selected).toBe("a");
    state = jobsReducer(state, { type: "clear" });
    expect(state).toEqual(initialJobsState);
  });

  it("survives a reload through sessionStorage, and ignores junk there", () => {
    const state = run([submit("a"), { type: "polled", job: { job_id: "a", status: "RUNNING" } }]);
    saveJobs(state);
    expect(loadJobs()).toEqual(state);
    sessionStorage.setItem("atelier.jobs", "{not json");
    expect(loadJobs()).toEqual(initialJobsState);
    sessionStorage.setItem("atelier.jobs", JSON.stringify({ order: ["x"], byId: {} }));
    expect(loadJobs().order).toEqual([]);
  });
});
