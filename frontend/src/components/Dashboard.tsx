import { useCallback } from "react";
import type { Dispatch } from "react";
import type { ApiClient } from "../api/client";
import type { PipelineName } from "../api/types";
import type { AppConfig } from "../config";
import type { JobsAction, JobsState } from "../jobs/reducer";
import { useJobHistory } from "../jobs/history";
import { useJobPolling } from "../jobs/usePolling";
import { ActiveLearningForm } from "./ActiveLearningForm";
import { ImageForm } from "./ImageForm";
import { JobDetails } from "./JobDetails";
import { JobsTable } from "./JobsTable";
import { StructuredForm } from "./StructuredForm";

interface Props {
  client: ApiClient;
  config: AppConfig;
  jobs: JobsState;
  dispatch: Dispatch<JobsAction>;
}

export function Dashboard({ client, config, jobs, dispatch }: Props) {
  useJobHistory(client, dispatch);
  useJobPolling(jobs, dispatch, client, config.pollIntervalMs);
  const started = useCallback(
    (pipeline: PipelineName) => (jobId: string, label: string, status?: string) =>
      dispatch({ type: "submitted", jobId, pipeline, label, status, at: new Date().toISOString() }),
    [dispatch],
  );
  const selected = jobs.selected ? jobs.byId[jobs.selected] : undefined;

  return (
    <main className="dashboard">
      <div className="column">
        <StructuredForm client={client} />
        <ImageForm
          client={client}
          uploads={config.uploads}
          inputsBucket={config.inputsBucket}
          onStarted={started("non_structured_data_images")}
        />
        <ActiveLearningForm client={client} onStarted={started("non_structured_al_data_images")} />
      </div>
      <div className="column">
        <JobsTable state={jobs} dispatch={dispatch} />
        {selected ? <JobDetails entry={selected} config={config} /> : null}
      </div>
    </main>
  );
}
