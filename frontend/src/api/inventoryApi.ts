/** The inventory endpoints: registered hosts (`/api/managed-hosts/`), their credentials (`/api/credentials/`),
 * Test connection and host-key pinning. Shapes are generated from the OpenAPI schema (`npm run gen:api`). */
import { listAll, request } from './client';
import type { Job } from './jobApi';
import type { Schemas } from './types';

export type ManagedHost = Schemas['ManagedHost'];
export type HostKeyState = Schemas['HostKeyStateEnum'];
export type Credential = Schemas['Credential'];
export type CredentialKind = Schemas['CredentialKindEnum'];
/** What a test connection found (the result of its job). */
export interface ContactResult {
  ok: boolean;
  host_key_state: string;
  offered_fingerprint: string;
  facts: Record<string, unknown>;
  error: string;
}
export type HostMappingEntry = Schemas['HostMappingEntry'];

/** What a host is saved with: `credential` is the credential's id. */
export interface HostInput {
  name: string;
  management_address: string;
  ssh_port: number;
  credential: number | null;
}

/** A credential to create: the secret (password or private key) is sent once and never shown again. */
export interface CredentialInput {
  name: string;
  kind: CredentialKind;
  username: string;
  secret: string;
}

export const inventoryApi = {
  hosts: () => listAll<ManagedHost>('/api/managed-hosts/'),
  host: (id: number) => request<ManagedHost>('GET', `/api/managed-hosts/${id}/`),
  createHost: (input: HostInput) => request<ManagedHost>('POST', '/api/managed-hosts/', input),
  updateHost: (id: number, version: number, input: HostInput) =>
    request<ManagedHost>('PATCH', `/api/managed-hosts/${id}/`, { ...input, version }),
  credentials: () => listAll<Credential>('/api/credentials/'),
  createCredential: (input: CredentialInput) => request<Credential>('POST', '/api/credentials/', input),
  /** Queue a test connection job. First contact: reads the key (nothing sent). Once pinned: logs in and gathers
   * facts. Follow the job (JobView); its result is a `ContactResult`. */
  testConnection: (id: number) => request<Job>('POST', `/api/managed-hosts/${id}/test-connection/`),
  /** Which registered host each host of a design is deployed to. */
  hostMapping: (designId: number) => request<HostMappingEntry[]>('GET', `/api/designs/${designId}/host-mapping/`),
  /** Map design hosts (by name) to registered hosts (by id; null: unmapped); all or nothing. */
  mapHosts: (designId: number, mapping: Record<string, number | null>) =>
    request<HostMappingEntry[]>('PUT', `/api/designs/${designId}/host-mapping/`, { mapping }),
  /** Confirm the offered key by its fingerprint, or pin a pasted public key; a re-pin needs a reason. */
  pinKey: (id: number, body: { fingerprint?: string; public_key?: string; reason?: string }) =>
    request<ManagedHost>('POST', `/api/managed-hosts/${id}/pin-key/`, body),
};
