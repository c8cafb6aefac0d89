import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { FakeApi } from '../test/fakeApi';
import { COLLAPSE_HOSTS_FROM, createDesignStore, type DesignStore } from './designStore';

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
