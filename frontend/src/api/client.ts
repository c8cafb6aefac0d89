/** A small fetch wrapper for the jailnet REST API: session cookie, CSRF header, JSON, typed errors. */

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown, message?: string) {
    super(message ?? describeError(status, body));
    this.status = status;
    this.body = body;
  }

  /** Field errors of a 400 answer: field name to messages (`non_field_errors` for the whole object). */
  get fieldErrors(): Record<string, string[]> {
    if (this.status !== 400 || typeof this.body !== 'object' || this.body === null) return {};
    const out: Record<string, string[]> = {};
    for (const [field, value] of Object.entries(this.body as Record<string, unknown>)) {
      if (Array.isArray(value)) out[field] = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      else if (typeof value === 'string') out[field] = [value];
      else if (value && typeof value === 'object') out[field] = [JSON.stringify(value)];
    }
    return out;
  }
}

function describeError(status: number, body: unknown): string {
  if (body && typeof body === 'object' && 'detail' in body && typeof body.detail === 'string') return body.detail;
  if (status === 400) return 'The server refused the input.';
  if (status === 403) return 'You are not allowed to do this.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'Someone else changed this object.';
  return `The server answered ${status}.`;
}

export const SESSION_ENDED_EVENT = 'jailnet:session-ended';

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : '';
}

export type Query = Record<string, string | number | boolean | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

export async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRFToken'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(withQuery(path, query), {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('Content-Type') ?? '';
  const data: unknown = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    // The session ended (expired, or logged out in another tab): the app goes back to the login page.
    if ((response.status === 401 || response.status === 403) && /credentials were not provided/i.test(error.message))
      window.dispatchEvent(new Event(SESSION_ENDED_EVENT));
    throw error;
  }
  return data as T;
}

interface Page<T> {
  count: number;
  next: string | null;
  results: T[];
}

/** Every object of a list endpoint, following `next` links (1000 per page). */
export async function listAll<T>(path: string, query: Query = {}): Promise<T[]> {
  const out: T[] = [];
  let url: string | null = withQuery(path, { limit: 1000, ...query });
  while (url) {
    const page: Page<T> | T[] = await request<Page<T> | T[]>('GET', url);
    if (Array.isArray(page)) return page;
    out.push(...page.results);
    if (page.next) {
      const next: URL = new URL(page.next, window.location.origin);
      url = next.pathname + next.search;
    } else url = null;
  }
  return out;
}
