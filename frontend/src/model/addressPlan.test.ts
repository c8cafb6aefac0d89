import { describe, expect, it } from 'vitest';
import { add, twoHosts } from '../test/fixtures';
import { addressPlan, nextFreeAddress } from './addressPlan';

describe('addressPlan', () => {
  it('lists who holds each address of the switch subnet and counts the free ones', () => {
    const t = twoHosts();
    add(t.objects, 'jailNic', { jail: t.vnetJail, switch: t.services, name: 'vnet0', address: '10.1.1.2/24' });
    add(t.objects, 'vmNic', { vm: t.vm, switch: t.services, index: 0, address: '10.1.1.5/24' });
    const service = add(t.objects, 'dhcpService', { host: t.hostA, switch: t.services, range_start: '10.1.1.100', range_end: '10.1.1.199' });
    add(t.objects, 'dhcpLease', { service, mac: '58:9c:fc:00:00:01', address: '10.1.1.10', hostname: 'guest' });
    const plan = addressPlan(t.objects, t.services.id)!;
    expect(plan.subnet).toBe('10.1.1.0/24');
    expect(plan.used.map((u) => [u.address, u.holder])).toEqual([
      ['10.1.1.1', 'switch services'],
      ['10.1.1.2', 'jail vnetcage vnet0'],
      ['10.1.1.5', `VM ${t.vm.name}`],
      ['10.1.1.10', 'reservation guest'],
    ]);
    expect(plan.free).toBe(254 - 4 - 100);
    expect(nextFreeAddress(t.objects, t.services.id)).toBe('10.1.1.3/24');
    expect(nextFreeAddress(t.objects, t.services.id, ['10.1.1.3/24', '10.1.1.4'])).toBe('10.1.1.6/24');
  });

  it('has no plan for a switch without a subnet, and no free address in a full one', () => {
    const t = twoHosts();
    const dmz = add(t.objects, 'switch', { host: t.hostA, name: 'dmz', kind: 'bridge' });
    expect(addressPlan(t.objects, dmz.id)).toBeNull();
    const tiny = add(t.objects, 'switch', { host: t.hostA, name: 'p2p', kind: 'bridge', address: '10.9.9.1/30' });
    add(t.objects, 'jailNic', { jail: t.vnetJail, switch: tiny, name: 'vnet1', address: '10.9.9.2/30' });
    expect(nextFreeAddress(t.objects, tiny.id)).toBeNull();
  });
});
