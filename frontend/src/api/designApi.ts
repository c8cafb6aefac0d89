/** The design endpoints the designer uses, behind an interface so the store can be tested without a server. */
import { listAll, request } from './client';
import type { Design, Me, RenderedHost, Schemas, Session, ValidationReport } from './types';
import { emptyObjects, ENDPOINTS, KINDS, type Kind, type ObjectOf, type Objects } from '../model/kinds';

/** Per host: what a collapsed host node summarizes (from `?scope=overview`). */
export type HostCounts = Schemas['HostCounts'];
type DesignGraph = Schemas['DesignGraph'];
type GraphRoute = keyof DesignGraph['objects'];

export interface DesignOverview {
  design: Design;
  /** Hosts, switches, VXLAN segments and members only. */
  objects: Objects;
  counts: Record<number, HostCounts>;
}

export interface DesignApi {
  loadDesign(designId: number): Promise<{ design: Design; objects: Objects }>;
  /** What collapsed hosts need. */
  loadOverview(designId: number): Promise<DesignOverview>;
  /** Every object of these hosts (the hosts included). */
  loadHosts(designId: number, hostIds: number[]): Promise<Objects>;
  /** One object (to find the host of an object not loaded yet). */
  get<K extends Kind>(kind: K, id: number): Promise<ObjectOf<K>>;
  create<K extends Kind>(kind: K, data: Record<string, unknown>): Promise<ObjectOf<K>>;
  update<K extends Kind>(kind: K, id: number, data: Record<string, unknown>): Promise<ObjectOf<K>>;
  remove(kind: Kind, id: number, version?: number): Promise<void>;
  validate(designId: number): Promise<ValidationReport>;
}

/** `/api/jail-nics/` → `jail-nics`: the key of a kind in the graph endpoint's answer. */
function routeOf(kind: Kind): GraphRoute {
  return ENDPOINTS[kind].replace(/^\/api\//, '').replace(/\/$/, '') as GraphRoute;
}

export function objectsOf(graph: DesignGraph): Objects {
  const objects = emptyObjects();
  for (const kind of KINDS) {
    const bucket = objects[kind] as Record<number, unknown>;
    for (const obj of graph.objects[routeOf(kind)]) bucket[obj.id] = obj;
  }
  return objects;
}

const graphOf = (designId: number, query?: Record<string, string>) =>
  request<DesignGraph>('GET', `/api/designs/${designId}/graph/`, undefined, query);

export const httpDesignApi: DesignApi = {
  async loadDesign(designId) {
    const graph = await graphOf(designId);
    return { design: graph.design, objects: objectsOf(graph) };
  },
  async loadOverview(designId) {
    const graph = await graphOf(designId, { scope: 'overview' });
    const counts = Object.fromEntries(Object.entries(graph.counts ?? {}).map(([id, c]) => [Number(id), c]));
    return { design: graph.design, objects: objectsOf(graph), counts };
  },
  async loadHosts(designId, hostIds) {
    return objectsOf(await graphOf(designId, { host: hostIds.join(',') }));
  },
  get: (kind, id) => request('GET', `${ENDPOINTS[kind]}${id}/`),
  create: (kind, data) => request('POST', ENDPOINTS[kind], data),
  update: (kind, id, data) => request('PATCH', `${ENDPOINTS[kind]}${id}/`, data),
  remove: (kind, id, version) => request('DELETE', `${ENDPOINTS[kind]}${id}/`, undefined, { version }),
  validate: (designId) => request('GET', `/api/designs/${designId}/validation/`),
};

export const sessionApi = {
  /** Sets the CSRF cookie and says who is logged in (`me` is null before login: no error answer to log). */
  csrf: () => request<Session>('GET', '/api/session/'),
  login: (username: string, password: string) => request<Me>('POST', '/api/session/', { username, password }),
  logout: () => request<void>('DELETE', '/api/session/'),
  me: () => request<Me>('GET', '/api/me/'),
};

export const designsApi = {
  list: (query: { search?: string; ordering?: string; archived?: boolean } = {}) => listAll<Design>('/api/designs/', query),
  /** A copy under a new name (content and node positions), owned by the caller. */
  clone: (designId: number, name: string) => request<Design>('POST', `/api/designs/${designId}/clone/`, { name }),
  get: (designId: number) => request<Design>('GET', `/api/designs/${designId}/`),
  create: (name: string, description: string) => request<Design>('POST', '/api/designs/', { name, description }),
  /** What importing a YAML document would change, object by object; nothing is saved. */
  importPreview: (document: string) => request<Schemas['ImportPreview']>('POST', '/api/designs/import-preview/', { document }),
  /** Create or update the design the document names (the `layout` section places its nodes). */
  importDocument: (document: string) => request<Schemas['DesignImportResult']>('POST', '/api/designs/import/', { document }),
  /** Change a design's own fields; `version` is the one read (409 when someone changed it since). */
  update: (designId: number, data: Partial<Design>) => request<Design>('PATCH', `/api/designs/${designId}/`, data),
  render: (designId: number, host: string) => request<RenderedHost[]>('GET', `/api/designs/${designId}/render/`, undefined, { host }),
};
