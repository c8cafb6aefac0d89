/** The jobs endpoints (`/api/jobs/`): operations on hosts run by a worker, their steps and numbered output.
 * Live output comes over the shared websocket (`./socket`, `followJob`). */
import { request, type Query } from './client';
import { liveSocket, type JobStepEvent, type JobSummary, type OutputChunk } from './socket';
import type { Schemas } from './types';

export type Job = Schemas['Job'];
export type JobKind = Schemas['JobKindEnum'];
export type JobState = Schemas['JobStateEnum'];
export type JobStep = Schemas['JobStep'];
export type JobOutputPage = Schemas['JobOutputPage'];
export type JobsAvailability = Schemas['JobsAvailability'];

export const ENDED_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

export const KIND_LABELS: Record<JobKind, string> = {
  lab_up: 'Lab up',
  lab_check: 'Lab check',
  lab_down: 'Lab down',
  lab_exec: 'Command on a lab host',
  deploy: 'Deploy',
  host_test: 'Test connection',
  diagnostic: 'Diagnostic',
  drift_check: 'Drift check',
  deploy_plan: 'Deploy plan',
};

interface Page<T> {
  count: number;
  results: T[];
}

export interface JobFilters {
  design_id?: number;
  kind?: JobKind | '';
  state?: JobState | '';
  design?: string;
  requested_by?: string;
}

export const jobApi = {
  list: (filters: JobFilters = {}, limit = 100) => {
    const query: Query = { limit };
    for (const [key, value] of Object.entries(filters)) if (value) query[key] = value as string | number;
    return request<Page<Job>>('GET', '/api/jobs/', undefined, query);
  },
  get: (id: number) => request<Job>('GET', `/api/jobs/${id}/`),
  output: (id: number, since: number, limit = 2000) =>
    request<JobOutputPage>('GET', `/api/jobs/${id}/output/`, undefined, { since, limit }),
  cancel: (id: number) => request<Job>('POST', `/api/jobs/${id}/cancel/`),
  availability: () => request<JobsAvailability>('GET', '/api/jobs/availability/'),
  logUrl: (id: number) => `/api/jobs/${id}/log/`,
};

export interface JobFollowHandlers {
  output(chunks: OutputChunk[]): void;
  steps(steps: JobStepEvent[]): void;
  state(job: JobSummary): void;
}

/** Follow a job from `since` on the shared socket: its output chunks (each once, in order), steps and state. */
export function followJob(jobId: number, since: number, handlers: JobFollowHandlers): () => void {
  const stopListening = liveSocket.listen((frame) => {
    if (frame.type === 'job.output' && frame.job === jobId) {
      if (frame.chunks.length > 0) handlers.output(frame.chunks);
      if (frame.steps?.length) handlers.steps(frame.steps);
    } else if (frame.type === 'followed' && frame.job === jobId) {
      handlers.steps(frame.state.steps);
      handlers.state(frame.state);
    } else if (frame.type === 'job.state' && frame.job.id === jobId) {
      handlers.state(frame.job);
    }
  });
  const stopFollowing = liveSocket.followJob(jobId, since);
  return () => {
    stopFollowing();
    stopListening();
  };
}

/** Every job's state changes (a jobs list keeps itself current). */
export function watchJobs(onState: (job: JobSummary) => void): () => void {
  const stopListening = liveSocket.listen((frame) => {
    if (frame.type === 'job.state') onState(frame.job);
  });
  const stopWatching = liveSocket.watchJobs();
  return () => {
    stopWatching();
    stopListening();
  };
}
