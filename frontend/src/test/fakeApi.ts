/** An in-memory stand-in for the design endpoints: versions, 409 on a stale version, cascades by reload. */
import { ApiError } from '../api/client';
import type { DesignApi, HostCounts } from '../api/designApi';
import type { Design, Finding } from '../api/types';
import { FOREIGN_KEYS, KINDS, emptyObjects, type Kind, type Objects } from '../model/kinds';
import { hostOf } from '../store/designStore';
import { brief } from './fixtures';

/** The kinds of the graph endpoint's `?scope=overview`. */
const OVERVIEW_KINDS: Kind[] = ['host', 'switch', 'vxlanSegment', 'vxlanMember'];

export class FakeApi implements DesignApi {
  objects: Objects = emptyObjects();
  calls: string[] = [];
  findings: Finding[] = [];
  private nextId = 1000;

  async loadDesign(designId: number) {
    return { design: { id: designId, name: 'd', version: 1 } as unknown as Design, objects: structuredClone(this.objects) };
  }

  /** Like the graph endpoint's `?scope=overview`: hosts, switches, segments, members and per-host counts. */
  async loadOverview(designId: number) {
    this.calls.push('overview');
    const objects = emptyObjects();
    for (const kind of OVERVIEW_KINDS) (objects as Record<Kind, unknown>)[kind] = structuredClone(this.objects[kind]);
    const counts: Record<number, HostCounts> = {};
    for (const id of Object.keys(this.objects.host).map(Number)) counts[id] = { jails: 0, vms: 0, switches: 0, interfaces: 0 };
    const count = (kind: 'jail' | 'vm' | 'switch' | 'interface', key: keyof HostCounts) => {
      for (const obj of Object.values(this.objects[kind])) {
        const host = (obj.host as { id: number }).id;
        if (counts[host]) counts[host][key]++;
      }
    };
    count('jail', 'jails');
    count('vm', 'vms');
    count('switch', 'switches');
    count('interface', 'interfaces');
    return { design: { id: designId, name: 'd', version: 1 } as unknown as Design, objects, counts };
  }

  /** Like the graph endpoint's `?host=`: every object of these hosts. */
  async loadHosts(_designId: number, hostIds: number[]) {
    this.calls.push(`hosts ${hostIds.join(',')}`);
    const objects = emptyObjects();
    for (const kind of KINDS) {
      if (kind === 'vxlanSegment') continue;
      for (const obj of Object.values(this.objects[kind] as Record<number, Record<string, unknown>>)) {
        const host = hostOf(this.objects, kind, obj);
        if (host !== null && hostIds.includes(host)) (objects[kind] as Record<number, unknown>)[obj.id as number] = structuredClone(obj);
      }
    }
    return objects;
  }

  async get(kind: Kind, id: number) {
    this.calls.push(`get ${kind} ${id}`);
    const obj = (this.objects[kind] as Record<number, unknown>)[id];
    if (!obj) throw new ApiError(404, { detail: 'Not found.' });
    return structuredClone(obj) as never;
  }

  private toRead(kind: Kind, data: Record<string, unknown>, base: Record<string, unknown> = {}) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(data)) {
      const target = FOREIGN_KEYS[kind][key];
      out[key] = target && typeof value === 'number' ? brief(value) : value;
    }
    return out;
  }

  async create(kind: Kind, data: Record<string, unknown>) {
    this.calls.push(`create ${kind}`);
    if (data.name === 'bad name') throw new ApiError(400, { name: ['Letters, digits only.'] });
    const id = this.nextId++;
    const obj = this.toRead(kind, data, { id, url: '', display: String(data.name ?? id), version: 1 });
    (this.objects[kind] as Record<number, unknown>)[id] = obj;
    return structuredClone(obj) as never;
  }

  async update(kind: Kind, id: number, data: Record<string, unknown>) {
    this.calls.push(`update ${kind} ${id}`);
    const obj = (this.objects[kind] as Record<number, Record<string, unknown>>)[id];
    if (!obj) throw new ApiError(404, { detail: 'Not found.' });
    if (data.version !== undefined && data.version !== obj.version)
      throw new ApiError(409, { detail: 'stale', current_version: obj.version, last_updated: null });
    const { version: _ignored, ...rest } = data;
    void _ignored;
    const updated = this.toRead(kind, rest, { ...obj, version: (obj.version as number) + 1 });
    (this.objects[kind] as Record<number, unknown>)[id] = updated;
    return structuredClone(updated) as never;
  }

  async remove(kind: Kind, id: number, version?: number) {
    this.calls.push(`delete ${kind} ${id}`);
    const bucket = this.objects[kind] as Record<number, Record<string, unknown>>;
    const obj = bucket[id];
    if (!obj) throw new ApiError(404, { detail: 'Not found.' });
    if (version !== undefined && version !== obj.version) throw new ApiError(409, { detail: 'stale', current_version: obj.version });
    delete bucket[id];
    // Cascade: anything pointing at the deleted object goes too.
    for (const other of KINDS)
      for (const [oid, o] of Object.entries(this.objects[other] as Record<number, Record<string, unknown>>))
        for (const [field, target] of Object.entries(FOREIGN_KEYS[other]))
          if (target === kind && (o[field] as { id?: number } | null)?.id === id) await this.remove(other, Number(oid));
  }

  async validate() {
    const count = (severity: string) => this.findings.filter((f) => f.severity === severity).length;
    return {
      valid: count('error') === 0,
      counts: { error: count('error'), warning: count('warning'), info: count('info') },
      findings: this.findings,
    };
  }

  /** Someone else edits an object (bumps its version behind the store's back). */
  touch(kind: Kind, id: number) {
    const obj = (this.objects[kind] as Record<number, Record<string, unknown>>)[id];
    obj.version = (obj.version as number) + 1;
  }
}
