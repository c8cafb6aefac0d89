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

export const SIZES = {
  interface: { width: 120, height: 44 },
  service: { width: 132, height: 58 },
  switch: { width: 160, height: 58 },
  jail: { width: 140, height: 58 },
  vm: { width: 140, height: 58 },
  vxlan: { width: 180, height: 58 },
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
const HANDLE = 6;
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

const byName = <T extends { name: string; id: number }>(a: T, b: T) => a.name.localeCompare(b.name) || a.id - b.id;

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
        hostChildren.push({ ...common(id), draggable: false, type: 'interface', position: { x, y: TOP_ROW_Y }, data: { iface, badge: badges[id] }, ...SIZES.interface, handles: handles(SIZES.interface, null, iface.kind === 'loopback' ? null : 'source') });
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
      // Into a switch through the handle on the side its other end is drawn; other nodes have one handle.
      targetHandle: target === to && to.startsWith('switch:') ? (extra.targetHandle ?? SWITCH_DOWN) : undefined,
    });
  };
  for (const nic of Object.values(objects.jailNic))
    edge(nodeId('jailNic', nic.id), nodeId('jail', nic.jail.id), nodeId('switch', nic.switch.id), nic.address ? `${nic.name} ${nic.address}` : nic.name ?? 'vnet0', { targetHandle: SWITCH_DOWN });
  for (const nic of Object.values(objects.vmNic))
    edge(nodeId('vmNic', nic.id), nodeId('vm', nic.vm.id), nodeId('switch', nic.switch.id), nic.dhcp ? 'DHCP' : nic.address || `nic${nic.index ?? 0}`, { targetHandle: SWITCH_DOWN });
  for (const port of Object.values(objects.switchPort))
    edge(nodeId('switchPort', port.id), nodeId('interface', port.interface.id), nodeId('switch', port.switch.id), port.private ? 'private' : '', { targetHandle: SWITCH_UP });
  for (const member of Object.values(objects.vxlanMember)) {
    const to = member.switch ? nodeId('switch', member.switch.id) : nodeId('host', member.host.id);
    edge(nodeId('vxlanMember', member.id), nodeId('vxlanSegment', member.segment.id), to, member.interface_name, { animated: true, targetHandle: SWITCH_UP });
  }
  for (const dhcp of Object.values(objects.dhcpService))
    edge(`dhcpEdge:${dhcp.id}`, nodeId('dhcpService', dhcp.id), nodeId('switch', dhcp.switch.id), '', { deletable: false, style: { strokeDasharray: '4 3' }, targetHandle: SWITCH_UP });

  return { nodes: [...nodes, ...children], edges };
}
