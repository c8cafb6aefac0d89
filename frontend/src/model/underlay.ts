/**
 * The networks between hosts, derived from the design (nothing stored): the physical LANs the hosts'
 * interfaces share, and the uplink a host reaches the internet through.
 *
 * - Interfaces (physical or VLAN, with a static address) of two or more hosts in one subnet: one LAN node,
 *   e.g. S10's 192.168.0.0/24 that carries the VXLAN segments.
 * - An interface a host NATs on, or the one whose subnet holds the host's default router when no other
 *   host shares that subnet: an uplink node ("Internet").
 */
import { inSubnet, networkOf } from './checks';
import { fkId, type Objects } from './kinds';

export interface Underlay {
  /** Canvas node id: `underlay:<subnet>` or `uplink:if<interface id>` (no object behind it). */
  id: string;
  kind: 'lan' | 'uplink';
  title: string;
  detail: string;
  /** Interfaces attached to it. */
  interfaces: number[];
}

export function underlayNetworks(objects: Objects): Underlay[] {
  const bySubnet = new Map<string, number[]>();
  const uplinks: Underlay[] = [];
  const natOn = new Set(Object.values(objects.nat).map((n) => `${fkId(n.host)}:${n.interface}`));
  const interfaces = Object.values(objects.interface).sort((a, b) => a.id - b.id);
  for (const iface of interfaces) {
    if (iface.kind === 'loopback' || !iface.address?.includes('/')) continue;
    const subnet = networkOf(iface.address);
    bySubnet.set(subnet, [...(bySubnet.get(subnet) ?? []), iface.id]);
  }
  const hostsOf = (ids: number[]) => new Set(ids.map((id) => fkId(objects.interface[id].host)));
  const underlayOf = new Set(Object.values(objects.vxlanMember).map((m) => fkId(m.underlay_interface)));
  const lans: Underlay[] = [];
  for (const [subnet, ids] of bySubnet) {
    if (hostsOf(ids).size >= 2) {
      const carries = ids.some((id) => underlayOf.has(id));
      lans.push({ id: `underlay:${subnet}`, kind: 'lan', title: `LAN ${subnet}`, detail: carries ? 'VXLAN underlay' : `${ids.length} hosts`, interfaces: ids });
      continue;
    }
    for (const id of ids) {
      const iface = objects.interface[id];
      const host = objects.host[fkId(iface.host) ?? -1];
      const nat = natOn.has(`${fkId(iface.host)}:${iface.name}`);
      const router = host?.default_router && inSubnet(host.default_router, iface.address!) ? host.default_router : null;
      if (nat || router) uplinks.push({ id: `uplink:if${id}`, kind: 'uplink', title: 'Internet', detail: `${subnet}${router ? ` via ${router}` : ''}${nat ? ' · NAT' : ''}`, interfaces: [id] });
    }
  }
  // An interface with DHCP on it and NAT: the uplink of a host that learns its address.
  for (const iface of interfaces) {
    if (iface.dhcp && natOn.has(`${fkId(iface.host)}:${iface.name}`))
      uplinks.push({ id: `uplink:if${iface.id}`, kind: 'uplink', title: 'Internet', detail: 'DHCP · NAT', interfaces: [iface.id] });
  }
  return [...uplinks, ...lans];
}
