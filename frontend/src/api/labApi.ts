/** The lab endpoints (`/api/labs/`): a design brought up on Linux network namespaces, and its reachability check.
 *
 * The shapes are generated from the OpenAPI schema (`executors/api/serializers.py`, `npm run gen:api`).
 */
import { ApiError, listAll, request } from './client';
import type { Schemas } from './types';

export type LabState = Schemas['LabStateEnum'];
export type Lab = Schemas['Lab'];
/** One cell of the reachability matrix: from `source`, does `address` of `target` answer (`protocol`/`port`)?
 * `reason` says why the design expects it (the path the model followed, or where it stops), `detail` is the
 * probe's last line of output (or `exit N`). */
export type CheckCell = Schemas['CheckCell'];
/** A lab's check as the server keeps it: counts, every cell, and when it was measured (`checked_at`). */
export type CheckReport = Schemas['LabCheckReport'];

/** What is really on the machine (namespaces present, processes alive), next to the recorded state. */
export type LabLive = Schemas['LabLive'];
/** One lab with `live`, as `GET /api/labs/{id}/` answers. */
export type LabDetail = Schemas['LabDetail'];

export const labApi = {
  list: () => listAll<Lab>('/api/labs/'),
  get: (id: number) => request<LabDetail>('GET', `/api/labs/${id}/`),
  up: (design: number) => request<Lab>('POST', '/api/labs/up/', { design }),
  /** Measures the matrix now; the answer is also kept as the lab's last check. */
  check: (id: number) => request<CheckReport>('POST', `/api/labs/${id}/check/`),
  /** The lab's last check, or null when none is kept (not checked since the lab was brought up). */
  lastCheck: async (id: number): Promise<CheckReport | null> => {
    try {
      return await request<CheckReport>('GET', `/api/labs/${id}/report/`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  },
  down: (id: number) => request<Lab>('POST', `/api/labs/${id}/down/`),
};
