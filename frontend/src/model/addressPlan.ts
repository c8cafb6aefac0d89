/**
 * The address plan of a switch's subnet: which addresses are held and by whom, and the next free one.
 *
 * Holders are the switch itself, jail and VM NICs on it, DHCP reservations and the dynamic DHCP range of
 * the switch's DHCP service (never handed out statically: dnsmasq would give it to someone else).
 */
import { inSubnet, ipToNumber, networkOf, numberToIp } from './checks';
import { fkId, type Objects } from './kinds';

export interface AddressHolder {
  address: string;
  /** What holds it, in the user's words: `switch switch0`, `jail www vnet0`, `VM guest-a`, `reservation 58:9c…`. */
  holder: string;
  kind: 'switch' | 'jailNic' | 'vmNic' | 'dhcpLease';
  id: number;
}

export interface AddressPlan {
  subnet: string;
  /** Usable host addresses in the subnet (network and broadcast left out). */
  size: number;
  used: AddressHolder[];
  dhcpRange: { start: string; end: string } | null;
  /** Usable addresses neither held nor in the DHCP range. */
  free: number;
}

const bare = (cidr: string) => cidr.split('/')[0];

/** The plan of the subnet of `switchId` (null when the switch has no address with a prefix). */
export function addressPlan(objects: Objects, switchId: number): AddressPlan | null {
  const sw = objects.switch[switchId];
  if (!sw?.address?.includes('/')) return null;
  const subnet = networkOf(sw.address);
  const prefix = Number(subnet.split('/')[1]);
  if (prefix > 30) return null;
  const used: AddressHolder[] = [{ address: bare(sw.address), holder: `switch ${sw.name}`, kind: 'switch', id: sw.id }];
  for (const nic of Object.values(objects.jailNic)) {
    if (fkId(nic.switch) !== switchId || !nic.address) continue;
    const jail = objects.jail[fkId(nic.jail) ?? -1];
    used.push({ address: bare(nic.address), holder: `jail ${jail?.name ?? '?'} ${nic.name}`, kind: 'jailNic', id: nic.id });
  }
  for (const nic of Object.values(objects.vmNic)) {
    if (fkId(nic.switch) !== switchId || !nic.address) continue;
    const vm = objects.vm[fkId(nic.vm) ?? -1];
    used.push({ address: bare(nic.address), holder: `VM ${vm?.name ?? '?'}`, kind: 'vmNic', id: nic.id });
  }
  const service = Object.values(objects.dhcpService).find((d) => fkId(d.switch) === switchId);
  if (service) {
    for (const lease of Object.values(objects.dhcpLease)) {
      if (fkId(lease.service) !== service.id) continue;
      used.push({ address: lease.address, holder: `reservation ${lease.hostname || lease.mac}`, kind: 'dhcpLease', id: lease.id });
    }
  }
  used.sort((a, b) => ipToNumber(a.address) - ipToNumber(b.address));
  const size = 2 ** (32 - prefix) - 2;
  const dhcpRange = service ? { start: service.range_start, end: service.range_end } : null;
  const inRange = dhcpRange ? Math.max(0, ipToNumber(dhcpRange.end) - ipToNumber(dhcpRange.start) + 1) : 0;
  const distinct = new Set(used.filter((u) => !dhcpRange || !within(u.address, dhcpRange)).map((u) => u.address));
  return { subnet, size, used, dhcpRange, free: Math.max(0, size - distinct.size - inRange) };
}

function within(address: string, range: { start: string; end: string }): boolean {
  const n = ipToNumber(address);
  return n >= ipToNumber(range.start) && n <= ipToNumber(range.end);
}

/**
 * The lowest free address of the switch's subnet, with the subnet's prefix (`10.1.1.2/24`), for a new NIC;
 * null when the switch has no subnet or it is full. `avoid`: addresses taken by objects not saved yet.
 */
export function nextFreeAddress(objects: Objects, switchId: number, avoid: readonly string[] = []): string | null {
  const plan = addressPlan(objects, switchId);
  if (!plan) return null;
  const [network, prefix] = plan.subnet.split('/');
  const base = ipToNumber(network);
  const taken = new Set([...plan.used.map((u) => u.address), ...avoid.map(bare)]);
  for (let n = base + 1; n <= base + plan.size; n++) {
    const candidate = numberToIp(n);
    if (taken.has(candidate) || (plan.dhcpRange && within(candidate, plan.dhcpRange)) || !inSubnet(candidate, plan.subnet)) continue;
    return `${candidate}/${prefix}`;
  }
  return null;
}
