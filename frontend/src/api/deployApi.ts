/** The deployments endpoint (`/api/deployments/`): deploy an approved change request (a job: follow `job` with
 * JobView, cancel it there), follow its hosts, retry the failed ones. */
import { listAll, request } from './client';
import type { Schemas } from './types';

export type Deployment = Schemas['Deployment'];
export type DeploymentHost = Schemas['DeploymentHost'];
export type DeploymentTarget = Schemas['TargetEnum'];

export const deploymentsApi = {
  forRequest: (changeRequest: number) => listAll<Deployment>('/api/deployments/', { change_request: changeRequest }),
  get: (id: number) => request<Deployment>('GET', `/api/deployments/${id}/`),
  /** Deploy to the design's lab or its registered hosts; unconfirmed hosts roll back after `confirm_seconds`. */
  create: (changeRequest: number, target: DeploymentTarget, confirmSeconds: number) =>
    request<Deployment>('POST', '/api/deployments/', {
      change_request: changeRequest,
      target,
      confirm_seconds: confirmSeconds,
    }),
  /** Deploy again, in a new job, only the hosts that failed, were rolled back, unreachable, cancelled or interrupted. */
  retry: (id: number) => request<Deployment>('POST', `/api/deployments/${id}/retry/`),
};
