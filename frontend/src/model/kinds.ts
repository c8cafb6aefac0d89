/**
 * The kinds of design object the designer edits: their REST endpoints, foreign keys and editable fields.
 *
 * Objects are kept exactly as the API returns them (foreign keys as brief objects); writes send
 * foreign keys as ids.
 */
import type * as T from '../api/types';
import { checkInterfaceAddress, checkAddress, checkInterfaceName, checkMac, checkNetwork, checkRange } from './checks';
import { GENERATED_KINDS, type GeneratedField, type GeneratedFieldType, type GeneratedFormat, type GeneratedKind } from './kinds.generated';

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
//
// Which fields an object has, their types, choices, ranges and formats come from the models through
// `kinds.generated.ts` (`python manage.py kinds_ts`): a new model field appears here without an edit.
// This file only adds what is about the UI: labels, and when a field is shown.

export type FieldType = GeneratedFieldType;

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  choices?: readonly string[];
  /** For `ref`: the kind referred to; candidates are offered from the same host when possible. */
  refKind?: Kind;
  required?: boolean;
  /** An example value, shown as the empty input's placeholder. */
  help?: string;
  check?: (value: string) => string | null;
  /** Show the field only when this says so (e.g. VLAN fields for VLAN interfaces). */
  when?: (draft: Record<string, unknown>) => boolean;
}

/** The declared kind (topology/kinds.py) behind each designer kind. */
export const DECLARED_KIND = {
  host: 'host',
  interface: 'interface',
  switch: 'switch',
  switchPort: 'switch-port',
  jail: 'jail',
  jailNic: 'jail-nic',
  jailAddress: 'jail-address',
  vm: 'vm',
  vmNic: 'vm-nic',
  vxlanSegment: 'vxlan-segment',
  vxlanMember: 'vxlan-member',
  dhcpService: 'dhcp-service',
  dhcpLease: 'dhcp-lease',
  nat: 'nat',
  redirect: 'port-redirect',
} as const satisfies Record<Kind, keyof typeof GENERATED_KINDS>;

type DeclaredKind = (typeof DECLARED_KIND)[Kind];
type GeneratedFieldName<K extends Kind> = (typeof GENERATED_KINDS)[(typeof DECLARED_KIND)[K]]['fields'][number]['name'];

// Compile-time: every generated field is a field of the API type of its kind (the same models feed both).
type MissingFromApi = { [K in Kind]: Exclude<GeneratedFieldName<K>, keyof KindMap[K]> }[Kind];
const everyGeneratedFieldIsInTheApi: [MissingFromApi] extends [never] ? true : MissingFromApi = true;
void everyGeneratedFieldIsInTheApi;

const KIND_OF_DECLARED = Object.fromEntries(Object.entries(DECLARED_KIND).map(([kind, declared]) => [declared, kind])) as Record<
  DeclaredKind,
  Kind
>;

/** Foreign-key fields of each kind and the kind they point at (used to re-map ids on undo/redo). */
export const FOREIGN_KEYS = Object.fromEntries(
  KINDS.map((kind) => {
    const declared: GeneratedKind = GENERATED_KINDS[DECLARED_KIND[kind]];
    const out: Record<string, Kind | 'design'> = {};
    for (const [field, target] of Object.entries(declared.ownerKinds)) out[field] = target === 'design' ? 'design' : KIND_OF_DECLARED[target as DeclaredKind];
    for (const f of declared.fields) if (f.type === 'ref' && f.refKind) out[f.name] = KIND_OF_DECLARED[f.refKind as DeclaredKind];
    return [kind, out];
  }),
) as { [K in Kind]: Partial<Record<string, Kind | 'design'>> };

/** References drawn as edges on the canvas (a NIC's switch, a member's segment): not edited in the panel. */
const DRAWN: Partial<Record<Kind, readonly string[]>> = {
  switchPort: ['interface'],
  jailNic: ['switch'],
  vmNic: ['switch'],
  vxlanMember: ['host', 'switch'],
  dhcpService: ['switch'],
};

/** What the UI says and when it shows a field, where the model's name is not enough. */
type Override = Partial<Pick<FieldDef, 'label' | 'help' | 'when' | 'check'>>;
const OVERRIDES: { [K in Kind]?: Partial<Record<GeneratedFieldName<K>, Override>> } = {
  host: {
    release: { label: 'FreeBSD release' },
    gateway_enable: { label: 'Forward IPv4 (gateway_enable)' },
    has_iocage: { label: 'iocage installed' },
    has_pot: { label: 'pot installed' },
    has_vm_bhyve: { label: 'vm-bhyve installed' },
    has_dnsmasq: { label: 'dnsmasq installed' },
    zfs_pool: { label: 'ZFS pool' },
    vm_dir: { label: 'vm_dir' },
  },
  interface: {
    address: { help: '192.168.0.2/24' },
    dhcp: { label: 'DHCP client' },
    parent: { label: 'VLAN parent', when: (d) => d.kind === 'vlan' },
    vlan_tag: { label: 'VLAN tag', when: (d) => d.kind === 'vlan' },
  },
  switch: { address: { help: '10.1.1.1/24' }, private: { label: 'Private members' } },
  jail: {
    boot: { label: 'Start at boot' },
    inherit: { label: 'Inherit host addresses', when: (d) => d.type === 'plain' },
    default_router: { when: (d) => d.type === 'vnet' },
    devfs_ruleset: { label: 'devfs ruleset' },
  },
  jailNic: { address: { help: '10.1.1.2/24' }, dhcp: { label: 'DHCP client' }, mac: { label: 'MAC' } },
  jailAddress: { interface_name: { label: 'Interface', check: checkInterfaceName } },
  vm: { cpu: { label: 'CPUs' }, iso: { label: 'ISO' }, boot: { label: 'Start at boot' } },
  vmNic: { dhcp: { label: 'DHCP client' }, mac: { label: 'MAC', help: '58:9c:fc:00:00:01' } },
  vxlanSegment: {
    vni: { label: 'VNI', check: checkRange(1, 16777215) }, // the range is a validation rule on the server
    subnet: { help: '10.0.111.0/24' },
    multicast_group: { when: (d) => d.mode === 'multicast' },
    udp_port: { label: 'UDP port' },
  },
  vxlanMember: {
    remote_address: { label: 'Remote address (unicast)' },
    group_route: { label: 'Route for the multicast group' },
  },
  dhcpLease: { mac: { label: 'MAC' }, hostname: { label: 'Host name' } },
  nat: { interface: { label: 'External interface', check: checkInterfaceName }, source: { label: 'Source network' } },
  redirect: { interface: { check: checkInterfaceName } },
};

/** Words the model's names spell in lower case that the UI writes as FreeBSD and networking do. */
const WORDS: Record<string, string> = { mtu: 'MTU', dhcp: 'DHCP', ip: 'IP', mac: 'MAC', vm: 'VM', vni: 'VNI', udp: 'UDP' };

function labelOf(verboseName: string): string {
  const words = verboseName.split(' ').map((w) => WORDS[w] ?? w);
  const first = words[0] ?? '';
  return [first.charAt(0).toUpperCase() + first.slice(1), ...words.slice(1)].join(' ');
}

function checkPfNetwork(value: string): string | null {
  const network = value.startsWith('!') ? value.slice(1) : value;
  return network.includes('/') ? checkInterfaceAddress(network) : checkAddress(network);
}

const FORMAT_CHECKS: Record<GeneratedFormat, (value: string) => string | null> = {
  address: checkAddress,
  interfaceAddress: checkInterfaceAddress,
  network: checkNetwork,
  pfNetwork: checkPfNetwork,
  mac: checkMac,
  interfaceName: checkInterfaceName,
};

/** The checks a generated field implies: its formats, patterns and range, in that order; empty is fine. */
function checkOf(f: GeneratedField): FieldDef['check'] {
  const checks: ((value: string) => string | null)[] = [];
  for (const format of f.formats ?? []) checks.push(FORMAT_CHECKS[format]);
  for (const pattern of f.patterns ?? []) {
    const regex = new RegExp(pattern.regex);
    checks.push((v) => (regex.test(v) ? null : pattern.message));
  }
  if (f.type === 'number' && (f.min !== undefined || f.max !== undefined)) checks.push(checkRange(f.min ?? -Infinity, f.max ?? Infinity));
  if (!checks.length) return undefined;
  return (value) => {
    if (!value) return null;
    for (const check of checks) {
      const message = check(value);
      if (message) return message;
    }
    return null;
  };
}

/**
 * The client checks of a declared kind's fields (its formats, patterns and range as the server enforces
 * them), for kinds edited outside the generic forms (firewall rules); empty is fine, as in the forms.
 */
export function declaredChecks(declared: keyof typeof GENERATED_KINDS): Record<string, (value: string) => string | null> {
  const kind: GeneratedKind = GENERATED_KINDS[declared];
  const out: Record<string, (value: string) => string | null> = {};
  for (const f of kind.fields) {
    const check = checkOf(f);
    if (check) out[f.name] = check;
  }
  return out;
}

function fieldsOf<K extends Kind>(kind: K): FieldDef[] {
  const declared: GeneratedKind = GENERATED_KINDS[DECLARED_KIND[kind]];
  const drawn: readonly string[] = DRAWN[kind] ?? [];
  const overrides = (OVERRIDES[kind] ?? {}) as Record<string, Override>;
  return declared.fields
    .filter((f) => !drawn.includes(f.name))
    .map((f) => {
      const def: FieldDef = {
        name: f.name,
        label: labelOf(f.label),
        type: f.type,
        ...(f.choices ? { choices: f.choices } : {}),
        ...(f.refKind ? { refKind: KIND_OF_DECLARED[f.refKind as DeclaredKind] } : {}),
        ...(f.required ? { required: true } : {}),
      };
      const check = checkOf(f);
      if (check) def.check = check;
      return { ...def, ...overrides[f.name] };
    });
}

/** The property panel's fields of each kind, in model order. */
export const FIELDS = Object.fromEntries(KINDS.map((kind) => [kind, fieldsOf(kind)])) as Record<Kind, FieldDef[]>;
