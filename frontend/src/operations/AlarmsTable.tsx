import type { AlarmRow } from "../api/types";

const STATE_LABELS: Record<string, string> = { OK: "OK", ALARM: "In alarm", INSUFFICIENT_DATA: "No data" };

export function AlarmState({ state }: { state: string }) {
  const known = state in STATE_LABELS;
  return (
    <span className={`badge alarm-${known ? state.toLowerCase() : "unknown"}`} data-state={state}>
      {STATE_LABELS[state] ?? state}
    </span>
  );
}

/** The environment's alarms, those in ALARM first (the API sorts them). */
export function AlarmsTable({ alarms }: { alarms: AlarmRow[] }) {
  const firing = alarms.filter((a) => a.state === "ALARM").length;
  return (
    <section className="card" aria-label="Alarms">
      <div className="card-head">
        <h2>Alarms</h2>
        <span className="muted">{firing ? `${firing} in alarm` : "none in alarm"}</span>
      </div>
      {alarms.length === 0 ? (
        <p className="muted">No alarm in this environment.</p>
      ) : (
        <table className="ops-table">
          <thead>
            <tr>
              <th>Alarm</th>
              <th>State</th>
              <th>Since</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((a) => (
              <tr key={a.name} data-alarm={a.name}>
                <td>
                  {a.name}
                  {a.notifies === false ? <span className="muted"> (silenced)</span> : null}
                </td>
                <td>
                  <AlarmState state={a.state} />
                </td>
                <td>{a.updated ? new Date(a.updated).toLocaleString() : "—"}</td>
                <td className="reason" title={a.reason}>
                  {a.reason.length > 160 ? `${a.reason.slice(0, 159)}…` : a.reason}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
