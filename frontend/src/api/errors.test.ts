import { describe, expect, it } from "vitest";
import { ApiError, describeError, messageFromBody } from "./errors";

describe("messageFromBody", () => {
  it("prefers the API's message", () => {
    expect(messageFromBody(404, "Not Found", { message: "no record with id '9'" })).toBe("no record with id '9'");
  });
  it("accepts FastAPI-style detail lists", () => {
    expect(messageFromBody(422, "", { detail: [{ msg: "field required" }, { msg: "bad type" }] })).toBe("field required; bad type");
  });
  it("falls back to the HTTP status", () => {
    expect(messageFromBody(500, "Internal Server Error", { other: 1 })).toBe("HTTP 500 Internal Server Error");
    expect(messageFromBody(502, "", "<html>bad gateway</html>")).toBe("HTTP 502");
  });
});

describe("describeError", () => {
  it("adds the status to API errors, not to network errors", () => {
    expect(describeError(new ApiError(404, "no such job"))).toBe("no such job (HTTP 404)");
    expect(describeError(new ApiError(0, "Could not reach the API"))).toBe("Could not reach the API");
    expect(describeError(new Error("boom"))).toBe("boom");
    expect(describeError("plain")).toBe("plain");
  });
});
