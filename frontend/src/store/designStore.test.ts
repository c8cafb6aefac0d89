import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { FakeApi } from '../test/fakeApi';
import { emptyObjects } from '../model/kinds';
import { COLLAPSE_HOSTS_FROM, createDesignStore, mergeObjects, type DesignStore } from './designStore';

let api: FakeApi;
let store: DesignStore;
const state = () => store.getState();

beforeEach(async () => {
  api = new FakeApi();
  store = createDesignStore(api);
  await state().load(1);
});

async function addHostAndSwitch() {
  const host = (await state().createObject('host', { design: 1, name: 'jailhost-a' }))!;
  const sw = (await state().createObject('switch', { host: host.id, name: 'switch0' }))!;
  return { host, sw };
}

describe('design store', () => {
  it('keeps what the server answered, with its version', async () => {
    const { sw } = await addHostAndSwitch();
    const saved = await state().updateObject('switch', sw.id, { name: 'services', address: '10.1.1.1/24' });
    expect(saved?.version).toBe(2);
    expect(state().objects.switch[sw.id].name).toBe('services');
    expect(state().undoStack).toHaveLength(3);
  });

  it('undoes and redoes an edit', async () => {
    const { sw } = await addHostAndSwitch();
    await state().updateObject('switch', sw.id, { name: 'services' });
    await state().undo();
    expect(state().objects.switch[sw.id].name).toBe('switch0');
    expect(state().redoStack).toHaveLength(1);
    await state().redo();
    expect(state().objects.switch[sw.id].name).toBe('services');
  });

  it('undoes a create by deleting, and redo re-creates under a new id that later commands follow', async () => {
    const { host, sw } = await addHostAndSwitch();
    await state().updateObject('switch', sw.id, { name: 'services' });
    await state().undo(); // the rename
    await state().undo(); // the switch
    expect(Object.keys(state().objects.switch)).toHaveLength(0);
    await state().redo(); // switch again, new id
    const [again] = Object.values(state().objects.switch);
    expect(again.id).not.toBe(sw.id);
    expect(again.host.id).toBe(host.id);
    await state().redo(); // the rename applies to the re-created switch
    expect(state().objects.switch[again.id].name).toBe('services');
  });

  it('undoes a delete by re-creating the object', async () => {
    const { sw } = await addHostAndSwitch();
    expect(await state().deleteObject('switch', sw.id)).toBe(true);
    expect(state().objects.switch[sw.id]).toBeUndefined();
    await state().undo();
    expect(Object.values(state().objects.switch).map((s) => s.name)).toEqual(['switch0']);
  });

  it('drops objects deleted by cascade', async () => {
    const { host } = await addHostAndSwitch();
    await state().deleteObject('host', host.id);
    expect(Object.keys(state().objects.switch)).toHaveLength(0);
  });

  it('reports a stale version as a conflict and does not change the object', async () => {
    const { sw } = await addHostAndSwitch();
    api.touch('switch', sw.id);
    const saved = await state().updateObject('switch', sw.id, { name: 'mine' });
    expect(saved).toBeNull();
    expect(state().conflict?.message).toMatch(/changed by someone else \(now version 2\)/);
    expect(state().objects.switch[sw.id].name).toBe('switch0');
    await state().reload();
    expect(state().conflict).toBeNull();
    expect(state().objects.switch[sw.id].version).toBe(2);
  });

  it('hands field errors (400) to the caller', async () => {
    await expect(state().createObject('host', { design: 1, name: 'bad name' })).rejects.toBeInstanceOf(ApiError);
  });

  it('saves positions as one undoable move', async () => {
    const { host, sw } = await addHostAndSwitch();
    await state().savePositions([
      { kind: 'host', id: host.id, x: 100.4, y: 50 },
      { kind: 'switch', id: sw.id, x: 20, y: 90 },
    ]);
    expect(state().objects.host[host.id].position_x).toBe(100);
    expect(state().undoStack.at(-1)?.label).toBe('move');
    await state().undo();
    expect(state().objects.host[host.id].position_x).toBeNull();
  });

  it('loads validation findings after each change', async () => {
    const ref = { kind: 'switch', id: 1, path: 'x' };
    api.findings = [{ code: 'JN206', severity: 'error', message: 'outside', object: ref, objects: [ref] }];
    await addHostAndSwitch();
    await new Promise((r) => setTimeout(r, 0));
    expect(state().findings[0]).toMatchObject({ code: 'JN206', objects: [{ kind: 'switch', id: 1 }], paths: ['x'] });
  });

  it('collapses hosts by default in large designs', async () => {
    for (let i = 0; i < COLLAPSE_HOSTS_FROM; i++) await api.create('host', { design: 1, name: `h${i}` });
    await state().load(1);
    const collapsed = Object.values(state().collapsed);
    expect(collapsed).toHaveLength(COLLAPSE_HOSTS_FROM);
    expect(collapsed.every(Boolean)).toBe(true);
  });
});

describe('changes by others', () => {
  it('notes who changed the design and shows their changes on request, keeping the history', async () => {
    const { sw } = await addHostAndSwitch();
    await api.update('switch', sw.id, { name: 'theirs' });
    state().noteRemoteChange('alice');
    state().noteRemoteChange('alice');
    state().noteRemoteChange('bob');
    expect(state().remoteChange).toEqual({ users: ['alice', 'bob'], count: 3 });
    await state().refresh();
    expect(state().remoteChange).toBeNull();
    expect(state().objects.switch[sw.id].name).toBe('theirs');
    expect(state().undoStack).toHaveLength(2);
  });
});

describe('large designs load lazily', () => {
  /** COLLAPSE_HOSTS_FROM hosts, each with a switch, a VNET jail with a NIC, and a VM. */
  async function large() {
    type Ref = { id: number };
    const hosts: { host: Ref; sw: Ref; jail: Ref }[] = [];
    for (let i = 0; i < COLLAPSE_HOSTS_FROM; i++) {
      const host: Ref = await api.create('host', { design: 1, name: `h${i}` });
      const sw: Ref = await api.create('switch', { host: host.id, name: 'switch0' });
      const jail: Ref = await api.create('jail', { host: host.id, name: `j${i}`, type: 'vnet' });
      await api.create('jailNic', { jail: jail.id, switch: sw.id, name: 'vnet0' });
      await api.create('vm', { host: host.id, name: `vm${i}` });
      hosts.push({ host, sw, jail });
    }
    api.calls = [];
    await state().load(1);
    return hosts;
  }

  it('loads the overview only, with the counts of every host', async () => {
    const hosts = await large();
    expect(api.calls).toEqual(['overview']);
    expect(Object.keys(state().objects.host)).toHaveLength(COLLAPSE_HOSTS_FROM);
    expect(Object.keys(state().objects.switch)).toHaveLength(COLLAPSE_HOSTS_FROM);
    expect(state().objects.jail).toEqual({});
    expect(state().loadedHosts).toEqual({});
    expect(state().hostCounts[hosts[0].host.id]).toEqual({ jails: 1, vms: 1, switches: 1, interfaces: 0 });
    expect(Object.values(state().collapsed).every(Boolean)).toBe(true);
  });

  it('fetches a host when it is expanded, once, and merges its objects', async () => {
    const [first, second] = await large();
    state().toggleCollapsed(first.host.id);
    state().toggleCollapsed(first.host.id);
    state().toggleCollapsed(first.host.id);
    await state().ensureHosts([first.host.id]);
    expect(api.calls.filter((c) => c.startsWith('hosts'))).toEqual([`hosts ${first.host.id}`]);
    expect(state().loadedHosts).toEqual({ [first.host.id]: true });
    expect(Object.values(state().objects.jail).map((j) => j.name)).toEqual(['j0']);
    expect(Object.keys(state().objects.jailNic)).toHaveLength(1);
    expect(state().objects.host[second.host.id]).toBeDefined();
    expect(Object.keys(state().objects.switch)).toHaveLength(COLLAPSE_HOSTS_FROM);
  });

  it('keeps the newer version when merging', async () => {
    const [first] = await large();
    await state().updateObject('host', first.host.id, { name: 'renamed' });
    const stale = emptyObjects();
    stale.host[first.host.id] = { ...state().objects.host[first.host.id], name: 'old', version: 1 };
    const merged = mergeObjects(state().objects, stale);
    expect(merged.host[first.host.id].name).toBe('renamed');
  });

  it('loads a host before adding into it, and undoes the add', async () => {
    const [first] = await large();
    const jail = await state().createObject('jail', { host: first.host.id, name: 'new', type: 'plain' });
    expect(state().loadedHosts?.[first.host.id]).toBe(true);
    expect(Object.values(state().objects.jail).map((j) => j.name).sort()).toEqual(['j0', 'new']);
    await state().undo();
    expect(state().objects.jail[jail!.id]).toBeUndefined();
    expect(Object.values(state().objects.jail).map((j) => j.name)).toEqual(['j0']);
    await state().redo();
    expect(Object.values(state().objects.jail).map((j) => j.name).sort()).toEqual(['j0', 'new']);
  });

  it('finds an object of a host not loaded (a validation finding) by loading its host', async () => {
    const hosts = await large();
    const nic = Object.values(api.objects.jailNic).find((n) => n.jail.id === hosts[3].jail.id)!;
    expect(await state().ensureObject({ kind: 'jailNic', id: nic.id })).toBe(true);
    expect(state().loadedHosts).toEqual({ [hosts[3].host.id]: true });
    expect(await state().ensureObject({ kind: 'jail', id: 999999 })).toBe(false);
  });

  it('refreshes loaded hosts and the counts of the others after changes by others', async () => {
    const [first, second] = await large();
    await state().ensureHosts([first.host.id]);
    await api.update('jail', first.jail.id, { name: 'theirs' });
    await api.create('jail', { host: second.host.id, name: 'more', type: 'plain' });
    await state().refresh();
    expect(state().objects.jail[first.jail.id].name).toBe('theirs');
    expect(state().hostCounts[second.host.id].jails).toBe(2);
    expect(Object.values(state().objects.jail).map((j) => j.name)).toEqual(['theirs']);
  });

  it('reports a conflict on a loaded host', async () => {
    const [first] = await large();
    await state().ensureHosts([first.host.id]);
    api.touch('jail', first.jail.id);
    expect(await state().updateObject('jail', first.jail.id, { name: 'mine' })).toBeNull();
    expect(state().conflict?.message).toMatch(/changed by someone else/);
  });

  it('loads every host when all are expanded, and a small design at once', async () => {
    await large();
    state().setAllCollapsed(false);
    await state().ensureHosts(Object.keys(state().objects.host).map(Number));
    expect(Object.keys(state().objects.jail)).toHaveLength(COLLAPSE_HOSTS_FROM);
    const small = createDesignStore(api);
    api.calls = [];
    for (const id of Object.keys(api.objects.host).slice(1).map(Number)) await api.remove('host', id);
    await small.getState().load(1);
    expect(small.getState().loadedHosts).toBeNull();
    expect(Object.keys(small.getState().objects.jail)).toHaveLength(1);
  });
});
