/** Pure helpers of the change-request, audit and history pages: list filters, who may do what, field diffs. */
import type { Query } from '../api/client';
import { allows } from './roles';

export const CHANGE_REQUEST_STATES = [
  'draft', 'submitted', 'approved', 'changes_requested', 'rejected', 'deploying', 'deployed', 'partly_deployed', 'failed',
  'rolled_back',
] as const;
export type ChangeRequestState = (typeof CHANGE_REQUEST_STATES)[number];

/** States in which a request is still open (can be reviewed, refreshed or deployed). */
export const OPEN_STATES: ReadonlySet<string> = new Set(['draft', 'submitted', 'approved', 'changes_requested']);

export interface ChangeRequestFilters {
  mine: boolean;
  waitingForMe: boolean;
  states: string[];
  design: string;
}

export const NO_CHANGE_REQUEST_FILTERS: ChangeRequestFilters = { mine: false, waitingForMe: false, states: [], design: '' };

/** Query parameters of `GET /api/change-requests/` for the list's filters (newest first). */
export function changeRequestQuery(filters: ChangeRequestFilters): URLSearchParams {
  const params = new URLSearchParams({ ordering: '-created' });
  if (filters.mine) params.set('mine', 'true');
  if (filters.waitingForMe) params.set('waiting_for_me', 'true');
  for (const state of filters.states) params.append('state', state);
  if (filters.design.trim()) params.set('design', filters.design.trim());
  return params;
}

export interface AuditFilters {
  user: string;
  object_type: string;
  design: string;
  host: string;
  action: string;
  source: string;
  /** `datetime-local` input values (local time); sent as ISO instants. */
  since: string;
  until: string;
}

export const NO_AUDIT_FILTERS: AuditFilters = { user: '', object_type: '', design: '', host: '', action: '', source: '', since: '', until: '' };

/** Query parameters of `GET /api/audit-entries/` (and its export) for the page's filters; empty ones are left out. */
export function auditQuery(filters: AuditFilters, page?: { limit: number; offset: number }): Query {
  const query: Query = { ordering: '-time' };
  for (const key of ['user', 'object_type', 'design', 'host', 'action', 'source'] as const) {
    const value = filters[key].trim();
    if (value) query[key] = value;
  }
  for (const key of ['since', 'until'] as const) {
    if (!filters[key]) continue;
    const time = new Date(filters[key]);
    if (!Number.isNaN(time.getTime())) query[key] = time.toISOString();
  }
  if (page) Object.assign(query, page);
  return query;
}

/** `path?query` with the defined values of `query`. */
export function withParams(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface FieldChange {
  field: string;
  before: string | undefined;
  after: string | undefined;
}

/** What a reference field (`host_id`) points at, as the audit API names it. */
export interface Reference {
  kind: string;
  id: number;
  name: string | null;
}

function show(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * The fields an audit entry changed, in field order: a create shows every field's new value, a delete
 * every old one, an update only those that differ. Bookkeeping fields (version, last_updated) are left out.
 */
export function fieldChanges(before: unknown, after: unknown, references: Record<string, Reference> = {}): FieldChange[] {
  const b = (before && typeof before === 'object' ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === 'object' ? after : {}) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((f) => f !== 'version' && f !== 'last_updated');
  const out: FieldChange[] = [];
  for (const field of fields) {
    const old = show(b[field]);
    const now = show(a[field]);
    if (old === now) continue;
    // `host_id 18` reads as `host jailhost-a (#18)`: the name for people, the id kept for links.
    const ref = references[field];
    if (!ref) {
      out.push({ field, before: old, after: now });
      continue;
    }
    const named = (value: unknown) => (value === ref.id && ref.name ? `${ref.name} (#${ref.id})` : show(value));
    out.push({ field: field.replace(/_id$/, ''), before: named(b[field]), after: named(a[field]) });
  }
  return out;
}

interface Actor {
  username: string;
  actions: readonly string[]; // what the user's roles allow, from /api/me/
}

interface RequestLike {
  author: string;
  state: string;
  stale: boolean;
  /** Who changed the design since its last deployment (detail view only). */
  contributors?: readonly string[];
}

/** Whether `me` may review `request`: an approver (or admin) who is not its author, while it is submitted. */
export function canReview(me: Actor | null, request: RequestLike): boolean {
  if (!me || me.username === request.author) return false;
  if (!allows(me, 'approve')) return false;
  return request.state === 'submitted' && !request.stale;
}

/** Whether `me` may approve `request`: a reviewer who changed none of its content (four eyes). */
export function canApprove(me: Actor | null, request: RequestLike): boolean {
  return canReview(me, request) && !(request.contributors ?? []).includes(me?.username ?? '');
}

/** Whether `me` may start deploying `request`: an operator (or admin), the request approved and current. */
export function canDeploy(me: Actor | null, request: RequestLike): boolean {
  return allows(me, 'deploy') && request.state === 'approved' && !request.stale;
}

/** Whether `me` may submit (the author or a designer, from draft or after changes were requested). */
export function canSubmit(me: Actor | null, request: RequestLike): boolean {
  if (!me || request.stale) return false;
  return allows(me, 'edit_design') && (request.state === 'draft' || request.state === 'changes_requested');
}

/** A state in words. */
export function stateLabel(state: string): string {
  return state.replace(/_/g, ' ');
}
