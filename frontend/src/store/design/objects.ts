/** Pure helpers on a design's objects: which host an object is on, merging and picking, lazy-loading sizes. */
import { emptyObjects, fkId, FOREIGN_KEYS, KINDS, type AnyObject, type Kind, type Objects } from '../../model/kinds';

/** Hosts are collapsed into single nodes by default from this many hosts or guests on. */
export const COLLAPSE_HOSTS_FROM = 8;
export const COLLAPSE_GUESTS_FROM = 150;
/** Hosts fetched per request when many are expanded at once. */
export const HOSTS_PER_REQUEST = 50;

/** Whether a design of this size opens with its hosts collapsed (and, when the server can, loaded lazily). */
export function opensCollapsed(hosts: number, guests: number): boolean {
  return hosts >= COLLAPSE_HOSTS_FROM || guests >= COLLAPSE_GUESTS_FROM;
}

/** The host an object belongs to, from the objects at hand (null: a design-wide object, or not known here). */
export function hostOf(objects: Objects, kind: Kind, obj: Record<string, unknown>): number | null {
  if (kind === 'host') return typeof obj.id === 'number' ? obj.id : null;
  if (kind === 'vxlanSegment') return null;
  const direct = fkId(obj.host);
  if (direct !== null) return direct;
  for (const [field, target] of Object.entries(FOREIGN_KEYS[kind])) {
    const id = fkId(obj[field]);
    if (id === null || !target || target === 'design') continue;
    const parent = (objects[target] as Record<number, Record<string, unknown>>)[id];
    if (parent) {
      const host = hostOf(objects, target, parent);
      if (host !== null) return host;
    }
  }
  return null;
}

/** `incoming` merged into `objects`: per object, the one with the higher version wins (ties: incoming). */
export function mergeObjects(objects: Objects, incoming: Objects): Objects {
  const out = { ...objects };
  for (const kind of KINDS) {
    const add = incoming[kind] as Record<number, AnyObject>;
    const ids = Object.keys(add);
    if (!ids.length) continue;
    const bucket = { ...(objects[kind] as Record<number, AnyObject>) };
    for (const id of ids) {
      const next = add[Number(id)];
      const had = bucket[Number(id)];
      if (!had || (next.version ?? 0) >= (had.version ?? 0)) bucket[Number(id)] = next;
    }
    (out as Record<Kind, unknown>)[kind] = bucket;
  }
  return out;
}

export function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The objects of these hosts (and the hosts), out of `objects`. */
export function pick(objects: Objects, hostIds: number[]): Objects {
  const wanted = new Set(hostIds);
  const out = emptyObjects();
  for (const kind of KINDS) {
    if (kind === 'vxlanSegment') continue;
    const bucket = out[kind] as Record<number, AnyObject>;
    for (const obj of Object.values(objects[kind] as Record<number, AnyObject>)) {
      const host = hostOf(objects, kind, obj as unknown as Record<string, unknown>);
      if (host !== null && wanted.has(host)) bucket[obj.id] = obj;
    }
  }
  return out;
}
