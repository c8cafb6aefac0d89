/**
 * The diagram of every example (as the designer loads it: src/test/examples, written from examples/*.yaml by
 * tests/e2e/test_designer_example_graphs.py), with the positions it has and after the auto-layout: no edge
 * runs through a box it does not belong to, no two edge labels overlap, no label sits on a node or a host's
 * title bar, and the networks between hosts (S10's LAN and uplink) are drawn above the hosts they join.
 */
import { describe, expect, it } from 'vitest';
import { objectsOf } from '../api/designApi';
import type { Schemas } from '../api/types';
import { buildGraph, HOST_HEADER, SIZES, whileDragging, type Graph } from './graph';
import type { Objects } from './kinds';
import { layoutDesign } from './layout';
import { labelBox, overlaps, segmentCrosses, type Point, type Rect } from './route';

const EXAMPLES = import.meta.glob<Schemas['DesignGraph']>('../test/examples/*.json', { eager: true, import: 'default' });
const examples = Object.entries(EXAMPLES).map(([path, graph]) => [path.split('/').pop()!.replace('.json', ''), graph] as const);

function boxesOf(graph: Graph): Map<string, { box: Rect; parent: string | null; type: string }> {
  const out = new Map<string, { box: Rect; parent: string | null; type: string }>();
  for (const n of graph.nodes) if (!n.parentId) out.set(n.id, { box: { x: n.position.x, y: n.position.y, width: n.width!, height: n.height! }, parent: null, type: n.type! });
  for (const n of graph.nodes) {
    if (!n.parentId) continue;
    const p = out.get(n.parentId)!.box;
    out.set(n.id, { box: { x: p.x + n.position.x, y: p.y + n.position.y, width: n.width!, height: n.height! }, parent: n.parentId, type: n.type! });
  }
  return out;
}

/** What is wrong with a drawn diagram, in words (empty: nothing). */
function problems(graph: Graph): string[] {
  const boxes = boxesOf(graph);
  const out: string[] = [];
  const labels: { id: string; box: Rect }[] = [];
  for (const e of graph.edges) {
    const points = (e.data as { points?: Point[] } | undefined)?.points;
    if (!points) {
      out.push(`${e.id}: not routed`);
      continue;
    }
    const own = new Set([e.source, e.target, boxes.get(e.source)?.parent, boxes.get(e.target)?.parent]);
    for (let k = 1; k < points.length; k++) {
      const [a, b] = [points[k - 1], points[k]];
      if (a.x !== b.x && a.y !== b.y) out.push(`${e.id}: segment ${k} not orthogonal`);
      for (const [id, { box }] of boxes) if (!own.has(id) && segmentCrosses(a, b, box)) out.push(`${e.id}: through ${id}`);
    }
    const at = (e.data as { labelAt?: Point } | undefined)?.labelAt;
    if (typeof e.label === 'string' && e.label) {
      if (!at) out.push(`${e.id}: label not placed`);
      else labels.push({ id: e.id, box: labelBox(e.label, at) });
    }
  }
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) if (overlaps(labels[i].box, labels[j].box)) out.push(`labels of ${labels[i].id} and ${labels[j].id} overlap`);
  // A label on a node, or on a host's title bar, hides what it says.
  for (const label of labels)
    for (const [id, { box, type }] of boxes)
      if (overlaps(label.box, type === 'host' ? { ...box, height: HOST_HEADER } : box)) out.push(`label of ${label.id} on ${type === 'host' ? 'the title of ' : ''}${id}`);
  return out;
}

async function laidOut(objects: Objects): Promise<Objects> {
  const out = structuredClone(objects);
  for (const p of await layoutDesign(objects, {})) {
    const obj = (out[p.kind] as Record<number, { position_x?: number | null; position_y?: number | null }>)[p.id];
    obj.position_x = Math.round(p.x);
    obj.position_y = Math.round(p.y);
  }
  return out;
}

const options = { collapsed: {}, badges: {}, selectedId: null, canEdit: true };

describe('the examples drawn', () => {
  it('has every example', () => expect(examples.length).toBeGreaterThanOrEqual(11));

  for (const [name, graph] of examples) {
    it(`${name}: no edge through a box it does not belong to, no labels on top of each other`, async () => {
      const objects = objectsOf(graph);
      expect(problems(buildGraph(objects, options)), 'as imported').toEqual([]);
      expect(problems(buildGraph(await laidOut(objects), options)), 'after the auto-layout').toEqual([]);
    });
  }

  it('S10: the LAN between the hosts and the gateway uplink are nodes the physical interfaces attach to', async () => {
    const objects = objectsOf(EXAMPLES['../test/examples/s10-vxlan-multicast.json']);
    const graph = buildGraph(await laidOut(objects), options);
    const lan = graph.nodes.find((n) => n.id === 'underlay:192.168.0.0/24');
    expect(lan).toBeDefined();
    const name = (id: string) => Object.values(objects.interface).find((i) => `interface:${i.id}` === id)?.name;
    expect(graph.edges.filter((e) => e.source === lan!.id).map((e) => name(e.target)).sort()).toEqual(['em0', 'em1', 'igb0']);
    const uplink = graph.nodes.find((n) => n.type === 'underlay' && n.id.startsWith('uplink:'))!;
    expect(uplink.data).toMatchObject({ underlay: { title: 'Internet', detail: '203.0.113.0/24 via 203.0.113.1 · NAT' } });
    expect(graph.edges.filter((e) => e.source === uplink.id).map((e) => name(e.target))).toEqual(['em0']);
    // Placed by the layout with its edges: each network just above the hosts it joins, over the interfaces
    // plugged in (the LAN within the span of its three, the uplink right over the gateway's em0), and clear
    // of every other box.
    const boxes = boxesOf(graph);
    const hostOf = (id: string) => boxes.get(boxes.get(id)!.parent!)!.box;
    for (const net of [lan!, uplink]) {
      const ends = graph.edges.filter((e) => e.source === net.id).map((e) => e.target);
      const centres = ends.map((id) => boxes.get(id)!.box).map((b) => b.x + b.width / 2);
      const box = boxes.get(net.id)!.box;
      expect(box.y + box.height, net.id).toBeLessThan(Math.min(...ends.map((id) => hostOf(id).y)));
      expect(box.y + box.height, net.id).toBeGreaterThan(Math.min(...ends.map((id) => hostOf(id).y)) - 150);
      expect(box.x, net.id).toBeLessThanOrEqual(Math.max(...centres));
      expect(box.x + box.width, net.id).toBeGreaterThanOrEqual(Math.min(...centres));
      for (const [id, other] of boxes) if (id !== net.id && !other.parent) expect(overlaps(box, other.box), `${net.id} on ${id}`).toBe(false);
    }
    expect(Math.abs(boxes.get(uplink.id)!.box.x + SIZES.underlay.width / 2 - (boxes.get('interface:' + uplink.id.split(':if')[1])!.box.x + SIZES.interface.width / 2))).toBeLessThan(1);
  });

  it('S10 while a host or a switch is dragged: edges stay routed around the boxes, labels apart', async () => {
    const objects = await laidOut(objectsOf(EXAMPLES['../test/examples/s10-vxlan-multicast.json']));
    const base = buildGraph(objects, options);
    const idOf = (kind: 'host' | 'switch', name: string) => `${kind}:${Object.values(objects[kind]).find((o) => o.name === name)!.id}`;
    const gateway = idOf('host', 'gateway');
    const steps: [string, number, number][] = [
      [gateway, 40, 0],
      [gateway, -200, 120],
      [gateway, -300, 700],
      [idOf('host', 'jailhost-a'), 250, -60],
      [Object.values(objects.switch).map((s) => `switch:${s.id}`).find((id) => base.nodes.find((n) => n.id === id)?.parentId === idOf('host', 'jailhost-b'))!, 0, 30],
    ];
    for (const [id, dx, dy] of steps) {
      const dragged = base.nodes.map((n) => (n.id === id ? { ...n, position: { x: n.position.x + dx, y: n.position.y + dy }, dragging: true } : n));
      const { nodes, edges } = whileDragging(dragged, base);
      expect(problems({ nodes, edges }), `${id} moved by ${dx}, ${dy}`).toEqual([]);
      // What is drawn while dragging is what dropping it there draws: no jump at the drop.
      if (id.startsWith('host:')) {
        const dropped = structuredClone(objects);
        const host = dropped.host[Number(id.split(':')[1])];
        [host.position_x, host.position_y] = [host.position_x! + dx, host.position_y! + dy];
        const after = buildGraph(dropped, options);
        const pointsOf = (g: Graph) => Object.fromEntries(g.edges.map((e) => [e.id, (e.data as { points?: Point[] } | undefined)?.points]));
        const moved = edges.filter((e) => e !== base.edges.find((b) => b.id === e.id)).map((e) => e.id);
        expect(Object.fromEntries(moved.map((k) => [k, pointsOf({ nodes, edges })[k]]))).toEqual(Object.fromEntries(moved.map((k) => [k, pointsOf(after)[k]])));
        for (const n of after.nodes.filter((m) => m.type === 'underlay')) expect(nodes.find((m) => m.id === n.id)!.position, n.id).toEqual(n.position);
      }
      // Edges inside the moved host moved with it, unchanged in shape.
      const inside = edges.filter((e) => nodes.find((n) => n.id === e.source)?.parentId === id && nodes.find((n) => n.id === e.target)?.parentId === id);
      for (const e of inside) {
        const before = base.edges.find((b) => b.id === e.id)!.data as { points: Point[] };
        expect((e.data as { points: Point[] }).points, e.id).toEqual(before.points.map((p) => ({ x: p.x + dx, y: p.y + dy })));
      }
    }
    // Dragged over another host: edges still routed (around the boxes they can be).
    const over = base.nodes.map((n) => (n.id === gateway ? { ...n, position: { x: n.position.x + 500, y: n.position.y + 120 }, dragging: true } : n));
    expect(problems(whileDragging(over, base)).filter((p) => p.endsWith('not routed'))).toEqual([]);
    // Nothing moved: the graph as built.
    expect(whileDragging(base.nodes, base)).toEqual(base);
    expect(whileDragging(base.nodes, base).edges).toBe(base.edges);
  });
});
