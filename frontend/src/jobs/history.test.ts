import { describe, expect, it } from "vitest";
import { initialJobsState, jobsReducer } from "./reducer";

const older = { job_id: "a", pipeline: "non_structured_data_images", status: "SUCCEEDED", request: { link: "s3://b/k.png" }, created_at: "2026-01-01T00:00:00Z" };
const newer = { job_id: "b", pipeline: "non_structured_al_data_images", status: "RUNNING", request: { ids: ["1914"] }, created_at: "2026-01-02T00:00:00Z" };

describe("restoring the job list from GET /jobs", () => {
  it("adds the API's jobs newest first, finished ones not polled again", () => {
    const state = jobsReducer(initialJobsState, { type: "restored", jobs: [newer, older] });
    expect(state.order).toEqual(["b", "a"]);
    expect(state.byId.a.done).toBe(true);
    expect(state.byId.b.done).toBe(false);
    expect(state.byId.b.label).toBe("ids 1914");
    expect(state.selected).toBeNull();
  });

  it("keeps what this tab already knows", () => {
    const known = jobsReducer(initialJobsState, { type: "submitted", jobId: "b", pipeline: "non_structured_al_data_images", label: "mine", at: "t" });
    const state = jobsReducer(known, { type: "restored", jobs: [newer, older] });
    expect(state.order).toEqual(["b", "a"]);
    expect(state.byId.b.label).toBe("mine");
  });
});
