/**
 * Auto-layout with ELK (layered, top-down): the networks between hosts (LANs, uplinks) and the VXLAN
 * segments above the hosts they join, inside each host its switches above the jails and VMs attached to
 * them. Interfaces and services keep their fixed row under the host's title, so the host's top padding
 * leaves room for it, and each interface is a port on the host's top side where its network's edge ends:
 * the hosts sharing a LAN come out side by side under it, the gateway under its uplink.
 *
 * The networks are derived, not stored: the diagram draws each where `placeUnderlays` finds room above
 * its hosts, which is where the layout left it room.
 */
import type { ElkExtendedEdge, ElkNode, ElkPort } from 'elkjs/lib/elk-api';
import { freeSpot, HOST_HEADER, interfaceCentres, nodeId, placeUnderlays, SIZES } from './graph';
import { fkId, type Objects } from './kinds';
import type { PositionChange } from '../store/designStore';
import { underlayNetworks } from './underlay';

/** ELK is large: load it the first time a layout is asked for, not with the page. */
let elkPromise: Promise<{ layout(graph: ElkNode): Promise<ElkNode> }> | null = null;
function loadElk() {
  elkPromise ??= import('elkjs/lib/elk.bundled.js').then(({ default: ELK }) => new ELK());
  return elkPromise;
}

const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.spacing.nodeNode': '30',
  'elk.layered.spacing.nodeNodeBetweenLayers': '80',
  'elk.spacing.componentComponent': '60',
};

/** New positions for every host, switch, jail, VM and VXLAN segment (children relative to their host). */
export async function layoutDesign(objects: Objects, collapsed: Record<number, boolean>): Promise<PositionChange[]> {
  const hostOf: Record<string, number> = {};
  /** Interface (port) id -> its host's node id, for expanded hosts. */
  const portHost: Record<string, string> = {};
  const minWidth = new Map<string, number>();
  const hosts: ElkNode[] = Object.values(objects.host).map((host) => {
    const id = nodeId('host', host.id);
    if (collapsed[host.id]) return { id, ...SIZES.collapsedHost };
    const children: ElkNode[] = [];
    for (const kind of ['switch', 'jail', 'vm'] as const) {
      for (const obj of Object.values(objects[kind])) {
        if (fkId(obj.host) !== host.id) continue;
        const childId = nodeId(kind, obj.id);
        hostOf[childId] = host.id;
        children.push({ id: childId, ...SIZES[kind] });
      }
    }
    const topRow =
      Object.values(objects.interface).filter((i) => fkId(i.host) === host.id).length * (SIZES.interface.width + 10) +
      ['dhcpService', 'nat', 'redirect'].reduce(
        (n, kind) => n + Object.values(objects[kind as 'nat']).filter((o) => fkId(o.host) === host.id).length,
        0,
      ) *
        (SIZES.service.width + 10);
    minWidth.set(id, Math.max(360, topRow + 32));
    // Each interface a port on the host's top side, where it is drawn: a network's edge ends there.
    const ports: ElkPort[] = [...interfaceCentres(objects, host.id)].map(([ifaceId, x]) => {
      portHost[nodeId('interface', ifaceId)] = id;
      return { id: nodeId('interface', ifaceId), x: x - 1, y: 0, width: 2, height: 2, layoutOptions: { 'elk.port.side': 'NORTH' } };
    });
    return {
      id,
      children,
      ports,
      layoutOptions: {
        'elk.portConstraints': 'FIXED_POS',
        // Under the title, the row of interfaces and services (the taller), and room for edges below it.
        'elk.padding': `[top=${HOST_HEADER + 6 + Math.max(SIZES.interface.height, SIZES.service.height) + 44},left=16,bottom=16,right=16]`,
        'elk.spacing.nodeNode': '30',
        'elk.layered.spacing.nodeNodeBetweenLayers': '60',
        'elk.nodeSize.minimum': `(${Math.max(360, topRow + 32)},200)`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
      },
    };
  });
  const segments: ElkNode[] = Object.values(objects.vxlanSegment).map((s) => ({ id: nodeId('vxlanSegment', s.id), ...SIZES.vxlan }));

  const underlays: ElkNode[] = underlayNetworks(objects).map((u) => ({ id: u.id, ...SIZES.underlay }));

  const present = new Set<string>([...hosts.map((h) => h.id), ...segments.map((s) => s.id), ...underlays.map((u) => u.id), ...Object.keys(hostOf), ...Object.keys(portHost)]);
  const visibleNode = (id: string, hostId: number | null) => (present.has(id) ? id : hostId !== null ? nodeId('host', hostId) : null);
  const edges: ElkExtendedEdge[] = [];
  const addEdge = (id: string, source: string | null, target: string | null) => {
    if (source && target && source !== target && present.has(source) && present.has(target)) edges.push({ id, sources: [source], targets: [target] });
  };
  // Networks -> the interfaces plugged in (a collapsed host's: the host).
  for (const u of underlayNetworks(objects))
    for (const i of u.interfaces) {
      const host = fkId(objects.interface[i]?.host);
      addEdge(`underlayEdge:${u.id}:${i}`, u.id, visibleNode(nodeId('interface', i), host));
    }
  // Edges point downwards: segment -> switch -> guest.
  for (const nic of Object.values(objects.jailNic)) addEdge(nodeId('jailNic', nic.id), nodeId('switch', nic.switch.id), nodeId('jail', nic.jail.id));
  for (const nic of Object.values(objects.vmNic)) addEdge(nodeId('vmNic', nic.id), nodeId('switch', nic.switch.id), nodeId('vm', nic.vm.id));
  for (const m of Object.values(objects.vxlanMember)) {
    const over = fkId(m.underlay_interface);
    const to = m.switch ? nodeId('switch', m.switch.id) : over !== null ? nodeId('interface', over) : nodeId('host', m.host.id);
    const target = visibleNode(to, fkId(m.host));
    addEdge(nodeId('vxlanMember', m.id), nodeId('vxlanSegment', m.segment.id), target);
  }

  const graph: ElkNode = { id: 'root', layoutOptions: LAYOUT_OPTIONS, children: [...underlays, ...segments, ...hosts], edges };
  const elk = await loadElk();
  const result = await elk.layout(graph);

  separate(result.children ?? [], minWidth);
  makeRoomForNetworks(objects, result.children ?? [], minWidth);
  const out: PositionChange[] = [];
  for (const node of result.children ?? []) {
    const [kind, num] = node.id.split(':');
    if (kind !== 'host' && kind !== 'vxlanSegment') continue; // a network: drawn where the diagram finds room
    out.push({ kind: kind === 'host' ? 'host' : 'vxlanSegment', id: Number(num), x: node.x ?? 0, y: node.y ?? 0 });
    for (const child of node.children ?? []) {
      const [childKind, childNum] = child.id.split(':');
      out.push({ kind: childKind as 'switch' | 'jail' | 'vm', id: Number(childNum), x: child.x ?? 0, y: child.y ?? 0 });
    }
  }
  return out;
}

/**
 * The diagram draws each network where `placeUnderlays` finds room above its hosts (networks are derived,
 * their positions not stored): find those spots now, with the hosts where ELK put them, and move the
 * segments ELK put in the same row out of the way, to the nearest free spot — so the diagram draws the
 * networks exactly there.
 */
function makeRoomForNetworks(objects: Objects, top: ElkNode[], minWidth: ReadonlyMap<string, number>): void {
  const byId = new Map(top.map((n) => [n.id, n]));
  const box = (n: ElkNode) => ({ x: n.x ?? 0, y: n.y ?? 0, width: Math.max(n.width ?? 0, minWidth.get(n.id) ?? 0), height: n.height ?? 0 });
  const wanted = underlayNetworks(objects).flatMap((u) => {
    const ends = u.interfaces.flatMap((i) => {
      const hostId = fkId(objects.interface[i]?.host);
      const host = hostId === null ? undefined : byId.get(nodeId('host', hostId));
      if (!host || hostId === null) return [];
      const offset = host.ports?.length ? interfaceCentres(objects, hostId).get(i) : undefined;
      return [{ x: (host.x ?? 0) + (offset ?? (host.width ?? 0) / 2), top: host.y ?? 0 }];
    });
    return ends.length ? [{ id: u.id, centres: ends.map((e) => e.x), top: Math.min(...ends.map((e) => e.top)) }] : [];
  });
  if (!wanted.length) return;
  const hosts = top.filter((n) => n.id.startsWith('host:'));
  const places = placeUnderlays(wanted, hosts.map(box));
  const taken = [...hosts.map(box), ...[...places.values()].map((p) => ({ ...p, ...SIZES.underlay }))];
  for (const segment of top.filter((n) => n.id.startsWith('vxlanSegment:')).sort((a, b) => (a.x ?? 0) - (b.x ?? 0))) {
    const spot = freeSpot(SIZES.vxlan, { x: segment.x ?? 0, y: segment.y ?? 0 }, taken);
    [segment.x, segment.y] = [spot.x, spot.y];
    taken.push({ ...spot, ...SIZES.vxlan });
  }
}

/** Room between top-level boxes side by side, for the edges that run between them. */
const SIDE_GAP = 60;

/**
 * ELK (with INCLUDE_CHILDREN) applies a host's minimum size after placing its neighbours, so a host wider
 * than its children can overlap the next one: push such boxes right, in order, until each clears the ones
 * beside it.
 */
export function separate(nodes: ElkNode[], minWidth: ReadonlyMap<string, number> = new Map()): void {
  const width = (n: ElkNode) => Math.max(n.width ?? 0, minWidth.get(n.id) ?? 0);
  const sorted = [...nodes].sort((a, b) => (a.x ?? 0) - (b.x ?? 0));
  const done: ElkNode[] = [];
  for (const node of sorted) {
    const [top, bottom] = [node.y ?? 0, (node.y ?? 0) + (node.height ?? 0)];
    for (const other of done) {
      const [otherTop, otherBottom] = [other.y ?? 0, (other.y ?? 0) + (other.height ?? 0)];
      if (otherTop < bottom && top < otherBottom) node.x = Math.max(node.x ?? 0, (other.x ?? 0) + width(other) + SIDE_GAP);
    }
    done.push(node);
  }
}
