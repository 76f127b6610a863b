import { useState } from "react";
import type { FormEvent } from "react";
import type { ApiClient } from "../api/client";
import { validateLink } from "../lib/ids";
import { ErrorMessage } from "./ErrorMessage";
import { UploadControl } from "./UploadControl";
import { useAsyncAction } from "./useAsyncAction";

interface Props {
  client: Pick<ApiClient, "startImageJob" | "createUpload" | "upload">;
  uploads: boolean;
  inputsBucket?: string;
  onStarted: (jobId: string, label: string, status?: string) => void;
}

/** Images: an image link (s3:// or http(s)://), or a file uploaded to the inputs bucket. */
export function ImageForm({ client, uploads, inputsBucket, onStarted }: Props) {
  const [link, setLink] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const { pending, error, run } = useAsyncAction(async (value: string) => {
    const created = await client.startImageJob(value);
    onStarted(created.job_id, value, created.status);
    setLink("");
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = validateLink(link);
    setInvalid(problem);
    if (!problem) void run(link.trim());
  };

  return (
    <section className="card" aria-labelledby="images-title">
      <h2 id="images-title">Images</h2>
      <p className="muted">Detect digits in an image. Takes a while: follow it in the jobs list.</p>
      <form onSubmit={submit} noValidate className="inline-form">
        <div className="field">
          <label htmlFor="image-link">Image link</label>
          <input
            id="image-link"
            value={link}
            placeholder="s3://bucket/key.png or https://…"
            onChange={(e) => setLink(e.target.value)}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={invalid ? "image-link-error" : undefined}
          />
        </div>
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Starting…" : "Start image job"}
        </button>
      </form>
      {invalid ? (
        <p id="image-link-error" className="field-error">
          {invalid}
        </p>
      ) : null}
      <ErrorMessage error={error} title="Could not start the image job" />
      {uploads ? <UploadControl client={client} inputsBucket={inputsBucket} onStarted={onStarted} /> : null}
    </section>
  );
}
