import { useCallback, useEffect, useState } from "react";
import type { ApiClient } from "../api/client";
import type { OperationsView } from "../api/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { AlarmsTable } from "./AlarmsTable";
import { CanaryStrip } from "./CanaryStrip";
import { DriftSummary } from "./DriftSummary";

interface Props {
  client: ApiClient;
  minutes?: number;
  /** Reload every this many ms (0: only on demand). */
  refreshMs?: number;
}

/** GET /operations: what `atelier alerts` shows, refreshed every minute (the canary's pace). */
export function OperationsPage({ client, minutes = 30, refreshMs = 60_000 }: Props) {
  const [view, setView] = useState<OperationsView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setView(await client.getOperations(minutes));
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [client, minutes]);

  useEffect(() => {
    void load();
    if (!refreshMs) return undefined;
    const timer = setInterval(() => void load(), refreshMs);
    return () => clearInterval(timer);
  }, [load, refreshMs]);

  return (
    <main className="operations">
      <div className="card-head">
        <h1>Operations{view ? ` (${view.environment})` : ""}</h1>
        <button type="button" onClick={() => void load()} disabled={loading}>
          {loading ? "Loading…" : "Refresh"}
        </button>
      </div>
      <ErrorMessage error={error} title="Could not load the operations view" />
      {view ? (
        <>
          <AlarmsTable alarms={view.alarms} />
          <CanaryStrip runs={view.canary} minutes={view.minutes} />
          <DriftSummary drift={view.drift} />
        </>
      ) : null}
    </main>
  );
}
