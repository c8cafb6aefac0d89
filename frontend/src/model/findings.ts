/** Validation findings as the designer uses them: which objects they are about, and badges per canvas node. */
import type { Finding } from '../api/types';
import { fkId, type Kind, type Objects } from './kinds';

export interface ObjectRef {
  kind: Kind;
  id: number;
}

export interface DesignFinding {
  code: string;
  severity: string;
  message: string;
  objects: ObjectRef[];
  paths: string[];
}

export interface Badge {
  errors: number;
  warnings: number;
}

/** Server kind names (model or document spelling) to the designer's kinds. */
const KIND_ALIASES: Record<string, Kind> = {
  host: 'host',
  interface: 'interface',
  switch: 'switch',
  switchport: 'switchPort',
  port: 'switchPort',
  jail: 'jail',
  jailnic: 'jailNic',
  jailaddress: 'jailAddress',
  vm: 'vm',
  virtualmachine: 'vm',
  vmnic: 'vmNic',
  vxlansegment: 'vxlanSegment',
  segment: 'vxlanSegment',
  vxlan: 'vxlanSegment',
  vxlanmember: 'vxlanMember',
  member: 'vxlanMember',
  dhcpservice: 'dhcpService',
  dhcp: 'dhcpService',
  dhcpstaticlease: 'dhcpLease',
  dhcplease: 'dhcpLease',
  staticlease: 'dhcpLease',
  lease: 'dhcpLease',
  outboundnat: 'nat',
  nat: 'nat',
  portredirect: 'redirect',
  redirect: 'redirect',
};

export function kindFromServer(name: unknown): Kind | null {
  if (typeof name !== 'string') return null;
  return KIND_ALIASES[name.toLowerCase().replace(/[^a-z]/g, '')] ?? null;
}

/** Accepts `object: {kind, path, id}` and `objects: [{kind, path, id}]`. */
export function normalizeFinding(raw: Finding): DesignFinding {
  const listed: unknown[] = raw.objects?.length ? raw.objects : raw.object ? [raw.object] : [];
  const objects: ObjectRef[] = [];
  const paths: string[] = [];
  for (const item of listed) {
    if (!item || typeof item !== 'object') continue;
    const entry = item as Record<string, unknown>;
    if (typeof entry.path === 'string') paths.push(entry.path);
    const kind = kindFromServer(entry.kind);
    if (kind && typeof entry.id === 'number') objects.push({ kind, id: entry.id });
  }
  return { code: raw.code, severity: String(raw.severity).toLowerCase(), message: raw.message, objects, paths };
}

/** The canvas node that shows an object: NICs, ports, addresses and leases show on their owner. */
export function nodeIdOf(objects: Objects, ref: ObjectRef): string | null {
  const get = <K extends Kind>(kind: K, id: number) => objects[kind][id];
  switch (ref.kind) {
    case 'host':
    case 'interface':
    case 'switch':
    case 'jail':
    case 'vm':
    case 'vxlanSegment':
    case 'dhcpService':
    case 'nat':
    case 'redirect':
      return get(ref.kind, ref.id) ? `${ref.kind}:${ref.id}` : null;
    case 'jailNic':
    case 'jailAddress': {
      const obj = get(ref.kind, ref.id);
      return obj ? `jail:${fkId(obj.jail)}` : null;
    }
    case 'vmNic': {
      const obj = get('vmNic', ref.id);
      return obj ? `vm:${fkId(obj.vm)}` : null;
    }
    case 'switchPort': {
      const obj = get('switchPort', ref.id);
      return obj ? `switch:${fkId(obj.switch)}` : null;
    }
    case 'vxlanMember': {
      const obj = get('vxlanMember', ref.id);
      return obj ? `vxlanSegment:${fkId(obj.segment)}` : null;
    }
    case 'dhcpLease': {
      const obj = get('dhcpLease', ref.id);
      return obj ? `dhcpService:${fkId(obj.service)}` : null;
    }
  }
}

export function isError(finding: DesignFinding): boolean {
  return finding.severity === 'error';
}

/** Error and warning counts per canvas node id. */
export function badgesByNode(objects: Objects, findings: DesignFinding[]): Record<string, Badge> {
  const out: Record<string, Badge> = {};
  for (const finding of findings) {
    const seen = new Set<string>();
    for (const ref of finding.objects) {
      const nodeId = nodeIdOf(objects, ref);
      if (!nodeId || seen.has(nodeId)) continue;
      seen.add(nodeId);
      const badge = (out[nodeId] ??= { errors: 0, warnings: 0 });
      if (isError(finding)) badge.errors += 1;
      else badge.warnings += 1;
    }
  }
  return out;
}
