/**
 * The kinds of design object the designer edits: their REST endpoints, foreign keys and editable fields.
 *
 * Objects are kept exactly as the API returns them (foreign keys as brief objects); writes send
 * foreign keys as ids.
 */
import type * as T from '../api/types';
import { checkInterfaceAddress, checkAddress, checkInterfaceName, checkMac, checkNetwork, checkRange } from './checks';

export interface KindMap {
  host: T.Host;
  interface: T.Interface;
  switch: T.Switch;
  switchPort: T.SwitchPort;
  jail: T.Jail;
  jailNic: T.JailNic;
  jailAddress: T.JailAddress;
  vm: T.VirtualMachine;
  vmNic: T.VmNic;
  vxlanSegment: T.VxlanSegment;
  vxlanMember: T.VxlanMember;
  dhcpService: T.DhcpService;
  dhcpLease: T.DhcpStaticLease;
  nat: T.OutboundNat;
  redirect: T.PortRedirect;
}

export type Kind = keyof KindMap;
export type ObjectOf<K extends Kind> = KindMap[K];
export type AnyObject = KindMap[Kind];
export type Objects = { [K in Kind]: Record<number, KindMap[K]> };

export const KINDS: Kind[] = [
  'host',
  'interface',
  'switch',
  'switchPort',
  'jail',
  'jailNic',
  'jailAddress',
  'vm',
  'vmNic',
  'vxlanSegment',
  'vxlanMember',
  'dhcpService',
  'dhcpLease',
  'nat',
  'redirect',
];

export const ENDPOINTS: Record<Kind, string> = {
  host: '/api/hosts/',
  interface: '/api/interfaces/',
  switch: '/api/switches/',
  switchPort: '/api/switch-ports/',
  jail: '/api/jails/',
  jailNic: '/api/jail-nics/',
  jailAddress: '/api/jail-addresses/',
  vm: '/api/vms/',
  vmNic: '/api/vm-nics/',
  vxlanSegment: '/api/vxlan-segments/',
  vxlanMember: '/api/vxlan-members/',
  dhcpService: '/api/dhcp-services/',
  dhcpLease: '/api/dhcp-static-leases/',
  nat: '/api/nat-rules/',
  redirect: '/api/port-redirects/',
};

export const LABELS: Record<Kind, string> = {
  host: 'Host',
  interface: 'Interface',
  switch: 'Switch',
  switchPort: 'Switch port',
  jail: 'Jail',
  jailNic: 'Jail NIC',
  jailAddress: 'Jail address',
  vm: 'VM',
  vmNic: 'VM NIC',
  vxlanSegment: 'VXLAN segment',
  vxlanMember: 'VXLAN member',
  dhcpService: 'DHCP service',
  dhcpLease: 'DHCP reservation',
  nat: 'Outbound NAT',
  redirect: 'Port redirect',
};

/** Foreign-key fields of each kind and the kind they point at (used to re-map ids on undo/redo). */
export const FOREIGN_KEYS: { [K in Kind]: Partial<Record<string, Kind | 'design'>> } = {
  host: { design: 'design' },
  interface: { host: 'host', parent: 'interface' },
  switch: { host: 'host' },
  switchPort: { switch: 'switch', interface: 'interface' },
  jail: { host: 'host' },
  jailNic: { jail: 'jail', switch: 'switch' },
  jailAddress: { jail: 'jail' },
  vm: { host: 'host' },
  vmNic: { vm: 'vm', switch: 'switch' },
  vxlanSegment: { design: 'design' },
  vxlanMember: { segment: 'vxlanSegment', host: 'host', underlay_interface: 'interface', switch: 'switch' },
  dhcpService: { host: 'host', switch: 'switch' },
  dhcpLease: { service: 'dhcpService' },
  nat: { host: 'host' },
  redirect: { host: 'host', target_jail: 'jail', target_vm: 'vm' },
};

/** Fields the server computes; never sent back. */
const READ_ONLY = new Set(['id', 'url', 'display', 'created', 'last_updated', 'version']);

/** The id behind a foreign-key value as read (brief object) or written (number). */
export function fkId(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && 'id' in value && typeof value.id === 'number') return value.id;
  return null;
}

/** An object's writable fields with foreign keys as ids: what re-creates it. */
export function writableData(kind: Kind, obj: AnyObject): Record<string, unknown> {
  const fks = FOREIGN_KEYS[kind];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (READ_ONLY.has(key)) continue;
    out[key] = key in fks ? fkId(value) : value;
  }
  return out;
}

export function emptyObjects(): Objects {
  return Object.fromEntries(KINDS.map((k) => [k, {}])) as unknown as Objects;
}

export function displayName(kind: Kind, obj: AnyObject): string {
  if ('name' in obj && typeof obj.name === 'string' && obj.name) return obj.name;
  return obj.display || `${LABELS[kind]} ${obj.id}`;
}

// --- fields of the property panel ----------------------------------------------------------------------

export type FieldType = 'text' | 'number' | 'bool' | 'select' | 'ref';

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  choices?: readonly string[];
  /** For `ref`: the kind referred to; candidates are offered from the same host when possible. */
  refKind?: Kind;
  required?: boolean;
  help?: string;
  check?: (value: string) => string | null;
  /** Show the field only when this says so (e.g. VLAN fields for VLAN interfaces). */
  when?: (draft: Record<string, unknown>) => boolean;
}

const roles: readonly T.Schemas['RoleEnum'][] = ['jailhost', 'gateway'];
const interfaceKinds: readonly T.Schemas['InterfaceKindEnum'][] = ['physical', 'vlan', 'loopback'];
const switchKinds: readonly T.Schemas['SwitchKindEnum'][] = ['bridge', 'vm-switch', 'pot-bridge'];
const jailTypes: readonly T.Schemas['TypeEnum'][] = ['plain', 'vnet'];
const managers: readonly T.Schemas['ManagerEnum'][] = ['iocage', 'pot', 'jail.conf'];
const vxlanModes: readonly T.Schemas['ModeEnum'][] = ['multicast', 'unicast'];
const natEngines: readonly T.Schemas['OutboundNatEngineEnum'][] = ['pf', 'natd', 'pot'];
const protocols: readonly T.Schemas['PortRedirectProtocolEnum'][] = ['tcp', 'udp'];

const mtu: FieldDef = { name: 'mtu', label: 'MTU', type: 'number', check: checkRange(576, 65535) };

export const FIELDS: Record<Kind, FieldDef[]> = {
  host: [
    { name: 'name', label: 'Name', type: 'text', required: true },
    { name: 'role', label: 'Role', type: 'select', choices: roles },
    { name: 'release', label: 'FreeBSD release', type: 'text' },
    { name: 'default_router', label: 'Default router', type: 'text', check: checkAddress },
    { name: 'gateway_enable', label: 'Forward IPv4 (gateway_enable)', type: 'bool' },
    { name: 'has_iocage', label: 'iocage installed', type: 'bool' },
    { name: 'has_pot', label: 'pot installed', type: 'bool' },
    { name: 'has_vm_bhyve', label: 'vm-bhyve installed', type: 'bool' },
    { name: 'has_dnsmasq', label: 'dnsmasq installed', type: 'bool' },
    { name: 'zfs_pool', label: 'ZFS pool', type: 'text' },
    { name: 'vm_dir', label: 'vm_dir', type: 'text' },
  ],
  interface: [
    { name: 'name', label: 'Name', type: 'text', required: true, check: checkInterfaceName },
    { name: 'kind', label: 'Kind', type: 'select', choices: interfaceKinds },
    { name: 'address', label: 'Address', type: 'text', check: checkInterfaceAddress, help: '192.168.0.2/24' },
    { name: 'dhcp', label: 'DHCP client', type: 'bool' },
    mtu,
    { name: 'parent', label: 'VLAN parent', type: 'ref', refKind: 'interface', when: (d) => d.kind === 'vlan' },
    { name: 'vlan_tag', label: 'VLAN tag', type: 'number', check: checkRange(1, 4094), when: (d) => d.kind === 'vlan' },
    { name: 'description', label: 'Description', type: 'text' },
  ],
  switch: [
    { name: 'name', label: 'Name', type: 'text', required: true, check: checkInterfaceName },
    { name: 'kind', label: 'Kind', type: 'select', choices: switchKinds },
    { name: 'address', label: 'Address', type: 'text', check: checkInterfaceAddress, help: '10.1.1.1/24' },
    mtu,
    { name: 'private', label: 'Private members', type: 'bool' },
  ],
  switchPort: [{ name: 'private', label: 'Private', type: 'bool' }],
  jail: [
    { name: 'name', label: 'Name', type: 'text', required: true },
    { name: 'type', label: 'Type', type: 'select', choices: jailTypes },
    { name: 'manager', label: 'Manager', type: 'select', choices: managers },
    { name: 'release', label: 'Release', type: 'text' },
    { name: 'boot', label: 'Start at boot', type: 'bool' },
    { name: 'inherit', label: 'Inherit host addresses', type: 'bool', when: (d) => d.type === 'plain' },
    { name: 'default_router', label: 'Default router', type: 'text', check: checkAddress, when: (d) => d.type === 'vnet' },
    { name: 'allow_raw_sockets', label: 'Allow raw sockets', type: 'bool' },
    { name: 'devfs_ruleset', label: 'devfs ruleset', type: 'number', check: checkRange(0, 65535) },
  ],
  jailNic: [
    { name: 'name', label: 'Name', type: 'text', required: true, check: (v) => (/^vnet[0-9]+$/.test(v) ? null : 'vnet0, vnet1 ...') },
    { name: 'address', label: 'Address', type: 'text', check: checkInterfaceAddress, help: '10.1.1.2/24' },
    { name: 'dhcp', label: 'DHCP client', type: 'bool' },
    { name: 'mac', label: 'MAC', type: 'text', check: checkMac },
    mtu,
    { name: 'private', label: 'Private', type: 'bool' },
  ],
  jailAddress: [
    { name: 'interface_name', label: 'Interface', type: 'text', check: (v) => (v ? checkInterfaceName(v) : null) },
    { name: 'address', label: 'Address', type: 'text', required: true, check: checkInterfaceAddress },
  ],
  vm: [
    { name: 'name', label: 'Name', type: 'text', required: true },
    { name: 'guest', label: 'Guest', type: 'text' },
    { name: 'cpu', label: 'CPUs', type: 'number', check: checkRange(1, 256) },
    { name: 'memory', label: 'Memory', type: 'text', check: (v) => (/^[0-9]+[KMGT]?$/.test(v) ? null : 'e.g. 512M, 2G') },
    { name: 'disk_size', label: 'Disk size', type: 'text', check: (v) => (/^[0-9]+[KMGT]?$/.test(v) ? null : 'e.g. 20G') },
    { name: 'iso', label: 'ISO', type: 'text' },
    { name: 'boot', label: 'Start at boot', type: 'bool' },
    { name: 'default_router', label: 'Default router', type: 'text', check: checkAddress },
  ],
  vmNic: [
    { name: 'address', label: 'Address', type: 'text', check: checkInterfaceAddress },
    { name: 'dhcp', label: 'DHCP client', type: 'bool' },
    { name: 'mac', label: 'MAC', type: 'text', check: checkMac, help: '58:9c:fc:00:00:01' },
    mtu,
    { name: 'private', label: 'Private', type: 'bool' },
  ],
  vxlanSegment: [
    { name: 'name', label: 'Name', type: 'text', required: true },
    { name: 'vni', label: 'VNI', type: 'number', required: true, check: checkRange(1, 16777215) },
    { name: 'subnet', label: 'Subnet', type: 'text', check: checkNetwork, help: '10.0.111.0/24' },
    { name: 'mtu', label: 'MTU', type: 'number', check: checkRange(576, 65535) },
    { name: 'mode', label: 'Mode', type: 'select', choices: vxlanModes },
    { name: 'multicast_group', label: 'Multicast group', type: 'text', check: checkAddress, when: (d) => d.mode === 'multicast' },
    { name: 'udp_port', label: 'UDP port', type: 'number', check: checkRange(1, 65535) },
  ],
  vxlanMember: [
    { name: 'interface_name', label: 'Interface name', type: 'text', required: true, check: checkInterfaceName },
    { name: 'underlay_interface', label: 'Underlay interface', type: 'ref', refKind: 'interface', required: true },
    { name: 'local_address', label: 'Local address', type: 'text', check: checkAddress },
    { name: 'remote_address', label: 'Remote address (unicast)', type: 'text', check: checkAddress },
    { name: 'address', label: 'Address', type: 'text', check: checkInterfaceAddress },
    { name: 'private', label: 'Private', type: 'bool' },
    { name: 'group_route', label: 'Route for the multicast group', type: 'bool' },
  ],
  dhcpService: [
    { name: 'range_start', label: 'Range start', type: 'text', required: true, check: checkAddress },
    { name: 'range_end', label: 'Range end', type: 'text', required: true, check: checkAddress },
    { name: 'lease_time', label: 'Lease time', type: 'text' },
  ],
  dhcpLease: [
    { name: 'mac', label: 'MAC', type: 'text', required: true, check: checkMac },
    { name: 'address', label: 'Address', type: 'text', required: true, check: checkAddress },
    { name: 'hostname', label: 'Host name', type: 'text' },
  ],
  nat: [
    { name: 'interface', label: 'External interface', type: 'text', required: true, check: checkInterfaceName },
    { name: 'source', label: 'Source network', type: 'text', check: checkNetwork },
    { name: 'engine', label: 'Engine', type: 'select', choices: natEngines },
  ],
  redirect: [
    { name: 'interface', label: 'Interface', type: 'text', required: true, check: checkInterfaceName },
    { name: 'protocol', label: 'Protocol', type: 'select', choices: protocols },
    { name: 'external_port', label: 'External port', type: 'number', required: true, check: checkRange(1, 65535) },
    { name: 'target_port', label: 'Target port', type: 'number', required: true, check: checkRange(1, 65535) },
    { name: 'target_jail', label: 'Target jail', type: 'ref', refKind: 'jail' },
    { name: 'target_vm', label: 'Target VM', type: 'ref', refKind: 'vm' },
    { name: 'target_address', label: 'Target address', type: 'text', check: checkAddress },
  ],
};
