import { describe, expect, it, vi } from "vitest";
import { ApiClient } from "./client";
import { ApiError } from "./errors";
import { fakeFetch } from "../test/fakeFetch";

function client(handler: Parameters<typeof fakeFetch>[0], extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) {
  const fake = fakeFetch(handler);
  const api = new ApiClient({ baseUrl: "https://api.example/stage/", getToken: () => "tok123", fetchImpl: fake.fetch, newKey: () => "key-1", ...extra });
  return { api, calls: fake.calls };
}

describe("ApiClient", () => {
  it("logs in with a JSON body and no bearer token", async () => {
    const { api, calls } = client(() => ({ json: { token: "abc", expires_in: 900 } }));
    await expect(api.login("ada", "pw")).resolves.toEqual({ token: "abc", expires_in: 900 });
    expect(calls[0]).toMatchObject({ url: "https://api.example/stage/auth", method: "POST", body: { username: "ada", password: "pw" } });
    expect(calls[0].headers.Authorization).toBeUndefined();
    expect(calls[0].headers["Content-Type"]).toBe("application/json");
  });

  it("rejects an /auth answer without a token", async () => {
    const { api } = client(() => ({ json: { expires_in: 900 } }));
    await expect(api.login("ada", "pw")).rejects.toThrow("without a token");
  });

  it("reports bad credentials with the API's message and does not call onUnauthorized", async () => {
    const onUnauthorized = vi.fn();
    const { api } = client(() => ({ status: 401, json: { message: "Invalid username or password" } }), { onUnauthorized });
    const err = await api.login("ada", "bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).message).toBe("Invalid username or password");
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("sends the bearer token on every authenticated call", async () => {
    const { api, calls } = client(() => ({ json: { id: "1789", label: "benign" } }));
    await api.predictStructured("1789");
    await api.getJob("j/1");
    expect(calls.map((c) => c.headers.Authorization)).toEqual(["Bearer tok123", "Bearer tok123"]);
    expect(calls[0].body).toEqual({ id: "1789" });
    expect(calls[1]).toMatchObject({ method: "GET", url: "https://api.example/stage/jobs/j%2F1" });
  });

  it("starts jobs with an Idempotency-Key and returns the job id", async () => {
    const { api, calls } = client(() => ({ status: 202, json: { job_id: "j-1", status: "PENDING" } }));
    await expect(api.startImageJob("s3://b/k.png")).resolves.toMatchObject({ job_id: "j-1" });
    await api.startActiveLearningJob(["1914", "1918"]);
    expect(calls[0]).toMatchObject({ url: "https://api.example/stage/non_structured_data_images", body: { link: "s3://b/k.png" } });
    expect(calls[1]).toMatchObject({ url: "https://api.example/stage/non_structured_al_data_images", body: { ids: ["1914", "1918"] } });
    expect(calls.every((c) => c.headers["Idempotency-Key"] === "key-1")).toBe(true);
  });

  it("fails clearly when a 202 has no job id", async () => {
    const { api } = client(() => ({ status: 202, json: { status: "PENDING" } }));
    await expect(api.startImageJob("s3://b/k.png")).rejects.toThrow("without a job id");
  });

  it("calls onUnauthorized on a 401 from an authenticated call", async () => {
    const onUnauthorized = vi.fn();
    const { api } = client(() => ({ status: 401, json: { message: "Unauthorized" } }), { onUnauthorized });
    await expect(api.getJob("j")).rejects.toThrow("Unauthorized");
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("treats API Gateway's authorizer deny (403) as a lost session, other 403s not", async () => {
    const onUnauthorized = vi.fn();
    let message = "User is not authorized to access this resource with an explicit deny";
    const { api } = client(() => ({ status: 403, json: { message } }), { onUnauthorized });
    await expect(api.getJob("j")).rejects.toThrow(message);
    message = "link host is not allowed";
    await expect(api.startImageJob("http://x/y.png")).rejects.toThrow(message);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("uses the text of a non-JSON error, or the HTTP status for HTML", async () => {
    let answer = { status: 502, text: "Bad Gateway from upstream" };
    const { api } = client(() => answer);
    await expect(api.getJob("j")).rejects.toThrow("Bad Gateway from upstream");
    answer = { status: 504, text: "<html>gateway timeout</html>" };
    await expect(api.getJob("j")).rejects.toThrow("HTTP 504");
  });

  it("turns a network or CORS failure into status 0 with a readable message", async () => {
    const api = new ApiClient({ baseUrl: "https://api.example", fetchImpl: (() => Promise.reject(new TypeError("Failed to fetch"))) as typeof fetch });
    const err = (await api.getJob("j").catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/Could not reach the API \(GET \/jobs\/j\).*CORS/);
  });

  it("creates an upload target and sends a presigned POST form", async () => {
    const { api, calls } = client((call) =>
      call.url.endsWith("/uploads")
        ? { json: { url: "https://bucket.s3/", fields: { key: "uploads/a.png", policy: "p" }, link: "s3://in/uploads/a.png" } }
        : { status: 204 },
    );
    const target = await api.createUpload("a.png", "image/png");
    expect(calls[0].body).toEqual({ filename: "a.png", content_type: "image/png" });
    await api.upload(target, new Blob(["x"], { type: "image/png" }));
    expect(calls[1].url).toBe("https://bucket.s3/");
    const form = calls[1].body as FormData;
    expect(form.get("key")).toBe("uploads/a.png");
    expect(form.get("file")).toBeInstanceOf(Blob);
  });

  it("sends a presigned PUT and reports S3's error message", async () => {
    const { api, calls } = client(() => ({ status: 403, text: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>" }));
    await expect(api.upload({ put_url: "https://bucket.s3/k?sig", link: "s3://in/k" }, new Blob(["x"], { type: "image/png" }))).rejects.toThrow(
      "Upload failed: Request has expired",
    );
    expect(calls[0]).toMatchObject({ method: "PUT", url: "https://bucket.s3/k?sig" });
    expect(calls[0].headers["Content-Type"]).toBe("image/png");
  });

  it("rejects an /uploads answer without a link", async () => {
    const { api } = client(() => ({ json: { url: "https://x" } }));
    await expect(api.createUpload("a.png", "image/png")).rejects.toThrow('without "link"');
  });
});

describe("ApiClient retries", () => {
  it("retries a 429 and a 503 with jittered back-off, tells the caller, then answers", async () => {
    const answers = [{ status: 429, json: { message: "Too Many Requests" } }, { status: 503, json: { message: "down", error: "service_unavailable" } }, { status: 200, json: { prediction: 1 } }];
    const sleeps: number[] = [];
    const retries: unknown[] = [];
    const { api, calls } = client(() => answers.shift()!, {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
      onRetry: (info) => retries.push(info),
    });
    await expect(api.predictStructured("1789")).resolves.toEqual({ prediction: 1 });
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]); // half (jitter 0.5) of 500 ms, then of 1 s
    expect(retries).toEqual([
      { method: "POST", path: "/structured_data", status: 429, attempt: 1, of: 3, delayMs: 250 },
      { method: "POST", path: "/structured_data", status: 503, attempt: 2, of: 3, delayMs: 500 },
    ]);
  });

  it("gives up after maxRetries with the last error", async () => {
    const { api, calls } = client(() => ({ status: 429, json: { message: "Too Many Requests" } }), { sleep: async () => {}, maxRetries: 2 });
    await expect(api.getJob("j")).rejects.toMatchObject({ status: 429 });
    expect(calls).toHaveLength(3);
  });

  it("keeps the Idempotency-Key of a job start across retries", async () => {
    const answers = [{ status: 503, json: { message: "x" } }, { status: 202, json: { job_id: "j1", status: "PENDING" } }];
    let n = 0;
    const { api, calls } = client(() => answers.shift()!, { sleep: async () => {}, newKey: () => `key-${++n}` });
    await api.startImageJob("s3://b/k");
    expect(calls.map((c) => c.headers["Idempotency-Key"])).toEqual(["key-1", "key-1"]);
  });

  it("does not retry other errors", async () => {
    const { api, calls } = client(() => ({ status: 500, json: { message: "boom" } }), { sleep: async () => {} });
    await expect(api.getJob("j")).rejects.toMatchObject({ status: 500 });
    expect(calls).toHaveLength(1);
  });

  it("the back-off is bounded and honours Retry-After", async () => {
    const { retryDelayMs } = await import("./client");
    expect(retryDelayMs(20, null, () => 0.999)).toBeLessThanOrEqual(8_000);
    expect(retryDelayMs(1, "2", () => 0)).toBe(2_000);
    expect(retryDelayMs(1, "3600", () => 0)).toBe(8_000);
  });
});
