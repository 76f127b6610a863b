import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App, Workspace } from "../App";
import { ApiError } from "../api/errors";
import type { AppConfig } from "../config";
import { ConfigError } from "../config";
import type { JobEntry } from "../jobs/reducer";
import { fakeFetch } from "../test/fakeFetch";
import { ActiveLearningForm } from "./ActiveLearningForm";
import { CurveChart } from "./CurveChart";
import { ErrorMessage } from "./ErrorMessage";
import { ImageForm } from "./ImageForm";
import { JobDetails } from "./JobDetails";

const config: AppConfig = { apiUrl: "https://api.test", env: "qa", uploads: false, pollIntervalMs: 2000, s3Endpoint: "http://s3.test" };

afterEach(() => vi.unstubAllGlobals());

describe("ErrorMessage", () => {
  it("shows the API's message plainly in an alert", () => {
    render(<ErrorMessage title="Prediction failed" error={new ApiError(404, "no record with id '9'")} />);
    expect(screen.getByRole("alert").textContent).toBe("Prediction failed: no record with id '9' (HTTP 404)");
  });
  it("renders nothing without an error", () => {
    const { container } = render(<ErrorMessage error={null} />);
    expect(container.innerHTML).toBe("");
  });
});

describe("App", () => {
  it("says plainly when config.json is unusable", async () => {
    render(<App configLoader={() => Promise.reject(new ConfigError('config.json has no "apiUrl"'))} />);
    expect((await screen.findByRole("alert")).textContent).toContain('config.json has no "apiUrl"');
  });
});

describe("Workspace", () => {
  it("logs in, predicts, and goes back to login when the API answers 401", async () => {
    let predictions = 0;
    const fake = fakeFetch((call) => {
      if (call.url.endsWith("/auth")) return { json: { token: "tok", expires_in: 900 } };
      if (call.url.endsWith("/structured_data")) {
        predictions += 1;
        if (predictions === 1) return { json: { id: "1789", prediction: 1, label: "benign", probabilities: { benign: 0.9, malignant: 0.1 } } };
        return { status: 401, json: { message: "Unauthorized" } };
      }
      return { status: 404, json: { message: "no route" } };
    });
    vi.stubGlobal("fetch", fake.fetch);
    const user = userEvent.setup();
    render(<Workspace config={config} />);

    await user.type(screen.getByLabelText("Username"), "ada");
    await user.type(screen.getByLabelText("Password"), "pw");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByText("Signed in as")).toBeTruthy();
    expect(sessionStorage.getItem("atelier.session")).toContain('"token":"tok"');

    const card = screen.getByRole("region", { name: "Structured data" });
    await user.type(within(card).getByLabelText("Record id"), "1789");
    await user.click(within(card).getByRole("button", { name: "Predict" }));
    const result = await within(card).findByRole("region", { name: "Prediction result" });
    expect(within(result).getByLabelText("Predicted value").textContent).toBe("benign");
    expect(within(result).getByRole("list", { name: "Class probabilities" }).textContent).toContain("90.0 %");
    expect(fake.calls[1].headers.Authorization).toBe("Bearer tok");

    await user.click(within(card).getByRole("button", { name: "Predict" }));
    expect(await screen.findByRole("button", { name: "Log in" })).toBeTruthy();
    expect(screen.getByRole("status").textContent).toContain("Your session has ended (Unauthorized)");
    expect(sessionStorage.getItem("atelier.session")).toBeNull();
  });

  it("shows the API's message when the login is refused", async () => {
    vi.stubGlobal("fetch", fakeFetch(() => ({ status: 401, json: { message: "Invalid username or password" } })).fetch);
    const user = userEvent.setup();
    render(<Workspace config={config} />);
    await user.type(screen.getByLabelText("Username"), "ada");
    await user.type(screen.getByLabelText("Password"), "bad");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Login failed: Invalid username or password (HTTP 401)");
  });
});

describe("ActiveLearningForm", () => {
  it("shows id problems without calling the API, then starts with the parsed ids", async () => {
    const client = { startActiveLearningJob: vi.fn(async () => ({ job_id: "j-9", status: "PENDING" })) };
    const onStarted = vi.fn();
    const user = userEvent.setup();
    render(<ActiveLearningForm client={client} onStarted={onStarted} />);
    const field = screen.getByLabelText("Dataset ids");
    await user.type(field, "1914, 19'18");
    await user.click(screen.getByRole("button", { name: "Start active learning" }));
    expect(screen.getByText(/"19'18" is not a valid id/)).toBeTruthy();
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(client.startActiveLearningJob).not.toHaveBeenCalled();

    await user.clear(field);
    await user.type(field, "1914, 1918,1939");
    await user.click(screen.getByRole("button", { name: "Start active learning" }));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith("j-9", "1914, 1918, 1939", "PENDING"));
    expect(client.startActiveLearningJob).toHaveBeenCalledWith(["1914", "1918", "1939"]);
  });
});

describe("ImageForm", () => {
  const client = { startImageJob: vi.fn(), createUpload: vi.fn(), upload: vi.fn() };
  it("hides the upload control unless config.json says uploads: true", () => {
    const { rerender } = render(<ImageForm client={client} uploads={false} onStarted={vi.fn()} />);
    expect(screen.queryByLabelText(/Image file/)).toBeNull();
    rerender(<ImageForm client={client} uploads inputsBucket="atelier-qa-inputs" onStarted={vi.fn()} />);
    expect(screen.getByLabelText("Image file (to atelier-qa-inputs)")).toBeTruthy();
  });
  it("shows the API's message when the job cannot start", async () => {
    client.startImageJob.mockRejectedValueOnce(new ApiError(400, "The link resolves to a private address"));
    const user = userEvent.setup();
    render(<ImageForm client={client} uploads={false} onStarted={vi.fn()} />);
    await user.type(screen.getByLabelText("Image link"), "http://10.0.0.1/a.png");
    await user.click(screen.getByRole("button", { name: "Start image job" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Could not start the image job: The link resolves to a private address (HTTP 400)");
  });
});

function entry(partial: Partial<JobEntry>): JobEntry {
  return { jobId: "abcdef123456", pipeline: "non_structured_data_images", label: "s3://in/a.png", submittedAt: "2026-11-27T03:00:00Z", status: "PENDING", consecutiveErrors: 0, done: false, ...partial };
}

describe("JobDetails", () => {
  it("shows the overlay (presigned URL) and the detections from result.json", async () => {
    const fake = fakeFetch((call) =>
      call.url === "http://s3.test/results/jobs/1/result.json"
        ? { json: { tiles_scanned: 4, detections: [{ box: [0, 0, 32, 32], digit: 3, confidence: 0.97 }] } }
        : { status: 404 },
    );
    vi.stubGlobal("fetch", fake.fetch);
    const job = {
      job_id: "abcdef123456",
      status: "SUCCEEDED",
      outputs: { overlay: "s3://results/jobs/1/overlay.png", overlay_url: "https://signed.test/overlay.png?sig", result: "s3://results/jobs/1/result.json" },
    };
    render(<JobDetails entry={entry({ status: "SUCCEEDED", done: true, job })} config={config} />);
    expect(screen.getByRole("img", { name: "Annotated overlay" }).getAttribute("src")).toBe("https://signed.test/overlay.png?sig");
    const table = await screen.findByRole("table", { name: "Detections" });
    const cells = within(table).getAllByRole("cell").map((c) => c.textContent);
    expect(cells).toEqual(["1", "3", "0.970", "0, 0, 32, 32"]);
  });

  it("shows a failed job's reason", () => {
    render(<JobDetails entry={entry({ status: "FAILED", done: true, job: { job_id: "abcdef123456", status: "FAILED", error: "not an image" } })} config={config} />);
    expect(screen.getByRole("alert").textContent).toBe("Job failed: not an image");
  });

  it("shows active-learning progress as round k of n", () => {
    render(
      <JobDetails
        entry={entry({ pipeline: "non_structured_al_data_images", status: "RUNNING", job: { job_id: "abcdef123456", status: "RUNNING", progress: { round: 2, of: 5 } } })}
        config={config}
      />,
    );
    const bar = screen.getByLabelText("Round 2 of 5");
    expect(bar.getAttribute("value")).toBe("2");
    expect(bar.getAttribute("max")).toBe("5");
  });
});

describe("CurveChart", () => {
  it("draws one line per strategy with an accessible name", () => {
    const { container } = render(
      <CurveChart series={[{ name: "entropy", points: [{ x: 20, y: 0.5 }, { x: 40, y: 0.8 }] }, { name: "random", points: [{ x: 20, y: 0.5 }, { x: 40, y: 0.6 }] }]} />,
    );
    expect(screen.getByRole("img", { name: "Learning curve: entropy, random" })).toBeTruthy();
    expect(container.querySelectorAll("polyline")).toHaveLength(2);
  });
});
