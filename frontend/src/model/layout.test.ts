import { describe, expect, it } from 'vitest';
import { add, twoHosts } from '../test/fixtures';
import { buildGraph, SIZES } from './graph';
import type { Objects } from './kinds';
import { layoutDesign } from './layout';

describe('layoutDesign', () => {
  it('places every host, switch, jail, VM and segment, switches above the guests attached to them', async () => {
    const t = twoHosts();
    add(t.objects, 'jailNic', { jail: t.vnetJail, switch: t.services, name: 'vnet0' });
    add(t.objects, 'vmNic', { vm: t.vm, switch: t.services, index: 0 });
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostB, switch: t.vx, interface_name: 'vxlan111', underlay_interface: t.igb0 });
    const positions = await layoutDesign(t.objects, {});
    const at = (kind: string, id: number) => positions.find((p) => p.kind === kind && p.id === id)!;
    for (const [kind, obj] of [
      ['host', t.hostA],
      ['host', t.hostB],
      ['switch', t.services],
      ['switch', t.vx],
      ['jail', t.vnetJail],
      ['jail', t.plainJail],
      ['vm', t.vm],
      ['vm', t.vmB],
      ['vxlanSegment', t.segment],
    ] as const)
      expect(at(kind, obj.id), `${kind} ${obj.id}`).toBeDefined();
    expect(at('switch', t.services.id).y).toBeLessThan(at('jail', t.vnetJail.id).y);
    expect(at('switch', t.services.id).y).toBeLessThan(at('vm', t.vm.id).y);
    // Children leave room for the host's title and interface row.
    expect(at('switch', t.services.id).y).toBeGreaterThanOrEqual(SIZES.interface.height + 34);
    // Hosts do not overlap.
    const [a, b] = [at('host', t.hostA.id), at('host', t.hostB.id)];
    expect(Math.abs(a.x - b.x) + Math.abs(a.y - b.y)).toBeGreaterThan(300);
  });

  it('guests of one host do not overlap', async () => {
    const t = twoHosts();
    for (let i = 0; i < 6; i++) add(t.objects, 'jail', { host: t.hostA, name: `j${i}`, type: 'vnet' });
    const positions = (await layoutDesign(t.objects, {})).filter((p) => p.kind === 'jail');
    for (const p of positions)
      for (const q of positions)
        if (p !== q) expect(Math.abs(p.x - q.x) >= SIZES.jail.width || Math.abs(p.y - q.y) >= SIZES.jail.height).toBe(true);
  });

  it('lays out a collapsed host as one node', async () => {
    const t = twoHosts();
    const positions = await layoutDesign(t.objects, { [t.hostA.id]: true });
    expect(positions.find((p) => p.kind === 'switch' && p.id === t.services.id)).toBeUndefined();
    expect(positions.find((p) => p.kind === 'host' && p.id === t.hostA.id)).toBeDefined();
  });

  it('lays out the network between hosts with them: just above both, over their interfaces, clear of the segment', async () => {
    const t = twoHosts();
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostA, switch: t.services, interface_name: 'vxlan111', underlay_interface: t.em0 });
    add(t.objects, 'vxlanMember', { segment: t.segment, host: t.hostB, switch: t.vx, interface_name: 'vxlan111', underlay_interface: t.igb0 });
    const objects: Objects = structuredClone(t.objects);
    for (const p of await layoutDesign(t.objects, {})) {
      const obj = (objects[p.kind] as Record<number, { position_x?: number | null; position_y?: number | null }>)[p.id];
      [obj.position_x, obj.position_y] = [p.x, p.y];
    }
    const graph = buildGraph(objects, { collapsed: {}, badges: {}, selectedId: null, canEdit: true });
    const box = (id: string) => {
      const n = graph.nodes.find((m) => m.id === id)!;
      const parent = n.parentId ? graph.nodes.find((m) => m.id === n.parentId)!.position : { x: 0, y: 0 };
      return { x: parent.x + n.position.x, y: parent.y + n.position.y, width: n.width!, height: n.height! };
    };
    const lan = box('underlay:192.168.0.0/24');
    const [a, b] = [box(`host:${t.hostA.id}`), box(`host:${t.hostB.id}`)];
    for (const host of [a, b]) {
      expect(lan.y + lan.height).toBeLessThan(host.y);
      expect(lan.y + lan.height).toBeGreaterThan(host.y - 150);
    }
    const centres = [box(`interface:${t.em0.id}`), box(`interface:${t.igb0.id}`)].map((i) => i.x + i.width / 2);
    expect(lan.x + lan.width / 2).toBeGreaterThanOrEqual(Math.min(...centres));
    expect(lan.x + lan.width / 2).toBeLessThanOrEqual(Math.max(...centres));
    const segment = box(`vxlanSegment:${t.segment.id}`);
    const apart = lan.x + lan.width <= segment.x || segment.x + segment.width <= lan.x || lan.y + lan.height <= segment.y || segment.y + segment.height <= lan.y;
    expect(apart).toBe(true);
  });
});
