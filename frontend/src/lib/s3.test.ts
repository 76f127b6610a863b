import { describe, expect, it } from "vitest";
import { parseS3Uri, s3HttpUrl } from "./s3";

describe("s3 URLs", () => {
  it("parses s3 URIs", () => {
    expect(parseS3Uri("s3://atelier-local-results/jobs/1/overlay.png")).toEqual({ bucket: "atelier-local-results", key: "jobs/1/overlay.png" });
    expect(parseS3Uri("https://x/y")).toBeNull();
  });
  it("builds path-style URLs on the local runtime", () => {
    expect(s3HttpUrl("s3://atelier-local-results/jobs/a b/o.png", { s3Endpoint: "http://127.0.0.1:4566/" })).toBe(
      "http://127.0.0.1:4566/atelier-local-results/jobs/a%20b/o.png",
    );
  });
  it("builds virtual-hosted URLs on AWS, by region", () => {
    expect(s3HttpUrl("s3://bkt/k.png", { region: "eu-west-3" })).toBe("https://bkt.s3.eu-west-3.amazonaws.com/k.png");
    expect(s3HttpUrl("s3://bkt/k.png")).toBe("https://bkt.s3.amazonaws.com/k.png");
  });
  it("passes http(s) URLs through and refuses the rest", () => {
    expect(s3HttpUrl("https://signed.example/k?X-Amz-Signature=1")).toBe("https://signed.example/k?X-Amz-Signature=1");
    expect(s3HttpUrl("file:///etc/passwd")).toBeNull();
  });
});
