/** The design endpoints the designer uses, behind an interface so the store can be tested without a server. */
import { ApiError, listAll, request } from './client';
import type { Design, Me, RenderedHost, ValidationReport } from './types';
import { emptyObjects, ENDPOINTS, KINDS, type Kind, type ObjectOf, type Objects } from '../model/kinds';

export interface DesignApi {
  loadDesign(designId: number): Promise<{ design: Design; objects: Objects }>;
  create<K extends Kind>(kind: K, data: Record<string, unknown>): Promise<ObjectOf<K>>;
  update<K extends Kind>(kind: K, id: number, data: Record<string, unknown>): Promise<ObjectOf<K>>;
  remove(kind: Kind, id: number, version?: number): Promise<void>;
  validate(designId: number): Promise<ValidationReport>;
}

/** `/api/jail-nics/` → `jail-nics`: the key of a kind in the graph endpoint's answer. */
function routeOf(kind: Kind): string {
  return ENDPOINTS[kind].replace(/^\/api\//, '').replace(/\/$/, '');
}

function objectsOf(listOf: (kind: Kind) => { id: number }[]): Objects {
  const objects = emptyObjects();
  for (const kind of KINDS) {
    const bucket = objects[kind] as Record<number, unknown>;
    for (const obj of listOf(kind)) bucket[obj.id] = obj;
  }
  return objects;
}

export const httpDesignApi: DesignApi = {
  async loadDesign(designId) {
    // One request for the whole design where the server has the graph endpoint; else one list per kind.
    try {
      const graph = await request<{ design: Design; objects: Record<string, { id: number }[]> }>('GET', `/api/designs/${designId}/graph/`);
      return { design: graph.design, objects: objectsOf((kind) => graph.objects[routeOf(kind)] ?? []) };
    } catch (error) {
      // 404: a server without the route (a missing design answers 404 again below, with its message).
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
    const design = await request<Design>('GET', `/api/designs/${designId}/`);
    const lists = await Promise.all(KINDS.map((kind) => listAll<{ id: number }>(ENDPOINTS[kind], { design_id: designId })));
    return { design, objects: objectsOf((kind) => lists[KINDS.indexOf(kind)]) };
  },
  create: (kind, data) => request('POST', ENDPOINTS[kind], data),
  update: (kind, id, data) => request('PATCH', `${ENDPOINTS[kind]}${id}/`, data),
  remove: (kind, id, version) => request('DELETE', `${ENDPOINTS[kind]}${id}/`, undefined, { version }),
  validate: (designId) => request('GET', `/api/designs/${designId}/validation/`),
};

export const sessionApi = {
  csrf: () => request<{ csrf_token: string }>('GET', '/api/session/'),
  login: (username: string, password: string) => request<Me>('POST', '/api/session/', { username, password }),
  logout: () => request<void>('DELETE', '/api/session/'),
  me: () => request<Me>('GET', '/api/me/'),
};

export const designsApi = {
  list: () => listAll<Design>('/api/designs/'),
  get: (designId: number) => request<Design>('GET', `/api/designs/${designId}/`),
  create: (name: string, description: string) => request<Design>('POST', '/api/designs/', { name, description }),
  render: (designId: number, host: string) => request<RenderedHost[]>('GET', `/api/designs/${designId}/render/`, undefined, { host }),
};
