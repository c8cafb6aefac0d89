/** The deploy plans endpoint (`/api/deploy-plans/`): what a deploy of a change request would do on each host,
 * planned by a worker against the hosts' live state (a `deploy_plan` job; nothing changes on the hosts). */
import { request } from './client';
import type { Job } from './jobApi';
import type { DeploymentTarget } from './deployApi';

/** One host's plan, as the job's result has it (`executors/deploy/plan.py` `LivePlan.as_dict`). */
export interface HostPlan {
  host: string;
  actions: Partial<Record<PlanCategory, string[]>>;
  warnings: string[];
  management_interface: string;
  error: string;
  unchanged: boolean;
}

export type PlanCategory =
  | 'interfaces_created'
  | 'interfaces_destroyed'
  | 'members_added'
  | 'members_removed'
  | 'addresses_added'
  | 'addresses_removed'
  | 'restarts'
  | 'firewall'
  | 'routes'
  | 'files'
  | 'other';

/** The plans of a finished plan job (none while it runs or when it failed before planning). */
export function plansOf(job: Job): HostPlan[] {
  const result = job.result as { hosts?: HostPlan[] } | null | undefined;
  return Array.isArray(result?.hosts) ? result.hosts : [];
}

export const plansApi = {
  forRequest: (changeRequest: number) => request<Job[]>('GET', '/api/deploy-plans/', undefined, { change_request: changeRequest }),
  create: (changeRequest: number, target: DeploymentTarget) =>
    request<Job>('POST', '/api/deploy-plans/', { change_request: changeRequest, target }),
};
