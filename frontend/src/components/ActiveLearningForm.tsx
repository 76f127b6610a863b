import { useState } from "react";
import type { FormEvent } from "react";
import type { ApiClient } from "../api/client";
import { parseIds } from "../lib/ids";
import { ErrorMessage } from "./ErrorMessage";
import { useAsyncAction } from "./useAsyncAction";

interface Props {
  client: Pick<ApiClient, "startActiveLearningJob">;
  onStarted: (jobId: string, label: string, status?: string) => void;
}

/** Active learning: dataset ids, comma separated. Runs for hours on a GPU (CPU locally). */
export function ActiveLearningForm({ client, onStarted }: Props) {
  const [text, setText] = useState("");
  const [problems, setProblems] = useState<string[]>([]);
  const { pending, error, run } = useAsyncAction(async (ids: string[]) => {
    const created = await client.startActiveLearningJob(ids);
    onStarted(created.job_id, ids.join(", "), created.status);
    setText("");
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { ids, errors } = parseIds(text);
    setProblems(errors);
    if (errors.length === 0) void run(ids);
  };

  return (
    <section className="card" aria-labelledby="al-title">
      <h2 id="al-title">Active learning</h2>
      <p className="muted">Rank the samples worth labelling next over the given datasets.</p>
      <form onSubmit={submit} noValidate className="inline-form">
        <div className="field">
          <label htmlFor="al-ids">Dataset ids</label>
          <input
            id="al-ids"
            value={text}
            placeholder="1914, 1918, 1939"
            onChange={(e) => setText(e.target.value)}
            aria-invalid={problems.length ? true : undefined}
            aria-describedby={problems.length ? "al-ids-error" : "al-ids-hint"}
          />
        </div>
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Starting…" : "Start active learning"}
        </button>
      </form>
      <p id="al-ids-hint" className="hint">
        Comma separated.
      </p>
      {problems.length ? (
        <ul id="al-ids-error" className="field-error">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <ErrorMessage error={error} title="Could not start active learning" />
    </section>
  );
}
