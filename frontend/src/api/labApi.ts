/** The lab endpoints (`/api/labs/`): a design brought up on Linux network namespaces, and its reachability check.
 *
 * The shapes follow `executors/api/serializers.py` (LabSerializer, CheckReportSerializer) and the `live` part of
 * `GET /api/labs/{id}/` (`executors.lab.lifecycle.lab_status`). Written here until `npm run gen:api` adds them to
 * `schema.d.ts`.
 */
import { listAll, request } from './client';

export type LabState = 'down' | 'up' | 'failed';

export interface Lab {
  id: number;
  design: number;
  design_name: string;
  /** Prefix of the lab's namespaces (jn + hash of the design's name). */
  lab_id: string;
  state: LabState;
  /** Why the last operation failed, or what it warned about. */
  message: string;
  /** What of the design the lab does not emulate. */
  notes: unknown[];
  started_at: string | null;
  finished_at: string | null;
  up_seconds: number | null;
  last_check_at: string | null;
  check_total: number;
  check_matched: number;
  check_mismatched: number;
  check_seconds: number | null;
}

/** What is really on the machine (namespaces present, processes alive), next to the recorded state. */
export interface LabLive {
  design: string;
  lab_id: string;
  state: string;
  namespaces_expected: number;
  namespaces_present: number;
  processes: number;
  sshd_alive: number;
  started: string | number | null;
  error: string | null;
  recorded_state: LabState;
}

export interface LabDetail extends Lab {
  live?: LabLive;
}

/** One cell of the reachability matrix: from `source`, does `address` of `target` answer (`protocol`/`port`)? */
export interface CheckCell {
  source: string;
  target: string;
  address: string;
  protocol: 'icmp' | 'tcp';
  port: number | null;
  expected: boolean;
  measured: boolean;
  matches: boolean;
  /** Why the design expects this (the path the model followed, or where it stops). */
  reason: string;
  /** The probe's last line of output (or `exit N`). */
  detail: string;
}

export interface CheckReport {
  design: string;
  total: number;
  matched: number;
  mismatched: number;
  seconds: number;
  cells: CheckCell[];
}

export const labApi = {
  list: () => listAll<Lab>('/api/labs/'),
  get: (id: number) => request<LabDetail>('GET', `/api/labs/${id}/`),
  up: (design: number) => request<Lab>('POST', '/api/labs/up/', { design }),
  check: (id: number) => request<CheckReport>('POST', `/api/labs/${id}/check/`),
  down: (id: number) => request<Lab>('POST', `/api/labs/${id}/down/`),
};
