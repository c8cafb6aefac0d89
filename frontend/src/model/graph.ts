/**
 * The canvas drawn from the design objects: hosts as groups holding their interfaces, switches, jails,
 * VMs and services; VXLAN segments at the top level; edges for NICs, switch ports and VXLAN members.
 *
 * Node ids are `<kind>:<id>` of the object they show, edge ids the same for the attaching object.
 */
import { Position, type Edge } from '@xyflow/react';
import type { DesignerNode } from '../nodes';
import type { Badge } from './findings';
import { fkId, type Kind, type Objects } from './kinds';
import { labelBox, placeLabels, routeEdge, segmentCrosses, type Point, type Rect, type Side } from './route';
import { underlayNetworks } from './underlay';

export const SIZES = {
  interface: { width: 120, height: 44 },
  service: { width: 132, height: 58 },
  switch: { width: 160, height: 58 },
  jail: { width: 140, height: 58 },
  vm: { width: 140, height: 58 },
  vxlan: { width: 180, height: 58 },
  underlay: { width: 250, height: 50 },
  collapsedHost: { width: 220, height: 72 },
  newHost: { width: 360, height: 320 },
} as const;

export const HOST_HEADER = 34;
const HOST_PADDING = 16;
/** Row of interfaces and services under the host's title. */
const TOP_ROW_Y = HOST_HEADER + 6;
const SWITCH_ROW_Y = TOP_ROW_Y + 90;
const GUEST_ROW_Y = SWITCH_ROW_Y + 110;
const MIN_HOST = SIZES.newHost;

export function nodeId(kind: Kind, id: number): string {
  return `${kind}:${id}`;
}

export function parseNodeId(id: string): { kind: Kind; id: number } | null {
  const [kind, num] = id.split(':');
  const n = Number(num);
  return kind && Number.isInteger(n) ? { kind: kind as Kind, id: n } : null;
}

type HandleSpec = { id: string | null; type: 'source' | 'target'; position: Position; x: number; y: number; width: number; height: number };

/** A switch's handles: interfaces, VXLAN and DHCP come in from above, jails and VMs hang below. */
export const SWITCH_UP = 'up';
export const SWITCH_DOWN = 'down';
/** An interface's handle on top: the network it is plugged into (a LAN between hosts, the uplink). */
export const INTERFACE_UP = 'up';
/** A handle's size (px), as styles.css draws it. */
const HANDLE = 10;
/** Handle geometry given up front, so edges draw before (and regardless of) React Flow measuring the nodes. */
function handles(size: { width: number; height: number }, top: 'source' | 'target' | null, bottom: 'source' | null, ids: [string, string] | null = null): HandleSpec[] {
  const x = size.width / 2 - HANDLE / 2;
  const out: HandleSpec[] = [];
  if (top) out.push({ id: ids?.[0] ?? null, type: top, position: Position.Top, x, y: -HANDLE / 2, width: HANDLE, height: HANDLE });
  if (bottom) out.push({ id: ids?.[1] ?? null, type: bottom, position: Position.Bottom, x, y: size.height - HANDLE / 2, width: HANDLE, height: HANDLE });
  return out;
}

export interface GraphOptions {
  collapsed: Record<number, boolean>;
  badges: Record<string, Badge>;
  selectedId: string | null;
  canEdit: boolean;
  /** Hosts whose objects are loaded (absent: all are); the others show `hostCounts`. */
  loadedHosts?: Record<number, boolean> | null;
  hostCounts?: Record<number, { jails: number; vms: number; switches: number }>;
}

export interface Graph {
  nodes: DesignerNode[];
  edges: Edge[];
}

type Placed = { x: number; y: number };

function placed(obj: { position_x?: number | null; position_y?: number | null }, fallback: Placed): Placed {
  if (typeof obj.position_x === 'number' && typeof obj.position_y === 'number') return { x: obj.position_x, y: obj.position_y };
  return fallback;
}

/** Hosts without a stored position go on a grid, roughly square, closer together when collapsed. */
function defaultHostPosition(index: number, count: number, collapsed: boolean): Placed {
  const columns = Math.max(1, Math.ceil(Math.sqrt(count)));
  const [dx, dy] = collapsed ? [280, 140] : [560, 480];
  return { x: (index % columns) * dx, y: Math.floor(index / columns) * dy };
}

/**
 * Hosts without a stored position on a roughly square grid whose columns and rows are as wide and high as
 * their largest host (plus room for edges between them), so no two hosts overlap whatever their content.
 */
function gridUnplaced(nodes: DesignerNode[], hosts: readonly { id: number; position_x?: number | null; position_y?: number | null }[]): void {
  const unplaced = hosts.filter((h) => typeof h.position_x !== 'number' || typeof h.position_y !== 'number');
  if (!unplaced.length) return;
  const columns = Math.max(1, Math.ceil(Math.sqrt(hosts.length)));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const widths: number[] = [];
  const heights: number[] = [];
  hosts.forEach((h, i) => {
    const n = byId.get(nodeId('host', h.id))!;
    widths[i % columns] = Math.max(widths[i % columns] ?? 0, n.width ?? 0);
    heights[Math.floor(i / columns)] = Math.max(heights[Math.floor(i / columns)] ?? 0, n.height ?? 0);
  });
  const gap = (n: number) => Math.max(60, 8 * n);
  const offset = (sizes: number[], k: number) => sizes.slice(0, k).reduce((a, b) => a + b + gap(hosts.length), 0);
  hosts.forEach((h, i) => {
    if (!unplaced.includes(h)) return;
    const n = byId.get(nodeId('host', h.id))!;
    n.position = { x: offset(widths, i % columns), y: offset(heights, Math.floor(i / columns)) };
  });
}

const byName = <T extends { name: string; id: number }>(a: T, b: T) => a.name.localeCompare(b.name) || a.id - b.id;

/** The x of each interface's centre in its host's row under the title (relative to the host), by interface id. */
export function interfaceCentres(objects: Objects, hostId: number): Map<number, number> {
  const out = new Map<number, number>();
  Object.values(objects.interface)
    .filter((i) => fkId(i.host) === hostId)
    .sort(byName)
    .forEach((iface, k) => out.set(iface.id, HOST_PADDING + k * (SIZES.interface.width + 10) + SIZES.interface.width / 2));
  return out;
}

export function buildGraph(objects: Objects, options: GraphOptions): Graph {
  const nodes: DesignerNode[] = [];
  const children: DesignerNode[] = [];
  const edges: Edge[] = [];
  const { collapsed, badges, selectedId, canEdit } = options;
  const hosts = Object.values(objects.host).sort(byName);
  /** Where an object's node is drawn: itself, or its host when the host is collapsed. */
  const visible: Record<string, string> = {};

  const perHost = <K extends 'interface' | 'switch' | 'jail' | 'vm' | 'nat' | 'redirect' | 'dhcpService'>(kind: K, hostId: number) =>
    Object.values(objects[kind]).filter((o) => fkId(o.host) === hostId);

  hosts.forEach((host, index) => {
    const hostNodeId = nodeId('host', host.id);
    const isCollapsed = Boolean(collapsed[host.id]);
    const interfaces = perHost('interface', host.id).sort(byName);
    const switches = perHost('switch', host.id).sort(byName);
    const jails = perHost('jail', host.id).sort(byName);
    const vms = perHost('vm', host.id).sort(byName);
    const dhcp = perHost('dhcpService', host.id);
    const nat = perHost('nat', host.id);
    const redirects = perHost('redirect', host.id);
    const hostChildren: DesignerNode[] = [];
    const common = (id: string) => ({ id, parentId: hostNodeId, selected: id === selectedId, draggable: canEdit });

    if (!isCollapsed) {
      let x = HOST_PADDING;
      for (const iface of interfaces) {
        const id = nodeId('interface', iface.id);
        hostChildren.push({ ...common(id), draggable: false, type: 'interface', position: { x, y: TOP_ROW_Y }, data: { iface, badge: badges[id] }, ...SIZES.interface, handles: iface.kind === 'loopback' ? [] : [...handles(SIZES.interface, null, 'source'), ...handles(SIZES.interface, 'target', null, [INTERFACE_UP, ''])] });
        x += SIZES.interface.width + 10;
      }
      const service = (kind: 'dhcpService' | 'nat' | 'redirect', objId: number, title: string, detail: string) => {
        const id = nodeId(kind, objId);
        hostChildren.push({ ...common(id), draggable: false, type: 'service', position: { x, y: TOP_ROW_Y }, data: { service: kind, title, detail, badge: badges[id] }, ...SIZES.service, handles: handles(SIZES.service, null, 'source') });
        x += SIZES.service.width + 10;
      };
      for (const d of dhcp) service('dhcpService', d.id, d.switch.name, `${d.range_start}–${d.range_end.split('.').pop()}`);
      for (const n of nat) service('nat', n.id, `on ${n.interface}`, n.source || 'all');
      for (const r of redirects) {
        const target = r.target_jail?.name ?? r.target_vm?.name ?? r.target_address ?? '';
        service('redirect', r.id, `${r.protocol ?? 'tcp'}/${r.external_port}`, `→ ${target}:${r.target_port}`);
      }
      switches.forEach((sw, i) => {
        const id = nodeId('switch', sw.id);
        hostChildren.push({ ...common(id), type: 'switch', position: placed(sw, { x: HOST_PADDING + i * (SIZES.switch.width + 30), y: SWITCH_ROW_Y }), data: { sw, badge: badges[id] }, ...SIZES.switch, handles: handles(SIZES.switch, 'target', 'source', [SWITCH_UP, SWITCH_DOWN]) });
      });
      const nicAddresses = (kind: 'jailNic' | 'vmNic', owner: 'jail' | 'vm', ownerId: number) =>
        Object.values(objects[kind])
          .filter((nic) => fkId((nic as unknown as Record<string, unknown>)[owner]) === ownerId)
          .map((nic) => (nic.dhcp ? 'DHCP' : nic.address ?? ''))
          .filter(Boolean);
      let guest = 0;
      for (const jail of jails) {
        const id = nodeId('jail', jail.id);
        const addresses =
          jail.type === 'vnet'
            ? nicAddresses('jailNic', 'jail', jail.id)
            : Object.values(objects.jailAddress).filter((a) => fkId(a.jail) === jail.id).map((a) => a.address);
        hostChildren.push({ ...common(id), type: 'jail', position: placed(jail, { x: HOST_PADDING + guest++ * (SIZES.jail.width + 20), y: GUEST_ROW_Y }), data: { jail, addresses, badge: badges[id] }, ...SIZES.jail, handles: handles(SIZES.jail, jail.type === 'vnet' ? 'source' : null, null) });
      }
      for (const vm of vms) {
        const id = nodeId('vm', vm.id);
        hostChildren.push({ ...common(id), type: 'vm', position: placed(vm, { x: HOST_PADDING + guest++ * (SIZES.vm.width + 20), y: GUEST_ROW_Y }), data: { vm, addresses: nicAddresses('vmNic', 'vm', vm.id), badge: badges[id] }, ...SIZES.vm, handles: handles(SIZES.vm, 'source', null) });
      }
      for (const child of hostChildren) visible[child.id] = child.id;
    } else {
      for (const [kind, list] of [['interface', interfaces], ['switch', switches], ['jail', jails], ['vm', vms], ['dhcpService', dhcp], ['nat', nat], ['redirect', redirects]] as const)
        for (const obj of list) visible[nodeId(kind, obj.id)] = hostNodeId;
    }

    let width: number = SIZES.collapsedHost.width;
    let height: number = SIZES.collapsedHost.height;
    if (!isCollapsed) {
      width = MIN_HOST.width;
      height = MIN_HOST.height;
      for (const child of hostChildren) {
        width = Math.max(width, child.position.x + (child.width ?? 0) + HOST_PADDING);
        height = Math.max(height, child.position.y + (child.height ?? 0) + HOST_PADDING);
      }
    }
    const hostBadge = badges[hostNodeId];
    nodes.push({
      id: hostNodeId,
      type: 'host',
      position: placed(host, defaultHostPosition(index, hosts.length, isCollapsed)),
      // Hosts without a stored position are put on the grid again below, once every host's size is known.
      selected: hostNodeId === selectedId,
      draggable: canEdit,
      width,
      height,
      style: { width, height },
      handles: isCollapsed ? handles({ width, height }, 'source', null) : [],
      data: {
        host,
        collapsed: isCollapsed,
        counts:
          options.loadedHosts && !options.loadedHosts[host.id] && options.hostCounts?.[host.id]
            ? { switches: options.hostCounts[host.id].switches, jails: options.hostCounts[host.id].jails, vms: options.hostCounts[host.id].vms }
            : { switches: switches.length, jails: jails.length, vms: vms.length },
        badge: hostBadge,
      },
    });
    visible[hostNodeId] = hostNodeId;
    children.push(...hostChildren);
  });

  gridUnplaced(nodes, hosts);

  Object.values(objects.vxlanSegment)
    .sort(byName)
    .forEach((segment, i) => {
      const id = nodeId('vxlanSegment', segment.id);
      visible[id] = id;
      nodes.push({ id, type: 'vxlan', position: placed(segment, { x: i * 220, y: -160 }), selected: id === selectedId, draggable: canEdit, data: { segment, badge: badges[id] }, ...SIZES.vxlan, handles: handles(SIZES.vxlan, null, 'source') });
    });

  // Edges between what is visible; with a collapsed host several attachments may fold into one edge.
  const seen = new Set<string>();
  const edge = (id: string, from: string, to: string, label: string, extra: Partial<Edge> = {}) => {
    const source = visible[from];
    const target = visible[to];
    if (!source || !target || source === target) return;
    const folded = source !== from || target !== to;
    const key = folded ? `${source}->${target}` : id;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({
      id: folded ? `folded:${key}` : id,
      source,
      target,
      label: folded ? undefined : label,
      selected: id === selectedId,
      deletable: canEdit && !folded,
      className: `edge-${id.split(':')[0]}`,
      ...extra,
      // Into a switch or an interface through the handle on the side its other end is drawn; other nodes have one.
      targetHandle: target === to && (to.startsWith('switch:') || to.startsWith('interface:')) ? extra.targetHandle : undefined,
    });
  };
  for (const nic of Object.values(objects.jailNic))
    edge(nodeId('jailNic', nic.id), nodeId('jail', nic.jail.id), nodeId('switch', nic.switch.id), nic.address ? `${nic.name} ${nic.address}` : nic.name ?? 'vnet0', { targetHandle: SWITCH_DOWN });
  for (const nic of Object.values(objects.vmNic))
    edge(nodeId('vmNic', nic.id), nodeId('vm', nic.vm.id), nodeId('switch', nic.switch.id), nic.dhcp ? 'DHCP' : nic.address || `nic${nic.index ?? 0}`, { targetHandle: SWITCH_DOWN });
  for (const port of Object.values(objects.switchPort))
    edge(nodeId('switchPort', port.id), nodeId('interface', port.interface.id), nodeId('switch', port.switch.id), port.private ? 'private' : '', { targetHandle: SWITCH_UP });
  for (const member of Object.values(objects.vxlanMember)) {
    // A member bridged to no switch (the gateway's) ends at the interface it is carried over.
    const over = fkId(member.underlay_interface);
    const to = member.switch ? nodeId('switch', member.switch.id) : over !== null ? nodeId('interface', over) : nodeId('host', member.host.id);
    edge(nodeId('vxlanMember', member.id), nodeId('vxlanSegment', member.segment.id), to, member.interface_name, { targetHandle: to.startsWith('interface:') ? INTERFACE_UP : SWITCH_UP });
  }
  for (const dhcp of Object.values(objects.dhcpService))
    edge(`dhcpEdge:${dhcp.id}`, nodeId('dhcpService', dhcp.id), nodeId('switch', dhcp.switch.id), '', { deletable: false, style: { strokeDasharray: '4 3' }, targetHandle: SWITCH_UP });

  // The networks between hosts: each just above the hosts it joins, centred over the interfaces plugged in.
  const underlays = underlayNetworks(objects).filter((u) => u.interfaces.some((i) => visible[nodeId('interface', i)]));
  for (const u of underlays) {
    visible[u.id] = u.id;
    nodes.push({ id: u.id, type: 'underlay', position: { x: 0, y: 0 }, selectable: false, draggable: false, data: { underlay: u }, ...SIZES.underlay, handles: handles(SIZES.underlay, null, 'source') });
    for (const i of u.interfaces)
      edge(`underlayEdge:${u.id}:${i}`, u.id, nodeId('interface', i), '', { deletable: false, selectable: false, focusable: false, interactionWidth: 0, targetHandle: INTERFACE_UP });
  }

  let all = [...nodes, ...children];
  if (underlays.length) all = withUnderlaysPlaced(all, edges);
  if (nodes.length <= MAX_ROUTED_TOP_LEVEL) routeEdges(all, edges);
  return { nodes: all, edges };
}

/**
 * `nodes` with each network between hosts (an underlay node) where `placeUnderlays` puts it for the other
 * nodes' positions: over the nodes its edges go to (its interfaces, or their collapsed hosts). The same
 * array when none moves.
 */
export function withUnderlaysPlaced(nodes: readonly DesignerNode[], edges: readonly Edge[]): DesignerNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ends = new Map<string, string[]>();
  for (const e of edges) if (e.source.startsWith('underlay:') || e.source.startsWith('uplink:')) ends.set(e.source, [...(ends.get(e.source) ?? []), e.target]);
  const centreX = (node: DesignerNode) => (node.parentId ? byId.get(node.parentId)!.position.x : 0) + node.position.x + (node.width ?? 0) / 2;
  const topOf = (node: DesignerNode) => (node.parentId ? byId.get(node.parentId)!.position.y : node.position.y);
  const wanted = nodes.flatMap((n) => {
    const targets = (ends.get(n.id) ?? []).map((id) => byId.get(id)).filter((t) => t !== undefined);
    return n.type === 'underlay' && targets.length ? [{ id: n.id, centres: targets.map(centreX), top: Math.min(...targets.map(topOf)) }] : [];
  });
  const boxes = nodes.filter((n) => !n.parentId && n.type !== 'underlay').map((n) => ({ x: n.position.x, y: n.position.y, width: n.width ?? 0, height: n.height ?? 0 }));
  const places = placeUnderlays(wanted, boxes);
  let changed = false;
  const out = nodes.map((n) => {
    const place = places.get(n.id);
    if (!place || (place.x === n.position.x && place.y === n.position.y)) return n;
    changed = true;
    return { ...n, position: place };
  });
  return changed ? out : (nodes as DesignerNode[]);
}

/** Above this many hosts and segments on the canvas, edges are drawn plain (routing costs grow fast). */
const MAX_ROUTED_TOP_LEVEL = 150;
/** Room between a network between hosts and the top of the hosts it joins (its edges run there), in px. */
export const UNDERLAY_GAP = 80;
/** Room kept between a network's box and the boxes beside it. */
const UNDERLAY_CLEARANCE = { x: 40, y: 24 };
/** What a row higher costs against sliding sideways (px): a network stays close to its hosts. */
const ROW_UP_COST = 400;

/**
 * Where each network between hosts goes: centred over the interfaces plugged into it, `UNDERLAY_GAP` above
 * the highest of its hosts, at the nearest spot clear of the other boxes (hosts, segments, networks placed
 * before it) — sideways first, a row higher if that is much nearer. The auto-layout places networks as
 * nodes of the graph, so there is a free spot there; on a hand-made arrangement this finds one.
 */
export function placeUnderlays(wanted: readonly { id: string; centres: number[]; top: number }[], boxes: readonly Rect[]): Map<string, Placed> {
  const { width, height } = SIZES.underlay;
  const taken = boxes.map((b) => ({ ...b }));
  const out = new Map<string, Placed>();
  const ordered = [...wanted].sort((a, b) => mean(a.centres) - mean(b.centres) || a.id.localeCompare(b.id));
  for (const u of ordered) {
    const place = freeSpot({ width, height }, { x: Math.round(mean(u.centres) - width / 2), y: u.top - UNDERLAY_GAP - height }, taken);
    out.set(u.id, place);
    taken.push({ ...place, width, height });
  }
  return out;
}

/**
 * The spot nearest `wanted` (sideways first, a row higher if that is much nearer) where a box of `size`
 * keeps clear of `taken`.
 */
export function freeSpot(size: { width: number; height: number }, wanted: Placed, taken: readonly Rect[]): Placed {
  const { width, height } = size;
  let best = { x: wanted.x, y: wanted.y, cost: Infinity };
  for (let row = 0; row < 8 && row * ROW_UP_COST < best.cost; row++) {
    const y = wanted.y - row * (height + 2 * UNDERLAY_CLEARANCE.y);
    // Where the box's left side may not be, for the boxes beside it in this row: merged, in order; the
    // nearest free place is the wanted one or an end of the blocked stretch holding it.
    const blocked = taken
      .filter((b) => b.y - UNDERLAY_CLEARANCE.y < y + height && y < b.y + b.height + UNDERLAY_CLEARANCE.y)
      .map((b) => [b.x - UNDERLAY_CLEARANCE.x - width, b.x + b.width + UNDERLAY_CLEARANCE.x])
      .sort((a, b) => a[0] - b[0]);
    let x = wanted.x;
    let stretch: number[] | null = null;
    for (const [lo, hi] of blocked) {
      if (stretch && lo < stretch[1]) stretch[1] = Math.max(stretch[1], hi);
      else if (stretch && stretch[0] < x && x < stretch[1]) break;
      else stretch = [lo, hi];
    }
    if (stretch && stretch[0] < x && x < stretch[1]) x = x - stretch[0] <= stretch[1] - x ? stretch[0] : stretch[1];
    const cost = Math.abs(x - wanted.x) + row * ROW_UP_COST;
    if (cost < best.cost) best = { x, y, cost };
  }
  return { x: Math.round(best.x), y: Math.round(best.y) };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

type Placed2 = { node: DesignerNode; box: Rect };

/** Gap between the channels of edges from neighbouring networks and segments (px), and how many there are. */
const CHANNEL = 12;
const CHANNELS = 5;

/**
 * The height at which the edges of each network and segment step sideways: neighbours (left to right) in
 * different channels under them, so edges from different sources do not run on top of each other.
 */
function channels(top: DesignerNode[]): Map<string, number> {
  const out = new Map<string, number>();
  const sources = top.filter((n) => n.type === 'underlay' || n.type === 'vxlan').sort((a, b) => a.position.x - b.position.x || a.id.localeCompare(b.id));
  sources.forEach((n, k) => out.set(n.id, n.position.y + (n.height ?? 0) + 22 + (k % CHANNELS) * CHANNEL));
  return out;
}

/** The point and direction an edge leaves or enters a node by (as React Flow finds the handle). */
function endOf(placed: Placed2, handleId: string | null | undefined, role: 'source' | 'target'): { point: Point; side: Side } {
  const specs = (placed.node.handles ?? []) as HandleSpec[];
  const handle = handleId
    ? specs.find((h) => h.id === handleId)
    : role === 'source'
      ? specs.find((h) => h.type === 'source')
      : (specs.find((h) => h.type === 'target') ?? specs.find((h) => h.type === 'source'));
  const { box } = placed;
  if (!handle) return { point: { x: box.x + box.width / 2, y: role === 'source' ? box.y + box.height : box.y }, side: role === 'source' ? 'down' : 'up' };
  const x = box.x + handle.x + handle.width / 2;
  return handle.position === Position.Top ? { point: { x, y: box.y + handle.y }, side: 'up' } : { point: { x, y: box.y + handle.y + handle.height }, side: 'down' };
}

/** Every node's box on the canvas (a child's at its host's place plus its own), the top-level nodes, each host's children. */
interface CanvasBoxes {
  placed: Map<string, Placed2>;
  top: DesignerNode[];
  inHost: Map<string, Placed2[]>;
}

function canvasBoxes(nodes: readonly DesignerNode[]): CanvasBoxes {
  const placed = new Map<string, Placed2>();
  const top = nodes.filter((n) => !n.parentId);
  for (const n of top) placed.set(n.id, { node: n, box: { x: n.position.x, y: n.position.y, width: n.width ?? 0, height: n.height ?? 0 } });
  const inHost = new Map<string, Placed2[]>();
  for (const n of nodes) {
    if (!n.parentId) continue;
    const parent = placed.get(n.parentId);
    if (!parent) continue;
    const p = { node: n, box: { x: parent.box.x + n.position.x, y: parent.box.y + n.position.y, width: n.width ?? 0, height: n.height ?? 0 } };
    placed.set(n.id, p);
    const siblings = inHost.get(n.parentId);
    if (siblings) siblings.push(p);
    else inHost.set(n.parentId, [p]);
  }
  return { placed, top, inHost };
}

/**
 * The route of one edge around every box it does not belong to: other hosts, segments, networks, and the
 * nodes inside its own host(s) other than its ends; null when there is none (or its ends are not drawn).
 */
function routeOne(e: Edge, { placed, top, inHost }: CanvasBoxes, turns: ReadonlyMap<string, number>): Point[] | null {
  const source = placed.get(e.source);
  const target = placed.get(e.target);
  if (!source || !target) return null;
  const topOf = (id: string) => placed.get(id)?.node.parentId ?? id;
  const ends = new Set([e.source, e.target]);
  const own = new Set([topOf(e.source), topOf(e.target)]);
  const obstacles: Rect[] = [];
  for (const n of top) if (!own.has(n.id)) obstacles.push(placed.get(n.id)!.box);
  for (const host of own) for (const child of inHost.get(host) ?? []) if (!ends.has(child.node.id)) obstacles.push(child.box);
  const from = endOf(source, e.sourceHandle, 'source');
  const to = endOf(target, e.targetHandle, 'target');
  return routeEdge(from.point, from.side, to.point, to.side, obstacles, turns.get(e.source));
}

/** What labels keep off: the nodes, and the hosts' title bars (a label there hides the host's name). */
const labelObstacles = (placed: Iterable<Placed2>) => [...placed].map((p) => (p.node.type === 'host' ? { ...p.box, height: HOST_HEADER } : p.box));

/**
 * Orthogonal routes for the edges, around every box an edge does not belong to. Labels go where they
 * overlap neither each other nor a node. Edges without a route keep React Flow's own path.
 */
function routeEdges(nodes: DesignerNode[], edges: Edge[]): void {
  const boxes = canvasBoxes(nodes);
  const turns = channels(boxes.top);
  const routed: { id: string; text: string; points: Point[] }[] = [];
  for (const e of edges) {
    const points = routeOne(e, boxes, turns);
    if (!points) continue;
    e.type = 'routed';
    e.data = { ...e.data, points };
    routed.push({ id: e.id, text: typeof e.label === 'string' ? e.label : '', points });
  }
  const labels = placeLabels(routed, labelObstacles(boxes.placed.values()));
  for (const e of edges) if (labels[e.id]) e.data = { ...e.data, labelAt: labels[e.id] };
}

/**
 * The edges while nodes are being dragged (`nodes` as React Flow has them now, `base` the graph as built):
 * an edge whose two ends moved alike moves with them, one whose ends moved apart — or that a moved box now
 * lies across — is routed again (its label placed clear of the others), the rest stay as they are. So edges
 * keep their routed look during a drag at the cost of the few routes that change, not of all of them.
 * The networks between hosts follow their hosts as they will once dropped: `nodes` with them moved (the
 * same array when none moved), and the edges.
 */
export function whileDragging(dragged: readonly DesignerNode[], base: Graph): Graph {
  const nodes = withUnderlaysPlaced(dragged, base.edges);
  return { nodes, edges: edgesWhileDragging(nodes, base) };
}

function edgesWhileDragging(nodes: readonly DesignerNode[], base: Graph): Edge[] {
  if (!base.edges.some((e) => e.type === 'routed')) return base.edges;
  const now = canvasBoxes(nodes);
  const before = canvasBoxes(base.nodes);
  const delta = (id: string) => {
    const [a, b] = [now.placed.get(id)?.box, before.placed.get(id)?.box];
    return a && b ? { x: a.x - b.x, y: a.y - b.y } : { x: 0, y: 0 };
  };
  const moved: Rect[] = [];
  for (const [id, p] of now.placed) {
    const d = delta(id);
    if (d.x || d.y) moved.push(p.box);
  }
  if (!moved.length) return base.edges;
  const turns = channels(now.top);
  const out: Edge[] = [];
  const again: Edge[] = [];
  for (const e of base.edges) {
    const data = e.data as { points?: Point[]; labelAt?: Point } | undefined;
    const points = data?.points;
    if (e.type !== 'routed' || !points) {
      out.push(e);
      continue;
    }
    const [ds, dt] = [delta(e.source), delta(e.target)];
    if (ds.x === dt.x && ds.y === dt.y && (ds.x || ds.y)) {
      const shift = (p: Point) => ({ x: p.x + ds.x, y: p.y + ds.y });
      out.push({ ...e, data: { ...data, points: points.map(shift), labelAt: data.labelAt && shift(data.labelAt) } });
    } else if (ds.x === dt.x && ds.y === dt.y && !points.slice(1).some((b, k) => moved.some((r) => segmentCrosses(points[k], b, r)))) {
      out.push(e);
    } else {
      const route = routeOne(e, now, turns);
      const next = { ...e, data: { ...data, points: route ?? undefined, labelAt: undefined } };
      out.push(next);
      if (route) again.push(next);
    }
  }
  if (again.length) {
    const taken = out
      .filter((e) => !again.includes(e) && typeof e.label === 'string' && e.label && (e.data as { labelAt?: Point } | undefined)?.labelAt)
      .map((e) => labelBox(e.label as string, (e.data as { labelAt: Point }).labelAt));
    const labels = placeLabels(
      again.map((e) => ({ id: e.id, text: typeof e.label === 'string' ? e.label : '', points: (e.data as { points: Point[] }).points })),
      labelObstacles(now.placed.values()),
      taken,
    );
    for (const e of again) if (labels[e.id]) e.data = { ...e.data, labelAt: labels[e.id] };
  }
  return out;
}
