import { describe, expect, it } from 'vitest';
import { add, twoHosts } from '../test/fixtures';
import { nodeId } from './graph';
import { planConnection } from './rules';

const n = (kind: Parameters<typeof nodeId>[0], obj: { id: number }) => nodeId(kind, obj.id);

describe('planConnection', () => {
  it('attaches a VNET jail to a switch of its host as NIC vnet0, in either direction', () => {
    const t = twoHosts();
    for (const [a, b] of [
      [n('jail', t.vnetJail), n('switch', t.services)],
      [n('switch', t.services), n('jail', t.vnetJail)],
    ]) {
      const plan = planConnection(t.objects, a, b);
      expect(plan).toEqual({
        ok: true,
        kind: 'jailNic',
        data: { jail: t.vnetJail.id, switch: t.services.id, name: 'vnet0', address: '10.1.1.2/24' },
        owner: { kind: 'jail', id: t.vnetJail.id, changes: { default_router: '10.1.1.1' } },
      });
    }
  });

  it('gives a new NIC the next free address of the switch, outside the DHCP range', () => {
    const t = twoHosts();
    const other = add(t.objects, 'jail', { host: t.hostA, name: 'other', type: 'vnet' });
    add(t.objects, 'jailNic', { jail: other, switch: t.services, name: 'vnet0', address: '10.1.1.2/24' });
    add(t.objects, 'vmNic', { vm: t.vmB, switch: t.services, index: 0, address: '10.1.1.3/24' });
    let plan = planConnection(t.objects, n('jail', t.vnetJail), n('switch', t.services));
    expect(plan.ok && plan.data.address).toBe('10.1.1.4/24');
    const service = add(t.objects, 'dhcpService', { host: t.hostA, switch: t.services, range_start: '10.1.1.4', range_end: '10.1.1.9' });
    add(t.objects, 'dhcpLease', { service, mac: '58:9c:fc:00:00:01', address: '10.1.1.10' });
    plan = planConnection(t.objects, n('jail', t.vnetJail), n('switch', t.services));
    expect(plan.ok && plan.data.address).toBe('10.1.1.11/24');
    // A VM on a switch with DHCP asks for its address, and has no static router.
    plan = planConnection(t.objects, n('vm', t.vm), n('switch', t.services));
    expect(plan.ok && plan.data).toMatchObject({ dhcp: true });
    expect(plan.ok && plan.owner).toBeUndefined();
  });

  it('names a second NIC vnet1 and refuses a second NIC on the same switch', () => {
    const t = twoHosts();
    add(t.objects, 'jailNic', { jail: t.vnetJail, switch: t.services, name: 'vnet0' });
    expect(planConnection(t.objects, n('jail', t.vnetJail), n('switch', t.services)).ok).toBe(false);
    const other = add(t.objects, 'switch', { host: t.hostA, name: 'dmz', kind: 'bridge' });
    const plan = planConnection(t.objects, n('jail', t.vnetJail), n('switch', other));
    expect(plan.ok && plan.data.name).toBe('vnet1');
  });

  it('refuses a plain jail: it has no NIC', () => {
    const t = twoHosts();
    const plan = planConnection(t.objects, n('jail', t.plainJail), n('switch', t.services));
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.reason).toMatch(/plain jail/);
  });

  it("cannot attach a VM to another host's switch", () => {
    const t = twoHosts();
    const plan = planConnection(t.objects, n('vm', t.vm), n('switch', t.vx));
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.reason).toMatch(/another host/);
    expect(planConnection(t.objects, n('vm', t.vmB), n('switch', t.vx)).ok).toBe(true);
  });

  it('gives VM NICs increasing indexes', () => {
    const t = twoHosts();
    add(t.objects, 'vmNic', { vm: t.vm, switch: t.services, index: 0 });
    const dmz = add(t.objects, 'switch', { host: t.hostA, name: 'dmz', kind: 'bridge' });
    const plan = planConnection(t.objects, n('vm', t.vm), n('switch', dmz));
    expect(plan).toEqual({ ok: true, kind: 'vmNic', data: { vm: t.vm.id, switch: dmz.id, index: 1 } }); // dmz has no subnet
  });

  it('adds a physical interface as a port once, never a loopback', () => {
    const t = twoHosts();
    expect(planConnection(t.objects, n('interface', t.em0), n('switch', t.services))).toEqual({
      ok: true,
      kind: 'switchPort',
      data: { switch: t.services.id, interface: t.em0.id },
    });
    expect(planConnection(t.objects, n('interface', t.lo1), n('switch', t.services)).ok).toBe(false);
    add(t.objects, 'switchPort', { switch: t.services, interface: t.em0 });
    const dmz = add(t.objects, 'switch', { host: t.hostA, name: 'dmz', kind: 'bridge' });
    expect(planConnection(t.objects, n('interface', t.em0), n('switch', dmz)).ok).toBe(false);
    expect(planConnection(t.objects, n('interface', t.igb0), n('switch', t.services)).ok).toBe(false);
  });

  it('stretches a VXLAN segment to switches on several hosts over each host’s underlay', () => {
    const t = twoHosts();
    const onA = planConnection(t.objects, n('vxlanSegment', t.segment), n('switch', t.services));
    expect(onA).toEqual({
      ok: true,
      kind: 'vxlanMember',
      data: { segment: t.segment.id, host: t.hostA.id, switch: t.services.id, interface_name: 'vxlan111', underlay_interface: t.em0.id },
    });
    const onB = planConnection(t.objects, n('switch', t.vx), n('vxlanSegment', t.segment));
    expect(onB.ok && onB.data.underlay_interface).toBe(t.igb0.id);
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostA, switch: t.services, interface_name: 'vxlan111', underlay_interface: t.em0 });
    expect(planConnection(t.objects, n('vxlanSegment', t.segment), n('switch', t.services)).ok).toBe(false);
  });

  it('needs an underlay interface for VXLAN', () => {
    const t = twoHosts();
    const hostC = add(t.objects, 'host', { design: 1, name: 'jailhost-c' });
    const sw = add(t.objects, 'switch', { host: hostC, name: 'lonely', kind: 'bridge' });
    const plan = planConnection(t.objects, n('vxlanSegment', t.segment), n('switch', sw));
    expect(!plan.ok && plan.reason).toMatch(/underlay/);
  });

  it('refuses connections that do not involve a switch, and switch to switch', () => {
    const t = twoHosts();
    expect(planConnection(t.objects, n('jail', t.vnetJail), n('vm', t.vm)).ok).toBe(false);
    expect(planConnection(t.objects, n('switch', t.services), n('switch', t.services)).ok).toBe(false);
    const dmz = add(t.objects, 'switch', { host: t.hostA, name: 'dmz', kind: 'bridge' });
    expect(planConnection(t.objects, n('switch', t.services), n('switch', dmz)).ok).toBe(false);
    expect(planConnection(t.objects, n('host', t.hostA), n('switch', t.services)).ok).toBe(false);
  });
});
