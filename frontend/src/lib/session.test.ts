import { describe, expect, it } from "vitest";
import { clearSession, isExpired, loadSession, makeSession, saveSession } from "./session";

describe("session", () => {
  it("stores the token in sessionStorage and drops it once expired", () => {
    const session = makeSession("ada", "tok", 900, 1_000);
    expect(session.expiresAt).toBe(901_000);
    saveSession(session);
    expect(loadSession(2_000)).toEqual(session);
    expect(loadSession(901_000)).toBeNull();
    expect(isExpired(session, 901_000)).toBe(true);
    clearSession();
    expect(loadSession(2_000)).toBeNull();
  });
});
