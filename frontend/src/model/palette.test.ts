import { describe, expect, it } from 'vitest';
import { add, twoHosts } from '../test/fixtures';
import { emptyObjects } from './kinds';
import { dhcpRangeFor, planPaletteItem, planReservation, reservationAddress } from './palette';
import { checkInterfaceAddress, checkNetwork, inSubnet } from './checks';

const ctx = (objects = emptyObjects(), extra = {}) => ({ objects, designId: 1, hostId: null, switchId: null, position: null, ...extra });

describe('palette', () => {
  it('names new hosts jailhost-a, jailhost-b …', () => {
    const objects = emptyObjects();
    expect(planPaletteItem('jailhost', ctx(objects))).toMatchObject({ ok: true, kind: 'host', data: { name: 'jailhost-a' } });
    add(objects, 'host', { design: 1, name: 'jailhost-a' });
    expect(planPaletteItem('jailhost', ctx(objects))).toMatchObject({ data: { name: 'jailhost-b' } });
  });

  it('needs a host for host things, and turns on the tools they use', () => {
    const t = twoHosts();
    expect(planPaletteItem('switch', ctx(t.objects)).ok).toBe(false);
    expect(planPaletteItem('vm', ctx(t.objects, { hostId: t.hostA.id }))).toMatchObject({ kind: 'vm', data: { name: 'vm1' }, hostFlags: { has_vm_bhyve: true } });
    expect(planPaletteItem('vnet-jail', ctx(t.objects, { hostId: t.hostA.id }))).toMatchObject({ data: { type: 'vnet', manager: 'iocage' }, hostFlags: { has_iocage: true } });
    expect(planPaletteItem('physical', ctx(t.objects, { hostId: t.hostA.id }))).toMatchObject({ data: { name: 'em1' } });
    expect(planPaletteItem('vlan', ctx(t.objects, { hostId: t.hostA.id }))).toMatchObject({ data: { name: 'em0.101', parent: t.em0.id, vlan_tag: 101 } });
    expect(planPaletteItem('loopback', ctx(t.objects, { hostId: t.hostA.id }))).toMatchObject({ data: { name: 'lo2' } });
  });

  it('adds DHCP to the selected switch with a range inside its subnet', () => {
    const t = twoHosts();
    expect(planPaletteItem('dhcp', ctx(t.objects)).ok).toBe(false);
    expect(planPaletteItem('dhcp', ctx(t.objects, { switchId: t.vx.id })).ok).toBe(false); // no address
    expect(planPaletteItem('dhcp', ctx(t.objects, { switchId: t.services.id }))).toMatchObject({
      ok: true,
      kind: 'dhcpService',
      data: { switch: t.services.id, host: t.hostA.id, range_start: '10.1.1.100', range_end: '10.1.1.199' },
      hostFlags: { has_dnsmasq: true },
    });
    expect(dhcpRangeFor('192.168.5.1/28')).toEqual({ start: '192.168.5.8', end: '192.168.5.14' });
  });

  it('NATs the switch subnet behind the external interface', () => {
    const t = twoHosts();
    expect(planPaletteItem('nat', ctx(t.objects, { hostId: t.hostA.id }))).toMatchObject({ data: { interface: 'em0', source: '10.1.1.0/24', engine: 'pf' } });
  });

  it('reserves an address outside the dynamic range for a VM NIC', () => {
    const t = twoHosts();
    const nic = add(t.objects, 'vmNic', { vm: t.vm, switch: t.services, index: 0, mac: '', dhcp: false, address: '' });
    expect(planReservation(t.objects, nic.id).ok).toBe(false);
    add(t.objects, 'dhcpService', { host: t.hostA, switch: t.services, range_start: '10.1.1.10', range_end: '10.1.1.20' });
    const plan = planReservation(t.objects, nic.id, () => 0.5);
    expect(plan).toMatchObject({ ok: true, nicChanges: { mac: '58:9c:fc:80:80:80', dhcp: true }, lease: { mac: '58:9c:fc:80:80:80', address: '10.1.1.2', hostname: 'guest' } });
  });

  it('picks the reservation from the address plan: the NIC keeps its own free address, else the next free one', () => {
    const t = twoHosts();
    add(t.objects, 'dhcpService', { host: t.hostA, switch: t.services, range_start: '10.1.1.2', range_end: '10.1.1.20' });
    add(t.objects, 'jailNic', { jail: t.vnetJail, switch: t.services, name: 'vnet0', address: '10.1.1.21/24' });
    const own = add(t.objects, 'vmNic', { vm: t.vm, switch: t.services, index: 0, mac: '', dhcp: false, address: '10.1.1.40/24' });
    expect(reservationAddress(t.objects, own.id)).toBe('10.1.1.40');
    // In the dynamic range, or held by someone else: the next free address after the range and the jail.
    t.objects.vmNic[own.id] = { ...own, address: '10.1.1.15/24' };
    expect(reservationAddress(t.objects, own.id)).toBe('10.1.1.22');
    t.objects.vmNic[own.id] = { ...own, address: '10.1.1.21/24' };
    expect(reservationAddress(t.objects, own.id)).toBe('10.1.1.22');
    add(t.objects, 'dhcpLease', { service: Object.values(t.objects.dhcpService)[0], mac: '58:9c:fc:00:00:01', address: '10.1.1.22' });
    expect(planReservation(t.objects, own.id, () => 0.5)).toMatchObject({ ok: true, lease: { address: '10.1.1.23' } });
  });
});

describe('checks', () => {
  it('knows addresses, networks and subnets', () => {
    expect(checkInterfaceAddress('10.1.1.2/24')).toBeNull();
    expect(checkInterfaceAddress('10.1.1.2')).not.toBeNull();
    expect(checkInterfaceAddress('10.1.1.256/24')).not.toBeNull();
    expect(checkNetwork('10.1.1.0/24')).toBeNull();
    expect(checkNetwork('10.1.1.1/24')).toMatch(/10.1.1.0\/24/);
    expect(inSubnet('10.1.1.2/24', '10.1.1.1/24')).toBe(true);
    expect(inSubnet('10.1.2.2', '10.1.1.1/24')).toBe(false);
  });
});
