import { useState } from "react";
import type { FormEvent } from "react";
import type { ApiClient } from "../api/client";
import { validateRecordId } from "../lib/ids";
import { ErrorMessage } from "./ErrorMessage";
import { PredictionView } from "./PredictionView";
import { useAsyncAction } from "./useAsyncAction";

/** Structured data: a record id in, the prediction out, synchronously. */
export function StructuredForm({ client }: { client: Pick<ApiClient, "predictStructured"> }) {
  const [recordId, setRecordId] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const [prediction, setPrediction] = useState<Record<string, unknown> | null>(null);
  const { pending, error, run } = useAsyncAction(async (id: string) => {
    setPrediction(null);
    setPrediction(await client.predictStructured(id));
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = validateRecordId(recordId);
    setInvalid(problem);
    if (!problem) void run(recordId.trim());
  };

  return (
    <section className="card" aria-labelledby="structured-title">
      <h2 id="structured-title">Structured data</h2>
      <p className="muted">Predict for one record, answered at once.</p>
      <form onSubmit={submit} noValidate className="inline-form">
        <div className="field">
          <label htmlFor="structured-id">Record id</label>
          <input
            id="structured-id"
            value={recordId}
            placeholder="1789"
            onChange={(e) => setRecordId(e.target.value)}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={invalid ? "structured-id-error" : undefined}
          />
        </div>
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Predicting…" : "Predict"}
        </button>
      </form>
      {invalid ? (
        <p id="structured-id-error" className="field-error">
          {invalid}
        </p>
      ) : null}
      <ErrorMessage error={error} title="Prediction failed" />
      {prediction ? <PredictionView prediction={prediction} /> : null}
    </section>
  );
}
