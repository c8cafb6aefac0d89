/** Design objects in the API's read shape, for unit tests. */
import { emptyObjects, FOREIGN_KEYS, type Kind, type ObjectOf, type Objects } from '../model/kinds';

let nextId = 1;

export function brief(id: number, name = `obj${id}`) {
  return { id, url: `http://testserver/${id}/`, display: name, name };
}

/** Adds an object of `kind` to `objects`; foreign keys may be given as ids or as objects. */
export function add<K extends Kind>(objects: Objects, kind: K, fields: Record<string, unknown>): ObjectOf<K> {
  const id = nextId++;
  const out: Record<string, unknown> = { id, url: '', display: String(fields.name ?? id), version: 1, created: '', last_updated: '' };
  for (const [key, value] of Object.entries(fields)) {
    const target = FOREIGN_KEYS[kind][key];
    if (target && value !== null && value !== undefined) {
      const ref = typeof value === 'number' ? value : (value as { id: number }).id;
      const named = target !== 'design' ? (objects[target] as Record<number, { name?: string }>)[ref] : undefined;
      out[key] = brief(ref, named?.name ?? `${target}${ref}`);
    } else out[key] = value;
  }
  (objects[kind] as Record<number, unknown>)[id] = out;
  return out as unknown as ObjectOf<K>;
}

/** Two jailhosts: a with em0, switch "services", VNET jail and VM; b with igb0 and switch "vx". */
export function twoHosts() {
  const objects = emptyObjects();
  const hostA = add(objects, 'host', { design: 1, name: 'jailhost-a', role: 'jailhost' });
  const hostB = add(objects, 'host', { design: 1, name: 'jailhost-b', role: 'jailhost' });
  const em0 = add(objects, 'interface', { host: hostA, name: 'em0', kind: 'physical', address: '192.168.0.2/24' });
  const lo1 = add(objects, 'interface', { host: hostA, name: 'lo1', kind: 'loopback', address: '' });
  const igb0 = add(objects, 'interface', { host: hostB, name: 'igb0', kind: 'physical', address: '192.168.0.3/24' });
  const services = add(objects, 'switch', { host: hostA, name: 'services', kind: 'bridge', address: '10.1.1.1/24' });
  const vx = add(objects, 'switch', { host: hostB, name: 'vx', kind: 'bridge', address: '' });
  const vnetJail = add(objects, 'jail', { host: hostA, name: 'vnetcage', type: 'vnet' });
  const plainJail = add(objects, 'jail', { host: hostA, name: 'plaincage', type: 'plain' });
  const vm = add(objects, 'vm', { host: hostA, name: 'guest' });
  const vmB = add(objects, 'vm', { host: hostB, name: 'guest-b' });
  const segment = add(objects, 'vxlanSegment', { design: 1, name: 'vxlan111', vni: 111, mode: 'multicast' });
  return { objects, hostA, hostB, em0, lo1, igb0, services, vx, vnetJail, plainJail, vm, vmB, segment };
}
