import { describe, expect, it } from 'vitest';
import { add, twoHosts } from '../test/fixtures';
import { buildGraph } from './graph';

const options = { collapsed: {}, badges: {}, selectedId: null, canEdit: true };

describe('buildGraph', () => {
  it('draws hosts as groups before their children, and NICs and members as edges', () => {
    const t = twoHosts();
    add(t.objects, 'jailNic', { jail: t.vnetJail, switch: t.services, name: 'vnet0', address: '10.1.1.2/24' });
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostB, switch: t.vx, interface_name: 'vxlan111', underlay_interface: t.igb0 });
    const { nodes, edges } = buildGraph(t.objects, options);
    const index = (id: string) => nodes.findIndex((n) => n.id === id);
    expect(index(`host:${t.hostA.id}`)).toBeLessThan(index(`switch:${t.services.id}`));
    expect(nodes.find((n) => n.id === `switch:${t.services.id}`)?.parentId).toBe(`host:${t.hostA.id}`);
    expect(nodes.find((n) => n.id === `vxlanSegment:${t.segment.id}`)?.parentId).toBeUndefined();
    expect(edges.map((e) => [e.source, e.target, e.label])).toEqual(
      expect.arrayContaining([
        [`jail:${t.vnetJail.id}`, `switch:${t.services.id}`, 'vnet0 10.1.1.2/24'],
        [`vxlanSegment:${t.segment.id}`, `switch:${t.vx.id}`, 'vxlan111'],
      ]),
    );
    const jailNode = nodes.find((n) => n.id === `jail:${t.vnetJail.id}`);
    expect(jailNode?.type === 'jail' && jailNode.data.addresses).toEqual(['10.1.1.2/24']);
  });

  it('folds a collapsed host into one node and re-routes its edges', () => {
    const t = twoHosts();
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostA, switch: t.services, interface_name: 'vxlan111', underlay_interface: t.em0 });
    add(t.objects, 'jailNic', { jail: t.vnetJail, switch: t.services, name: 'vnet0' });
    const { nodes, edges } = buildGraph(t.objects, { ...options, collapsed: { [t.hostA.id]: true } });
    expect(nodes.some((n) => n.parentId === `host:${t.hostA.id}`)).toBe(false);
    const host = nodes.find((n) => n.id === `host:${t.hostA.id}`);
    expect(host?.type === 'host' && host.data.counts).toEqual({ switches: 1, jails: 2, vms: 1 });
    const own = edges.filter((e) => !e.source.startsWith('underlay:'));
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ source: `vxlanSegment:${t.segment.id}`, target: `host:${t.hostA.id}`, deletable: false });
    // The LAN the hosts share reaches the collapsed host itself.
    expect(edges.filter((e) => e.source.startsWith('underlay:')).map((e) => e.target).sort()).toEqual([`host:${t.hostA.id}`, `interface:${t.igb0.id}`].sort());
  });

  it('shows the counts of the server for a collapsed host whose objects are not loaded', () => {
    const t = twoHosts();
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostB, switch: t.vx, interface_name: 'vxlan111', underlay_interface: t.igb0 });
    // Only the overview: hosts, switches, segments and members.
    for (const kind of ['interface', 'jail', 'vm', 'jailNic', 'nat', 'redirect', 'dhcpService'] as const) t.objects[kind] = {};
    const counts = { [t.hostA.id]: { jails: 20, vms: 2, switches: 1, interfaces: 3 }, [t.hostB.id]: { jails: 0, vms: 0, switches: 1, interfaces: 1 } };
    const { nodes, edges } = buildGraph(t.objects, { ...options, collapsed: { [t.hostA.id]: true, [t.hostB.id]: true }, loadedHosts: {}, hostCounts: counts });
    const host = nodes.find((n) => n.id === `host:${t.hostA.id}`);
    expect(host?.type === 'host' && host.data.counts).toEqual({ switches: 1, jails: 20, vms: 2 });
    expect(edges.map((e) => [e.source, e.target])).toEqual([[`vxlanSegment:${t.segment.id}`, `host:${t.hostB.id}`]]);
    // Once loaded, the host counts what the store holds.
    const loaded = buildGraph(t.objects, { ...options, collapsed: { [t.hostA.id]: true }, loadedHosts: { [t.hostA.id]: true }, hostCounts: counts });
    const again = loaded.nodes.find((n) => n.id === `host:${t.hostA.id}`);
    expect(again?.type === 'host' && again.data.counts).toEqual({ switches: 1, jails: 0, vms: 0 });
  });

  it('uses stored positions and grows the host around its children', () => {
    const t = twoHosts();
    t.objects.switch[t.services.id].position_x = 900;
    t.objects.switch[t.services.id].position_y = 700;
    const { nodes } = buildGraph(t.objects, options);
    const host = nodes.find((n) => n.id === `host:${t.hostA.id}`)!;
    expect(nodes.find((n) => n.id === `switch:${t.services.id}`)?.position).toEqual({ x: 900, y: 700 });
    expect(host.width).toBeGreaterThan(900);
    expect(host.height).toBeGreaterThan(700);
  });

  it('shows badges and selection, and makes nothing draggable for a viewer', () => {
    const t = twoHosts();
    const id = `switch:${t.services.id}`;
    const { nodes } = buildGraph(t.objects, { ...options, canEdit: false, selectedId: id, badges: { [id]: { errors: 1, warnings: 0 } } });
    const sw = nodes.find((n) => n.id === id)!;
    expect(sw.selected).toBe(true);
    expect(sw.type === 'switch' && sw.data.badge).toEqual({ errors: 1, warnings: 0 });
    expect(nodes.every((n) => n.draggable === false)).toBe(true);
  });
});

describe('edge handles', () => {
  it('brings guests into a switch from below and interfaces and VXLAN from above', () => {
    const t = twoHosts();
    add(t.objects, 'jailNic', { jail: t.vnetJail, switch: t.services, name: 'vnet0' });
    add(t.objects, 'switchPort', { switch: t.services, interface: t.em0 });
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostB, switch: null, interface_name: 'vxlan111', underlay_interface: t.igb0 });
    const { edges } = buildGraph(t.objects, options);
    const handleOf = (prefix: string) => edges.find((e) => e.id.startsWith(prefix))?.targetHandle;
    expect(handleOf('jailNic')).toBe('down');
    expect(handleOf('switchPort')).toBe('up');
    // A member bridged to no switch ends at the interface it is carried over, from above.
    expect(handleOf('vxlanMember')).toBe('up');
    expect(edges.find((e) => e.id.startsWith('vxlanMember'))?.target).toBe(`interface:${t.igb0.id}`);
  });
});

describe('findings', () => {
  it('maps the server kinds of validation findings onto canvas nodes', async () => {
    const { kindFromServer, badgesByNode } = await import('./findings');
    for (const [server, kind] of [
      ['jail-nic', 'jailNic'],
      ['vm-nic', 'vmNic'],
      ['dhcp-lease', 'dhcpLease'],
      ['dhcp-service', 'dhcpService'],
      ['vxlan-segment', 'vxlanSegment'],
      ['vxlan-member', 'vxlanMember'],
      ['port-redirect', 'redirect'],
      ['nat', 'nat'],
      ['jail-address', 'jailAddress'],
    ] as const)
      expect(kindFromServer(server)).toBe(kind);
    const t = twoHosts();
    const nic = add(t.objects, 'jailNic', { jail: t.vnetJail, switch: t.services, name: 'vnet0' });
    const badges = badgesByNode(t.objects, [
      { code: 'JN206', severity: 'error', message: '', objects: [{ kind: 'jailNic', id: nic.id }], paths: [] },
      { code: 'JN623', severity: 'warning', message: '', objects: [{ kind: 'jail', id: t.vnetJail.id }, { kind: 'host', id: t.hostA.id }], paths: [] },
    ]);
    expect(badges[`jail:${t.vnetJail.id}`]).toEqual({ errors: 1, warnings: 1 });
    expect(badges[`host:${t.hostA.id}`]).toEqual({ errors: 0, warnings: 1 });
  });
});
