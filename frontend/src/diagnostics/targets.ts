/** What a right-click on the diagram offers to diagnose: a host (its catalogue), or a switch or VXLAN segment
 * (a capture on its interface, with the hosts it is on to pick from). Pure. */
import { fkId, type Objects } from '../model/kinds';
import { parseNodeId } from '../model/graph';
import { normalizeFinding, type DesignFinding } from '../model/findings';
import type { DriftFinding } from '../api/diagnosticsApi';
import type { Finding } from '../api/types';

/** A host to run on, and the interface to capture on there (a switch's bridge, a segment's vxlan interface). */
export interface HostChoice {
  host: string;
  interface?: string;
}

export interface DiagnosticsTarget {
  title: string;
  hosts: HostChoice[];
  /** The diagnostic to preselect (`capture` for a switch or a segment). */
  diagnostic?: string;
}

function hostName(objects: Objects, value: unknown): string | null {
  const id = fkId(value);
  return id === null ? null : (objects.host[id]?.name ?? null);
}

/** The target of the canvas node `nodeId`, or null when the node is nothing to diagnose. */
export function targetOfNode(objects: Objects, nodeId: string): DiagnosticsTarget | null {
  const parsed = parseNodeId(nodeId);
  if (!parsed) return null;
  if (parsed.kind === 'host') {
    const host = objects.host[parsed.id];
    return host ? { title: `Host ${host.name}`, hosts: [{ host: host.name }] } : null;
  }
  if (parsed.kind === 'switch') {
    const sw = objects.switch[parsed.id];
    const host = sw && hostName(objects, sw.host);
    return sw && host ? { title: `Capture on ${sw.name}`, hosts: [{ host, interface: sw.name }], diagnostic: 'capture' } : null;
  }
  if (parsed.kind === 'vxlanSegment') {
    const segment = objects.vxlanSegment[parsed.id];
    if (!segment) return null;
    const hosts: HostChoice[] = [];
    for (const member of Object.values(objects.vxlanMember)) {
      if (fkId(member.segment) !== parsed.id) continue;
      const host = hostName(objects, member.host);
      if (host) hosts.push({ host, interface: member.interface_name });
    }
    hosts.sort((a, b) => a.host.localeCompare(b.host));
    return { title: `Capture on ${segment.name} (VNI ${segment.vni})`, hosts, diagnostic: 'capture' };
  }
  return null;
}

/** Every host of the design (the panel opened from the toolbar). */
export function designTarget(objects: Objects): DiagnosticsTarget {
  const hosts = Object.values(objects.host)
    .map((h) => ({ host: h.name }))
    .sort((a, b) => a.host.localeCompare(b.host));
  return { title: 'Diagnostics', hosts };
}

/** Drift findings in the shape of validation findings, for the diagram's badges. */
export function driftAsFindings(drift: readonly DriftFinding[]): DesignFinding[] {
  return drift.map((f) => normalizeFinding({ code: f.code, severity: f.severity, message: f.message, object: f.object } as unknown as Finding));
}

/** The versions a drift run compared its hosts with ("revision 3", "the current design (never deployed by the app)"),
 * one line per version with the hosts compared with it. */
export function comparedWith(parameters: unknown): string[] {
  const compared = (parameters as { compared?: Record<string, { label?: unknown }> } | null)?.compared;
  if (!compared || typeof compared !== 'object') return [];
  const hosts = new Map<string, string[]>();
  for (const [host, version] of Object.entries(compared)) {
    const label = typeof version?.label === 'string' ? version.label : 'an unknown version';
    hosts.set(label, [...(hosts.get(label) ?? []), host]);
  }
  return [...hosts].map(([label, names]) => `${label} (${names.join(', ')})`);
}
