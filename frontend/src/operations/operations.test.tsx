import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Workspace } from "../App";
import { ApiClient } from "../api/client";
import type { OperationsView } from "../api/types";
import type { AppConfig } from "../config";
import { saveSession } from "../lib/session";
import { fakeFetch } from "../test/fakeFetch";
import { canarySummary } from "./CanaryStrip";
import { DriftSummary } from "./DriftSummary";
import { OperationsPage } from "./OperationsPage";

const config: AppConfig = { apiUrl: "https://api.test", env: "qa", uploads: false, pollIntervalMs: 2000, s3Endpoint: "http://s3.test" };

const VIEW: OperationsView = {
  environment: "qa",
  minutes: 30,
  alarms: [
    { name: "atelier-qa-canary_failed", state: "ALARM", reason: "Threshold Crossed: 1 datapoint [1.0] >= 1.0", updated: "2026-12-01T12:00:00+00:00", notifies: true },
    { name: "atelier-qa-api_5xx", state: "OK", reason: "no errors", updated: "2026-12-01T11:00:00+00:00", notifies: false },
  ],
  canary: [
    { minute: "2026-12-01T12:00:00+00:00", success: true, wrong_answers: 0, latency_ms: 100 },
    { minute: "2026-12-01T12:01:00+00:00", success: false, wrong_answers: 2, latency_ms: 300 },
  ],
  drift: { checked_at: "2026-12-01T06:00:00+00:00", share: 0.6, drifted: ["radius_mean", "texture_mean"], current_rows: 120, report_url: "https://s3.test/artifacts/drift/x/index.html?X-Amz-Signature=abc" },
};

function client(fetchImpl: typeof fetch, sleep = vi.fn(async () => undefined)) {
  return new ApiClient({ baseUrl: "https://api.test", getToken: () => "tok", fetchImpl, sleep, random: () => 0 });
}

afterEach(() => {
  vi.unstubAllGlobals();
  window.location.hash = "";
  localStorage.clear();
  sessionStorage.clear();
});

describe("OperationsPage", () => {
  it("calls GET /operations with the token and shows alarms, the model check and drift", async () => {
    const fake = fakeFetch(() => ({ json: VIEW }));
    render(<OperationsPage client={client(fake.fetch)} refreshMs={0} />);
    const alarms = await screen.findByRole("region", { name: "Alarms" });
    expect(fake.calls[0].url).toBe("https://api.test/operations?minutes=30");
    expect(fake.calls[0].method).toBe("GET");
    expect(fake.calls[0].headers.Authorization).toBe("Bearer tok");
    const firing = within(alarms).getByText("atelier-qa-canary_failed").closest("tr") as HTMLElement;
    expect(within(firing).getByText("In alarm").getAttribute("data-state")).toBe("ALARM");
    expect(within(alarms).getByText("1 in alarm")).toBeTruthy();
    expect(within(alarms).getByText("(silenced)")).toBeTruthy();
    const canary = screen.getByRole("region", { name: "Model check" });
    expect(within(canary).getByLabelText("runs, oldest first").textContent).toBe("✓✗");
    expect(within(canary).getByTestId("canary-summary").textContent).toBe("2 runs, 1 failed, 2 wrong answers, mean latency 200 ms");
    const drift = screen.getByRole("region", { name: "Drift" });
    expect(within(drift).getByTestId("drift-share").textContent).toBe("60% of the inputs drifted (dataset drift), over 120 predictions");
    expect(within(drift).getByText("Drifted: radius_mean, texture_mean")).toBeTruthy();
    expect(within(drift).getByRole("link", { name: "Open the drift report" }).getAttribute("href")).toBe(VIEW.drift?.report_url);
  });

  it("says plainly when nothing has run yet", async () => {
    const fake = fakeFetch(() => ({ json: { ...VIEW, alarms: [], canary: [], drift: null } }));
    render(<OperationsPage client={client(fake.fetch)} refreshMs={0} />);
    expect(await screen.findByText("No alarm in this environment.")).toBeTruthy();
    expect(screen.getByText("No run of the model check in the last 30 minutes.")).toBeTruthy();
    expect(screen.getByText("No drift check has run yet.")).toBeTruthy();
  });

  it("retries a throttled answer through the client, then shows the view", async () => {
    let calls = 0;
    const fake = fakeFetch(() => {
      calls += 1;
      return calls === 1 ? { status: 429, json: { message: "Too Many Requests" } } : { json: VIEW };
    });
    const sleep = vi.fn(async () => undefined);
    render(<OperationsPage client={client(fake.fetch, sleep)} refreshMs={0} />);
    expect(await screen.findByRole("region", { name: "Alarms" })).toBeTruthy();
    expect(fake.calls).toHaveLength(2);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  it("shows the API's error and keeps the Refresh button working", async () => {
    let fail = true;
    const fake = fakeFetch(() => (fail ? { status: 500, json: { error: "internal_error", message: "the API failed; see its logs" } } : { json: VIEW }));
    render(<OperationsPage client={client(fake.fetch)} refreshMs={0} />);
    expect((await screen.findByRole("alert")).textContent).toContain("the API failed; see its logs");
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Refresh" }));
    expect(await screen.findByRole("region", { name: "Alarms" })).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });
});

describe("canarySummary and DriftSummary", () => {
  it("counts failures and wrong answers, ignores missing latencies", () => {
    expect(
      canarySummary([
        { minute: "a", success: true, wrong_answers: 0, latency_ms: null },
        { minute: "b", success: false, wrong_answers: 3, latency_ms: 50 },
      ]),
    ).toEqual({ failed: 1, wrong: 3, meanLatencyMs: 50 });
  });
  it("marks no dataset drift under half the inputs and shows no link without a report", () => {
    render(<DriftSummary drift={{ checked_at: null, share: 0.25, drifted: [], current_rows: null, report_url: null }} />);
    expect(screen.getByTestId("drift-share").textContent).toBe("25% of the inputs drifted");
    expect(screen.getByText("No input drifted.")).toBeTruthy();
    expect(screen.queryByRole("link")).toBeNull();
  });
});

describe("Workspace tabs", () => {
  it("opens the Operations view from its tab and keeps it in the address", async () => {
    saveSession({ token: "tok", username: "atelier-admin", expiresAt: Date.now() + 600_000 });
    const fake = fakeFetch((call) => {
      if (call.url.includes("/operations")) return { json: VIEW };
      if (call.url.includes("/jobs")) return { json: { jobs: [], next: null } };
      return { status: 404, json: { message: "no route" } };
    });
    vi.stubGlobal("fetch", fake.fetch);
    render(<Workspace config={config} />);
    await userEvent.click(screen.getByRole("tab", { name: "Operations" }));
    expect(await screen.findByRole("region", { name: "Alarms" })).toBeTruthy();
    expect(window.location.hash).toBe("#operations");
    expect(screen.getByRole("tab", { name: "Operations" }).getAttribute("aria-selected")).toBe("true");
    await userEvent.click(screen.getByRole("tab", { name: "Models and jobs" }));
    await waitFor(() => expect(screen.queryByRole("region", { name: "Alarms" })).toBeNull());
  });
});
