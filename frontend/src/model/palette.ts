/**
 * The palette: what each item adds to the design, with defaults a user would pick (the article's
 * names and numbers where it has them), and the host tools the new object needs.
 */
import { inSubnet, ipToNumber, networkOf, numberToIp } from './checks';
import { addressPlan, nextFreeAddress } from './addressPlan';
import { fkId, type Kind, type Objects } from './kinds';
import { switchKindsFor } from './switchKinds';

export type PaletteItemId =
  | 'jailhost'
  | 'gateway'
  | 'physical'
  | 'vlan'
  | 'loopback'
  | 'switch'
  | 'vxlan'
  | 'plain-jail'
  | 'vnet-jail'
  | 'vm'
  | 'nat'
  | 'redirect'
  | 'dhcp';

export interface PaletteItem {
  id: PaletteItemId;
  label: string;
  /** Where it goes: the design, a host, or a switch. */
  target: 'design' | 'host' | 'switch';
  hint: string;
}

export const PALETTE: PaletteItem[] = [
  { id: 'jailhost', label: 'Jailhost', target: 'design', hint: 'A FreeBSD host running jails and VMs' },
  { id: 'gateway', label: 'Gateway', target: 'design', hint: 'A host forwarding between networks' },
  { id: 'physical', label: 'Physical interface', target: 'host', hint: 'em0, igb0 …' },
  { id: 'vlan', label: 'VLAN interface', target: 'host', hint: 'em0.101 on a physical interface' },
  { id: 'loopback', label: 'Loopback', target: 'host', hint: 'lo1 for plain jails' },
  { id: 'switch', label: 'Switch', target: 'host', hint: 'A bridge jails and VMs join' },
  { id: 'vxlan', label: 'VXLAN segment', target: 'design', hint: 'Connect it to switches on several hosts' },
  { id: 'plain-jail', label: 'Plain jail', target: 'host', hint: 'Address aliased on a host interface' },
  { id: 'vnet-jail', label: 'VNET jail', target: 'host', hint: 'Own network stack; connect it to a switch' },
  { id: 'vm', label: 'VM', target: 'host', hint: 'bhyve guest; connect it to a switch' },
  { id: 'nat', label: 'NAT', target: 'host', hint: 'Outbound NAT behind an interface' },
  { id: 'redirect', label: 'Port redirect', target: 'host', hint: 'Forward a port to a jail or VM' },
  { id: 'dhcp', label: 'DHCP', target: 'switch', hint: 'dnsmasq on the selected switch' },
];

export interface PaletteContext {
  objects: Objects;
  designId: number;
  hostId: number | null;
  switchId: number | null;
  position: { x: number; y: number } | null;
}

export type PalettePlan =
  | { ok: true; kind: Kind; data: Record<string, unknown>; hostFlags?: Record<string, boolean> }
  | { ok: false; reason: string };

function nextNumbered(prefix: string, names: string[], start = 0): string {
  const used = new Set(names);
  for (let n = start; ; n++) if (!used.has(`${prefix}${n}`)) return `${prefix}${n}`;
}

function nextLettered(prefix: string, names: string[]): string {
  const used = new Set(names);
  for (const letter of 'abcdefghijklmnopqrstuvwxyz') if (!used.has(`${prefix}${letter}`)) return `${prefix}${letter}`;
  return nextNumbered(prefix, names, 1);
}

const onHost = <T extends { host: unknown }>(list: Record<number, T>, hostId: number) =>
  Object.values(list).filter((o) => fkId(o.host) === hostId);

/** The host's preferred external interface: the first physical interface with an address. */
function externalInterface(objects: Objects, hostId: number): string | null {
  const list = onHost(objects.interface, hostId).filter((i) => i.kind === 'physical');
  list.sort((a, b) => Number(!(a.address || a.dhcp)) - Number(!(b.address || b.dhcp)) || a.name.localeCompare(b.name));
  return list[0]?.name ?? null;
}

/** A DHCP range inside the switch's subnet, away from the switch's own address: .100–.199 in a /24. */
export function dhcpRangeFor(switchAddress: string): { start: string; end: string } | null {
  if (!switchAddress.includes('/')) return null;
  const prefix = Number(switchAddress.split('/')[1]);
  if (prefix > 29) return null;
  const network = ipToNumber(networkOf(switchAddress).split('/')[0]);
  const size = 2 ** (32 - prefix);
  const start = size >= 256 ? 100 : Math.floor(size / 2);
  const end = Math.min(size - 2, start + 99);
  return { start: numberToIp(network + start), end: numberToIp(network + end) };
}

export function planPaletteItem(item: PaletteItemId, ctx: PaletteContext): PalettePlan {
  const { objects, hostId, position } = ctx;
  const pos = position ? { position_x: Math.round(position.x), position_y: Math.round(position.y) } : {};
  const hostNames = Object.values(objects.host).map((h) => h.name);

  if (item === 'jailhost') return { ok: true, kind: 'host', data: { design: ctx.designId, name: nextLettered('jailhost-', hostNames), role: 'jailhost', ...pos } };
  if (item === 'gateway')
    return { ok: true, kind: 'host', data: { design: ctx.designId, name: nextLettered('gateway-', hostNames), role: 'gateway', gateway_enable: true, ...pos } };
  if (item === 'vxlan') {
    const vnis = Object.values(objects.vxlanSegment).map((s) => s.vni);
    let vni = 111;
    while (vnis.includes(vni)) vni++;
    return {
      ok: true,
      kind: 'vxlanSegment',
      data: { design: ctx.designId, name: `vxlan${vni}`, vni, mode: 'multicast', multicast_group: `239.0.0.${vni % 256}`, ...pos },
    };
  }

  if (item === 'dhcp') {
    const sw = ctx.switchId !== null ? objects.switch[ctx.switchId] : undefined;
    if (!sw) return { ok: false, reason: 'Select the switch that DHCP should serve first.' };
    if (Object.values(objects.dhcpService).some((d) => fkId(d.switch) === sw.id)) return { ok: false, reason: `${sw.name} already has DHCP.` };
    const range = dhcpRangeFor(sw.address ?? '');
    if (!range) return { ok: false, reason: `Give ${sw.name} an address with a prefix (e.g. 10.1.1.1/24) first.` };
    return {
      ok: true,
      kind: 'dhcpService',
      data: { host: fkId(sw.host), switch: sw.id, range_start: range.start, range_end: range.end, lease_time: '12h' },
      hostFlags: { has_dnsmasq: true },
    };
  }

  if (hostId === null || !objects.host[hostId]) return { ok: false, reason: 'Select a host (or drop the item inside one) first.' };
  const interfaces = onHost(objects.interface, hostId);
  const ifNames = interfaces.map((i) => i.name);
  switch (item) {
    case 'physical':
      return { ok: true, kind: 'interface', data: { host: hostId, name: nextNumbered('em', ifNames), kind: 'physical' } };
    case 'loopback':
      return { ok: true, kind: 'interface', data: { host: hostId, name: nextNumbered('lo', ifNames, 1), kind: 'loopback' } };
    case 'vlan': {
      const parent = interfaces.filter((i) => i.kind === 'physical').sort((a, b) => a.name.localeCompare(b.name))[0];
      if (!parent) return { ok: false, reason: 'A VLAN interface needs a physical interface on the host; add one first.' };
      const tags = interfaces.filter((i) => fkId(i.parent) === parent.id).map((i) => i.vlan_tag ?? 0);
      let tag = 101;
      while (tags.includes(tag)) tag++;
      return { ok: true, kind: 'interface', data: { host: hostId, name: `${parent.name}.${tag}`, kind: 'vlan', parent: parent.id, vlan_tag: tag } };
    }
    case 'switch': {
      // The kind the host's tools make most likely (a vm-bhyve switch on a vm-bhyve host).
      const kind = switchKindsFor(objects.host[hostId])[0];
      return { ok: true, kind: 'switch', data: { host: hostId, name: nextNumbered('switch', onHost(objects.switch, hostId).map((s) => s.name)), kind, ...pos } };
    }
    case 'plain-jail':
    case 'vnet-jail': {
      const names = onHost(objects.jail, hostId).map((j) => j.name);
      const type = item === 'vnet-jail' ? 'vnet' : 'plain';
      return { ok: true, kind: 'jail', data: { host: hostId, name: nextNumbered('jail', names, 1), type, manager: 'iocage', ...pos }, hostFlags: { has_iocage: true } };
    }
    case 'vm':
      return { ok: true, kind: 'vm', data: { host: hostId, name: nextNumbered('vm', onHost(objects.vm, hostId).map((v) => v.name), 1), ...pos }, hostFlags: { has_vm_bhyve: true } };
    case 'nat': {
      const external = externalInterface(objects, hostId);
      if (!external) return { ok: false, reason: 'NAT needs an external physical interface on the host; add one first.' };
      const inside = onHost(objects.switch, hostId).find((s) => s.address?.includes('/'));
      return { ok: true, kind: 'nat', data: { host: hostId, interface: external, source: inside ? networkOf(inside.address!) : '', engine: 'pf' } };
    }
    case 'redirect': {
      const external = externalInterface(objects, hostId);
      if (!external) return { ok: false, reason: 'A port redirect needs an external physical interface on the host; add one first.' };
      const jail = onHost(objects.jail, hostId)[0];
      const vm = onHost(objects.vm, hostId)[0];
      const target = jail ? { target_jail: jail.id } : vm ? { target_vm: vm.id } : null;
      if (!target) return { ok: false, reason: 'Add the jail or VM to redirect to first.' };
      return { ok: true, kind: 'redirect', data: { host: hostId, interface: external, protocol: 'tcp', external_port: 8080, target_port: 80, ...target } };
    }
  }
  return { ok: false, reason: 'Unknown palette item.' };
}

/** A locally administered MAC for a new reservation (bhyve's 58:9c:fc prefix). */
export function randomMac(random: () => number = Math.random): string {
  const byte = () => Math.floor(random() * 256).toString(16).padStart(2, '0');
  return `58:9c:fc:${byte()}:${byte()}:${byte()}`;
}

/**
 * A DHCP reservation for a VM NIC on a switch served by DHCP: the NIC gets a MAC (if it has none) and
 * DHCP on, the lease an address from the switch's address plan (see `reservationAddress`).
 */
export function planReservation(
  objects: Objects,
  vmNicId: number,
  random: () => number = Math.random,
): { ok: true; nicChanges: Record<string, unknown>; lease: Record<string, unknown> } | { ok: false; reason: string } {
  const nic = objects.vmNic[vmNicId];
  if (!nic) return { ok: false, reason: 'Unknown NIC.' };
  const sw = objects.switch[nic.switch.id];
  const service = Object.values(objects.dhcpService).find((d) => fkId(d.switch) === nic.switch.id);
  if (!sw || !service) return { ok: false, reason: 'The switch of this NIC has no DHCP service.' };
  const mac = nic.mac || randomMac(random);
  const existing = Object.values(objects.dhcpLease).find((l) => fkId(l.service) === service.id && l.mac.toLowerCase() === mac.toLowerCase());
  if (existing) return { ok: false, reason: `${mac} already has a reservation (${existing.address}).` };
  const address = reservationAddress(objects, nic.id);
  if (!address) return { ok: false, reason: sw.address?.includes('/') ? `No free address left in ${sw.address}.` : `${sw.name} has no subnet.` };
  const vm = objects.vm[nic.vm.id];
  return { ok: true, nicChanges: { mac, dhcp: true, address: '' }, lease: { service: service.id, mac, address, hostname: vm?.name ?? '' } };
}

/**
 * The address a VM NIC's DHCP reservation gets, picked from the switch's address plan as a new NIC's is:
 * the NIC's own static address when it is in the subnet, outside the dynamic range and held by nothing
 * else (the VM keeps its address), otherwise the plan's next free address. Bare (no prefix); null when
 * the switch has no subnet or it is full.
 */
export function reservationAddress(objects: Objects, vmNicId: number): string | null {
  const nic = objects.vmNic[vmNicId];
  if (!nic) return null;
  const switchId = fkId(nic.switch);
  if (switchId === null) return null;
  const plan = addressPlan(objects, switchId);
  if (!plan) return null;
  const own = nic.address ? nic.address.split('/')[0] : null;
  if (own && inSubnet(own, plan.subnet)) {
    const n = ipToNumber(own);
    const inRange = plan.dhcpRange && n >= ipToNumber(plan.dhcpRange.start) && n <= ipToNumber(plan.dhcpRange.end);
    const heldByOther = plan.used.some((u) => u.address === own && !(u.kind === 'vmNic' && u.id === nic.id));
    if (!inRange && !heldByOther) return own;
  }
  return nextFreeAddress(objects, switchId)?.split('/')[0] ?? null;
}
