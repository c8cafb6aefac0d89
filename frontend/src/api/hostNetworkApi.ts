/** A host's firewall (policy and ordered rules) and static routes: read and written through the REST API. */
import { listAll, request } from './client';
import type { Schemas } from './types';

export type FirewallPolicy = Schemas['FirewallPolicy'];
export type FirewallRule = Schemas['FirewallRule'];
export type StaticRoute = Schemas['StaticRoute'];
export type FirewallPolicyRequest = Schemas['FirewallPolicyRequest'];
export type FirewallRuleRequest = Schemas['FirewallRuleRequest'];
export type StaticRouteRequest = Schemas['StaticRouteRequest'];

export interface HostNetwork {
  policy: FirewallPolicy | null;
  rules: FirewallRule[];
  routes: StaticRoute[];
}

export const hostNetworkApi = {
  /** The host's own firewall (not its jails'), its rules in evaluation order, and its static routes. */
  async load(hostId: number): Promise<HostNetwork> {
    const [policies, routes] = await Promise.all([
      listAll<FirewallPolicy>('/api/firewall-policies/', { host_id: hostId }),
      listAll<StaticRoute>('/api/static-routes/', { host_id: hostId }),
    ]);
    const policy = policies.find((p) => p.host?.id === hostId) ?? null;
    const rules = policy ? await listAll<FirewallRule>('/api/firewall-rules/', { policy_id: policy.id }) : [];
    rules.sort((a, b) => (a.index ?? 0) - (b.index ?? 0) || a.id - b.id);
    return { policy, rules, routes: routes.sort((a, b) => a.name.localeCompare(b.name)) };
  },
  createPolicy: (data: FirewallPolicyRequest) => request<FirewallPolicy>('POST', '/api/firewall-policies/', data),
  updatePolicy: (id: number, data: Partial<FirewallPolicyRequest>) => request<FirewallPolicy>('PATCH', `/api/firewall-policies/${id}/`, data),
  getRule: (id: number) => request<FirewallRule>('GET', `/api/firewall-rules/${id}/`),
  createRule: (data: FirewallRuleRequest) => request<FirewallRule>('POST', '/api/firewall-rules/', data),
  updateRule: (id: number, data: Partial<FirewallRuleRequest>) => request<FirewallRule>('PATCH', `/api/firewall-rules/${id}/`, data),
  deleteRule: (id: number, version?: number) => request<void>('DELETE', `/api/firewall-rules/${id}/`, undefined, { version }),
  createRoute: (data: StaticRouteRequest) => request<StaticRoute>('POST', '/api/static-routes/', data),
  deleteRoute: (id: number, version?: number) => request<void>('DELETE', `/api/static-routes/${id}/`, undefined, { version }),
};
