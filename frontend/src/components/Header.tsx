import type { Session } from "../lib/session";

interface Props {
  env: string;
  session: Session;
  onLogout: () => void;
}

export function Header({ env, session, onLogout }: Props) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo" aria-hidden="true">◆</span> Atelier
        <span className={`env env-${env}`} title="environment">{env}</span>
      </div>
      <div className="user">
        <span>
          Signed in as <strong>{session.username}</strong>
        </span>
        <button type="button" className="link" onClick={onLogout}>
          Log out
        </button>
      </div>
    </header>
  );
}
