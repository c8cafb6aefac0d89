/** The design endpoints the designer uses, behind an interface so the store can be tested without a server. */
import { listAll, request } from './client';
import type { Design, Me, RenderedHost, ValidationReport } from './types';
import { emptyObjects, ENDPOINTS, KINDS, type Kind, type ObjectOf, type Objects } from '../model/kinds';

export interface DesignApi {
  loadDesign(designId: number): Promise<{ design: Design; objects: Objects }>;
  create<K extends Kind>(kind: K, data: Record<string, unknown>): Promise<ObjectOf<K>>;
  update<K extends Kind>(kind: K, id: number, data: Record<string, unknown>): Promise<ObjectOf<K>>;
  remove(kind: Kind, id: number, version?: number): Promise<void>;
  validate(designId: number): Promise<ValidationReport>;
}

export const httpDesignApi: DesignApi = {
  async loadDesign(designId) {
    const design = await request<Design>('GET', `/api/designs/${designId}/`);
    const objects = emptyObjects();
    const lists = await Promise.all(KINDS.map((kind) => listAll<{ id: number }>(ENDPOINTS[kind], { design_id: designId })));
    KINDS.forEach((kind, i) => {
      const bucket = objects[kind] as Record<number, unknown>;
      for (const obj of lists[i]) bucket[obj.id] = obj;
    });
    return { design, objects };
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
  create: (name: string, description: string) => request<Design>('POST', '/api/designs/', { name, description }),
  render: (designId: number, host: string) => request<RenderedHost[]>('GET', `/api/designs/${designId}/render/`, undefined, { host }),
};
