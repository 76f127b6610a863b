import type { CanaryMinute } from "../api/types";

export function canarySummary(runs: CanaryMinute[]): { failed: number; wrong: number; meanLatencyMs: number | null } {
  const failed = runs.filter((r) => !r.success).length;
  const wrong = runs.reduce((sum, r) => sum + r.wrong_answers, 0);
  const latencies = runs.map((r) => r.latency_ms).filter((v): v is number => typeof v === "number");
  const meanLatencyMs = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null;
  return { failed, wrong, meanLatencyMs };
}

/** One mark per minute the model check ran, oldest first (✓ passed, ✗ failed). */
export function CanaryStrip({ runs, minutes }: { runs: CanaryMinute[]; minutes: number }) {
  const { failed, wrong, meanLatencyMs } = canarySummary(runs);
  return (
    <section className="card" aria-label="Model check">
      <div className="card-head">
        <h2>Model check</h2>
        <span className="muted">last {minutes} minutes</span>
      </div>
      {runs.length === 0 ? (
        <p className="muted">No run of the model check in the last {minutes} minutes.</p>
      ) : (
        <>
          <p className="canary-marks" aria-label="runs, oldest first">
            {runs.map((r) => (
              <span
                key={r.minute}
                className={r.success ? "mark-ok" : "mark-failed"}
                title={`${new Date(r.minute).toLocaleTimeString()}: ${r.success ? "passed" : "failed"}, ${r.wrong_answers} wrong, ${
                  r.latency_ms === null ? "no latency" : `${Math.round(r.latency_ms)} ms`
                }`}
              >
                {r.success ? "✓" : "✗"}
              </span>
            ))}
          </p>
          <p data-testid="canary-summary">
            {runs.length} runs, {failed} failed, {wrong} wrong answers
            {meanLatencyMs === null ? "" : `, mean latency ${Math.round(meanLatencyMs)} ms`}
          </p>
        </>
      )}
    </section>
  );
}
