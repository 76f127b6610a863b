import { useState } from "react";
import type { FormEvent } from "react";
import type { ApiClient } from "../api/client";
import { makeSession } from "../lib/session";
import type { Session } from "../lib/session";
import { ErrorMessage } from "./ErrorMessage";
import { useAsyncAction } from "./useAsyncAction";

interface Props {
  client: ApiClient;
  env: string;
  notice?: string | null;
  onLoggedIn: (session: Session) => void;
}

export function LoginPage({ client, env, notice, onLoggedIn }: Props) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { pending, error, run } = useAsyncAction(async (user: string, pass: string) => {
    const answer = await client.login(user, pass);
    onLoggedIn(makeSession(user, answer.token, answer.expires_in));
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(username.trim(), password);
  };

  return (
    <main className="login">
      <form className="card login-card" aria-labelledby="login-title" onSubmit={submit}>
        <h1 id="login-title">Atelier</h1>
        <p className="muted">
          Log in to run the ML pipelines.
          <br />
          Environment: <strong>{env}</strong>
        </p>
        {notice ? (
          <p role="status" className="alert alert-info">
            {notice}
          </p>
        ) : null}
        <label htmlFor="login-username">Username</label>
        <input
          id="login-username"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <ErrorMessage error={error} title="Login failed" />
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
