/** The change-request, revision and audit endpoints the app uses. */
import { listAll, request, type Query } from './client';
import type {
  AuditEntry, ChangeRequest, ChangeRequestComment, ChangeRequestDetail, HostDiff, ReviewDecision, Revision,
  RevisionDetail, RevisionDiff, Schemas,
} from './types';

export type AuditPage = Schemas['PaginatedAuditEntryList'];

export const changeRequestsApi = {
  list: (params: URLSearchParams) => listAll<ChangeRequest>(`/api/change-requests/?${params.toString()}`),
  get: (id: number) => request<ChangeRequestDetail>('GET', `/api/change-requests/${id}/`),
  create: (design: number, title: string, description: string) =>
    request<ChangeRequestDetail>('POST', '/api/change-requests/', { design, title, description }),
  submit: (id: number) => request<ChangeRequestDetail>('POST', `/api/change-requests/${id}/submit/`),
  refresh: (id: number) => request<ChangeRequestDetail>('POST', `/api/change-requests/${id}/refresh/`),
  review: (id: number, decision: ReviewDecision, comment: string) =>
    request<ChangeRequestDetail>('POST', `/api/change-requests/${id}/review/`, { decision, comment }),
  deploy: (id: number) => request<ChangeRequestDetail>('POST', `/api/change-requests/${id}/deploy/`),
  comment: (id: number, body: string, hostName = '', line: number | null = null) =>
    request<ChangeRequestComment>('POST', `/api/change-requests/${id}/comments/`, { body, host_name: hostName, line }),
  host: (id: number, hostName: string) => request<HostDiff>('GET', `/api/change-requests/${id}/hosts/${encodeURIComponent(hostName)}/`),
};

export const revisionsApi = {
  list: (designId: number) => listAll<Revision>('/api/revisions/', { design_id: designId, ordering: '-number' }),
  get: (id: number) => request<RevisionDetail>('GET', `/api/revisions/${id}/`),
  diff: (id: number, against: number) => request<RevisionDiff>('GET', `/api/revisions/${id}/diff/`, undefined, { against }),
  restore: (id: number) => request<ChangeRequestDetail>('POST', `/api/revisions/${id}/restore/`),
};

export const auditApi = {
  page: (query: Query) => request<AuditPage>('GET', '/api/audit-entries/', undefined, query),
};

export type { AuditEntry };
