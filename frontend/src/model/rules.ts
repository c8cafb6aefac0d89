/**
 * Topology rules: what may be connected to what on the canvas, and which object a connection creates.
 *
 * - a VNET jail or a VM joins a switch on its own host (a NIC: epair or tap);
 * - a physical or VLAN interface joins a switch on its own host, and only one switch (a port, `addm`);
 * - a VXLAN segment joins a switch on any host (that host's vxlan member), over an underlay interface.
 */
import { fkId, type Kind, type Objects } from './kinds';
import { parseNodeId } from './graph';
import { nextFreeAddress } from './addressPlan';

export type ConnectionPlan =
  | {
      ok: true;
      kind: 'jailNic' | 'vmNic' | 'switchPort' | 'vxlanMember';
      data: Record<string, unknown>;
      /** A change to the jail or VM that goes with its first NIC: the switch's address as default router. */
      owner?: { kind: 'jail' | 'vm'; id: number; changes: Record<string, unknown> };
    }
  | { ok: false; reason: string };

/** The switch's own address as the default router of a guest with none yet (the article's layout). */
function routerFrom(swAddress: string | null | undefined, current: string | null | undefined): Record<string, unknown> | null {
  if (current || !swAddress?.includes('/')) return null;
  return { default_router: swAddress.split('/')[0] };
}

const refuse = (reason: string): ConnectionPlan => ({ ok: false, reason });

function hostOf(objects: Objects, kind: Kind, id: number): number | null {
  switch (kind) {
    case 'host':
      return id;
    case 'interface':
    case 'switch':
    case 'jail':
    case 'vm': {
      const obj = objects[kind][id];
      return obj ? fkId(obj.host) : null;
    }
    default:
      return null;
  }
}

/** The interface a VXLAN member tunnels over: a physical interface with an address, else any physical or VLAN one. */
export function underlayFor(objects: Objects, hostId: number): number | null {
  const candidates = Object.values(objects.interface)
    .filter((i) => fkId(i.host) === hostId && i.kind !== 'loopback')
    .sort((a, b) => {
      const score = (i: typeof a) => (i.kind === 'physical' ? 0 : 2) + (i.address || i.dhcp ? 0 : 1);
      return score(a) - score(b) || a.name.localeCompare(b.name);
    });
  return candidates[0]?.id ?? null;
}

function nextName(prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 0; ; n++) if (!used.has(`${prefix}${n}`)) return `${prefix}${n}`;
}

/** What connecting canvas nodes `a` and `b` (in either order) would create, or why it is not allowed. */
export function planConnection(objects: Objects, a: string, b: string): ConnectionPlan {
  if (a === b) return refuse('A node cannot connect to itself.');
  const first = parseNodeId(a);
  const second = parseNodeId(b);
  if (!first || !second) return refuse('Unknown node.');
  const pair = [first, second];
  const sw = pair.find((p) => p.kind === 'switch');
  const other = pair.find((p) => p !== sw);
  if (!sw || !other) return refuse('Connections go to a switch.');
  const swObj = objects.switch[sw.id];
  if (!swObj) return refuse('Unknown switch.');
  const switchHost = fkId(swObj.host);

  if (other.kind === 'vxlanSegment') {
    const segment = objects.vxlanSegment[other.id];
    if (!segment) return refuse('Unknown VXLAN segment.');
    const members = Object.values(objects.vxlanMember);
    if (members.some((m) => fkId(m.segment) === other.id && fkId(m.switch) === sw.id))
      return refuse(`${segment.name} is already on ${swObj.name}.`);
    if (switchHost === null) return refuse('Unknown host.');
    const underlay = underlayFor(objects, switchHost);
    if (underlay === null) return refuse('The host needs a physical interface to carry the VXLAN (the underlay).');
    const takenNames = members.filter((m) => fkId(m.host) === switchHost).map((m) => m.interface_name);
    let interfaceName = `vxlan${segment.vni}`;
    if (takenNames.includes(interfaceName) || interfaceName.length > 15) interfaceName = nextName('vxlan', takenNames);
    return {
      ok: true,
      kind: 'vxlanMember',
      data: { segment: other.id, host: switchHost, switch: sw.id, interface_name: interfaceName, underlay_interface: underlay },
    };
  }

  const otherHost = hostOf(objects, other.kind, other.id);
  if (other.kind === 'switch') return refuse('Two switches are not connected directly; use an interface or a VXLAN segment.');
  if (!['jail', 'vm', 'interface'].includes(other.kind)) return refuse('Only jails, VMs, interfaces and VXLAN segments join a switch.');
  if (otherHost === null || otherHost !== switchHost)
    return refuse(`${swObj.name} is on another host; a ${other.kind === 'interface' ? 'n interface' : other.kind} can only join a switch of its own host.`);

  if (other.kind === 'jail') {
    const jail = objects.jail[other.id];
    if (jail.type !== 'vnet') return refuse(`${jail.name} is a plain jail: it has no NIC; give it an address on an interface instead.`);
    const nics = Object.values(objects.jailNic).filter((n) => fkId(n.jail) === jail.id);
    if (nics.some((n) => fkId(n.switch) === sw.id)) return refuse(`${jail.name} is already on ${swObj.name}.`);
    const address = nextFreeAddress(objects, sw.id);
    const router = nics.length === 0 ? routerFrom(swObj.address, jail.default_router) : null;
    return {
      ok: true,
      kind: 'jailNic',
      data: { jail: jail.id, switch: sw.id, name: nextName('vnet', nics.map((n) => n.name ?? '')), ...(address ? { address } : {}) },
      ...(router ? { owner: { kind: 'jail' as const, id: jail.id, changes: router } } : {}),
    };
  }
  if (other.kind === 'vm') {
    const vm = objects.vm[other.id];
    const nics = Object.values(objects.vmNic).filter((n) => fkId(n.vm) === vm.id);
    if (nics.some((n) => fkId(n.switch) === sw.id)) return refuse(`${vm.name} is already on ${swObj.name}.`);
    const index = nics.reduce((max, n) => Math.max(max, (n.index ?? 0) + 1), 0);
    // On a switch with DHCP the guest asks for its address; elsewhere it gets the next free one statically.
    const served = Object.values(objects.dhcpService).some((d) => fkId(d.switch) === sw.id);
    const address = served ? null : nextFreeAddress(objects, sw.id);
    const router = nics.length === 0 && !served ? routerFrom(swObj.address, vm.default_router) : null;
    return {
      ok: true,
      kind: 'vmNic',
      data: { vm: vm.id, switch: sw.id, index, ...(served ? { dhcp: true } : address ? { address } : {}) },
      ...(router ? { owner: { kind: 'vm' as const, id: vm.id, changes: router } } : {}),
    };
  }
  const iface = objects.interface[other.id];
  if (iface.kind === 'loopback') return refuse('A loopback interface cannot join a switch.');
  const port = Object.values(objects.switchPort).find((p) => fkId(p.interface) === iface.id);
  if (port) return refuse(`${iface.name} is already a member of ${objects.switch[fkId(port.switch) ?? -1]?.name ?? 'a switch'}.`);
  return { ok: true, kind: 'switchPort', data: { switch: sw.id, interface: iface.id } };
}
