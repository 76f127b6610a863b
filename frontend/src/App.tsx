import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { ApiClient } from "./api/client";
import type { AppConfig } from "./config";
import { loadConfig } from "./config";
import { Dashboard } from "./components/Dashboard";
import { ErrorMessage } from "./components/ErrorMessage";
import { Header } from "./components/Header";
import { LoginPage } from "./components/LoginPage";
import { OperationsPage } from "./operations/OperationsPage";
import { ViewTabs, useViewFromHash } from "./operations/ViewTabs";
import { jobsReducer, loadJobs, saveJobs } from "./jobs/reducer";
import { clearSession, loadSession, saveSession } from "./lib/session";
import type { Session } from "./lib/session";

type ConfigState = { kind: "loading" } | { kind: "error"; error: unknown } | { kind: "ready"; config: AppConfig };

export function App({ configLoader = loadConfig }: { configLoader?: () => Promise<AppConfig> }) {
  const [state, setState] = useState<ConfigState>({ kind: "loading" });
  useEffect(() => {
    configLoader()
      .then((config) => setState({ kind: "ready", config }))
      .catch((error: unknown) => setState({ kind: "error", error }));
  }, [configLoader]);

  if (state.kind === "loading") return <p className="center muted">Loading configuration…</p>;
  if (state.kind === "error") {
    return (
      <main className="login">
        <div className="card login-card">
          <h1>Atelier</h1>
          <ErrorMessage error={state.error} title="This deployment is not configured" />
          <p className="muted">The page reads its API address from config.json next to index.html.</p>
        </div>
      </main>
    );
  }
  return <Workspace config={state.config} />;
}

/** Logged-in state, the API client and the jobs list (kept across a re-login). */
export function Workspace({ config }: { config: AppConfig }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  useEffect(() => {
    if (!busy) return undefined;
    const timer = setTimeout(() => setBusy(null), 10_000);
    return () => clearTimeout(timer);
  }, [busy]);
  const [jobs, dispatch] = useReducer(jobsReducer, undefined, loadJobs);
  const [view, setView] = useViewFromHash();
  useEffect(() => saveJobs(jobs), [jobs]);
  const tokenRef = useRef<string | null>(session?.token ?? null);
  tokenRef.current = session?.token ?? null;

  const logout = useCallback((message: string | null) => {
    clearSession();
    tokenRef.current = null;
    setSession(null);
    setNotice(message);
  }, []);

  const client = useMemo(
    () =>
      new ApiClient({
        baseUrl: config.apiUrl,
        getToken: () => tokenRef.current,
        onUnauthorized: (err) => logout(`Your session has ended (${err.message}). Log in again.`),
        onRetry: (r) =>
          setBusy(
            `The API is ${r.status === 429 ? "busy (too many requests)" : "briefly unavailable"}: ` +
              `retrying ${r.method} ${r.path} in ${(r.delayMs / 1000).toFixed(1)} s (attempt ${r.attempt} of ${r.of})`,
          ),
      }),
    [config.apiUrl, logout],
  );

  // Log out when the token expires rather than failing the next call.
  useEffect(() => {
    if (!session?.expiresAt) return undefined;
    const timer = setTimeout(() => logout("Your session has expired. Log in again."), Math.max(0, session.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [session, logout]);

  const loggedIn = (next: Session) => {
    saveSession(next);
    tokenRef.current = next.token;
    setNotice(null);
    setSession(next);
  };

  if (!session) return <LoginPage client={client} env={config.env} notice={busy ?? notice} onLoggedIn={loggedIn} />;
  return (
    <>
      {busy && (
        <p role="status" className="notice">
          {busy}
        </p>
      )}
      <Header
        env={config.env}
        session={session}
        onLogout={() => {
          dispatch({ type: "clear" });
          logout("You have logged out.");
        }}
      />
      <ViewTabs view={view} onChange={setView} />
      {view === "operations" ? (
        <OperationsPage client={client} />
      ) : (
        <Dashboard client={client} config={config} jobs={jobs} dispatch={dispatch} />
      )}
    </>
  );
}
