import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "./config";

describe("config.json", () => {
  it("parses the deployer's config, trimming the API URL", () => {
    expect(parseConfig({ apiUrl: "http://127.0.0.1:4566/restapis/x/local/_user_request_/", inputsBucket: "in", env: "local", uploads: true })).toEqual({
      apiUrl: "http://127.0.0.1:4566/restapis/x/local/_user_request_",
      inputsBucket: "in",
      env: "local",
      region: undefined,
      s3Endpoint: undefined,
      uploads: true,
      pollIntervalMs: 2000,
    });
  });
  it("hides uploads unless uploads is exactly true", () => {
    expect(parseConfig({ apiUrl: "/api", uploads: "yes" }).uploads).toBe(false);
  });
  it("refuses a config without a usable apiUrl", () => {
    expect(() => parseConfig({})).toThrow('config.json has no "apiUrl"');
    expect(() => parseConfig({ apiUrl: "ftp://x" })).toThrow(ConfigError);
    expect(() => parseConfig([1])).toThrow("must be a JSON object");
  });
  it("reports a missing or broken config.json", async () => {
    await expect(loadConfig((async () => new Response("nope", { status: 404 })) as typeof fetch)).rejects.toThrow("HTTP 404");
    await expect(loadConfig((async () => new Response("{bad", { status: 200 })) as typeof fetch)).rejects.toThrow("not valid JSON");
  });
});
