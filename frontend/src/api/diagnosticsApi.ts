/** The diagnostics endpoints (`/api/diagnostic-runs/`): troubleshooting commands on a design's hosts run as jobs,
 * their parsed records and pcap files, and "Check drift".
 *
 * The shapes are generated from the OpenAPI schema (`executors/api/diagnostics.py`, `npm run gen:api`).
 */
import { request } from './client';
import type { Schemas } from './types';

export type CatalogueEntry = Schemas['CatalogueEntry'];
export type CatalogueParameter = Schemas['CatalogueParameter'];
/** A run as lists show it (its id is its job's: follow the output with `JobView`). */
export type DiagnosticRun = Schemas['DiagnosticRun'];
/** One run with its parsed records, the lines no parser read and, for a drift check, its findings. */
export type DiagnosticRunDetail = Schemas['DiagnosticRunDetail'];
export type DiagnosticStart = Schemas['DiagnosticStartRequest'];

/** A drift finding: what differs on a host, linked to the design object it is about. */
export interface DriftFinding {
  code: string;
  severity: string;
  message: string;
  host: string;
  object: { kind: string; path: string; id: number | null };
  /** The version of the design the host was compared with (the one deployed on it). */
  compared?: DriftVersion;
}

/** What a drift check compared a host with: a revision, a partly deployed request, the lab's build or the design. */
export interface DriftVersion {
  kind: string;
  label: string;
  revision: number | null;
  change_request: number | null;
}

interface Page<T> {
  count: number;
  results: T[];
}

export const diagnosticsApi = {
  catalogue: () => request<Schemas['Catalogue']>('GET', '/api/diagnostic-runs/catalogue/'),
  /** Starts a diagnostic (202). 400: a parameter refused (the message says which and why); 403: operators only. */
  start: (body: DiagnosticStart) => request<DiagnosticRun>('POST', '/api/diagnostic-runs/', body),
  /** Starts "Check drift" on every host of the design. */
  drift: (design: number) => request<DiagnosticRun>('POST', '/api/diagnostic-runs/drift/', { design }),
  list: (design: number, query: { host?: string; diagnostic?: string; limit?: number } = {}) =>
    request<Page<DiagnosticRun>>('GET', '/api/diagnostic-runs/', undefined, { design_id: design, limit: 50, ...query }),
  get: (id: number) => request<DiagnosticRunDetail>('GET', `/api/diagnostic-runs/${id}/`),
  stop: (id: number) => request<DiagnosticRun>('POST', `/api/diagnostic-runs/${id}/stop/`),
  pcapUrl: (id: number) => `/api/diagnostic-runs/${id}/pcap/`,
};
