/**
 * The diagram of every example (as the designer loads it: src/test/examples, written from examples/*.yaml by
 * tests/e2e/test_designer_example_graphs.py), with the positions it has and after the auto-layout: no edge
 * runs through a box it does not belong to, no two edge labels overlap, and the networks between hosts
 * (S10's LAN and uplink) are drawn.
 */
import { describe, expect, it } from 'vitest';
import { objectsOf } from '../api/designApi';
import type { Schemas } from '../api/types';
import { buildGraph, type Graph } from './graph';
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
    // The networks are drawn above the hosts and the segments that ride on them.
    const tops = graph.nodes.filter((n) => !n.parentId && n.type !== 'underlay').map((n) => n.position.y);
    expect(lan!.position.y + lan!.height!).toBeLessThan(Math.min(...tops));
  });
});
