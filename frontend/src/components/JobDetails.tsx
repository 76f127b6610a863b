import type { AppConfig } from "../config";
import type { JobEntry } from "../jobs/reducer";
import { PIPELINE_LABELS, formatDuration, formatTime, shortId } from "../jobs/labels";
import { resolveOutputs } from "../lib/outputs";
import { ActiveLearningResult } from "./ActiveLearningResult";
import { ImageResult } from "./ImageResult";
import { OutputLinks } from "./OutputLinks";
import { StatusBadge } from "./StatusBadge";

interface Props {
  entry: JobEntry;
  config: Pick<AppConfig, "region" | "s3Endpoint">;
}

/** One job: status, progress, timings, error, and its results once it has outputs. */
export function JobDetails({ entry, config }: Props) {
  const job = entry.job;
  const outputs = resolveOutputs(job?.outputs, { region: config.region, s3Endpoint: config.s3Endpoint });
  const progress = job?.progress;
  const hasProgress = typeof progress?.round === "number" && typeof progress?.of === "number" && progress.of > 0;

  return (
    <section className="card" aria-labelledby="details-title">
      <div className="card-head">
        <h2 id="details-title">
          {PIPELINE_LABELS[entry.pipeline]} job <span className="mono">{shortId(entry.jobId)}</span>
        </h2>
        <span aria-live="polite" aria-label="Job status">
          <StatusBadge status={entry.status} />
        </span>
      </div>
      <dl className="kv timings">
        <div>
          <dt>Job id</dt>
          <dd className="mono">{entry.jobId}</dd>
        </div>
        <div>
          <dt>Input</dt>
          <dd className="truncate">{entry.label}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(job?.created_at ?? entry.submittedAt)}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(job?.started_at)}</dd>
        </div>
        <div>
          <dt>{job?.finished_at ? "Ran for" : "Running for"}</dt>
          <dd>{job?.started_at ? formatDuration(job.started_at, job.finished_at) : "—"}</dd>
        </div>
        {job?.device ? (
          <div>
            <dt>Device</dt>
            <dd>{job.device}</dd>
          </div>
        ) : null}
      </dl>
      {hasProgress ? (
        <div className="progress">
          <label htmlFor="job-progress">
            Round {progress!.round} of {progress!.of}
          </label>
          <progress id="job-progress" max={progress!.of} value={progress!.round} />
        </div>
      ) : null}
      {entry.status === "FAILED" ? (
        <div role="alert" className="alert alert-error">
          <strong>Job failed: </strong>
          {job?.error || "no reason given"}
        </div>
      ) : null}
      {entry.pollError ? (
        <p role="alert" className="alert alert-warn">
          {entry.pollError}
        </p>
      ) : null}
      {entry.status === "SUCCEEDED" && entry.pipeline === "non_structured_data_images" ? <ImageResult outputs={outputs} /> : null}
      {entry.status === "SUCCEEDED" && entry.pipeline === "non_structured_al_data_images" ? <ActiveLearningResult outputs={outputs} /> : null}
      <OutputLinks outputs={outputs} />
    </section>
  );
}
