/** The login session: a bearer token kept in sessionStorage (gone when the tab closes). */
export interface Session {
  token: string;
  username: string;
  /** Epoch ms after which the token is no longer accepted, or null if unknown. */
  expiresAt: number | null;
}

const KEY = "atelier.session";

export function makeSession(username: string, token: string, expiresIn: number | undefined, now = Date.now()): Session {
  return {
    token,
    username,
    expiresAt: typeof expiresIn === "number" && expiresIn > 0 ? now + expiresIn * 1000 : null,
  };
}

export function isExpired(session: Session, now = Date.now()): boolean {
  return session.expiresAt !== null && now >= session.expiresAt;
}

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

export function loadSession(now = Date.now()): Session | null {
  const raw = storage()?.getItem(KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as Session;
    if (typeof session.token !== "string" || !session.token) return null;
    return isExpired(session, now) ? null : session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  storage()?.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  storage()?.removeItem(KEY);
}
