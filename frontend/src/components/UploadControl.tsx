import { useRef, useState } from "react";
import type { FormEvent } from "react";
import type { ApiClient } from "../api/client";
import { ErrorMessage } from "./ErrorMessage";
import { useAsyncAction } from "./useAsyncAction";

interface Props {
  client: Pick<ApiClient, "startImageJob" | "createUpload" | "upload">;
  inputsBucket?: string;
  onStarted: (jobId: string, label: string, status?: string) => void;
}

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/** Upload a file to the inputs bucket through a presigned URL (POST /uploads), then start the job. */
export function UploadControl({ client, inputsBucket, onStarted }: Props) {
  const [file, setFile] = useState<File | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const [step, setStep] = useState<string | null>(null);
  const { pending, error, setError, run } = useAsyncAction(async (chosen: File) => {
    try {
      setStep("Asking for an upload URL…");
      const target = await client.createUpload(chosen.name, chosen.type || "application/octet-stream");
      setStep(`Uploading ${chosen.name}…`);
      await client.upload(target, chosen);
      setStep("Starting the job…");
      const created = await client.startImageJob(target.link);
      onStarted(created.job_id, target.link, created.status);
      setFile(null);
      if (input.current) input.current.value = "";
    } finally {
      setStep(null);
    }
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return setError("Choose an image file first.");
    if (!file.type.startsWith("image/")) return setError(`${file.name} is not an image (${file.type || "unknown type"}).`);
    if (file.size > MAX_UPLOAD_BYTES) return setError(`${file.name} is larger than 20 MB.`);
    void run(file);
  };

  return (
    <form onSubmit={submit} className="inline-form upload" aria-label="Upload an image">
      <div className="field">
        <label htmlFor="image-file">Image file{inputsBucket ? ` (to ${inputsBucket})` : ""}</label>
        <input id="image-file" ref={input} type="file" accept="image/*" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </div>
      <button type="submit" disabled={pending || !file}>
        {pending ? "Uploading…" : "Upload and start"}
      </button>
      {step ? (
        <p role="status" className="muted">
          {step}
        </p>
      ) : null}
      <ErrorMessage error={error} title="Upload failed" />
    </form>
  );
}
