/**
 * What the slices of the design store share: the API, ids re-mapped by undo/redo, the write queue, the
 * sequence numbers that tell a stale answer from a current one, and the raw operations every write uses.
 */
import type { StoreApi } from 'zustand';
import { ApiError } from '../../api/client';
import type { DesignApi } from '../../api/designApi';
import { displayName, FOREIGN_KEYS, LABELS, type AnyObject, type Kind, type ObjectOf } from '../../model/kinds';
import { chunks, hostOf, HOSTS_PER_REQUEST, mergeObjects, pick } from './objects';
import type { Command, DesignState } from './types';

export type SetState = StoreApi<DesignState>['setState'];
export type GetState = StoreApi<DesignState>['getState'];

export type StoreContext = ReturnType<typeof createContext>;

export function createContext(api: DesignApi, set: SetState, get: GetState) {
  /** Original id -> id now, for objects re-created by undo/redo (keyed `kind:id`). */
  const remap = new Map<string, number>();
  const resolve = (kind: string, id: number): number => {
    let current = id;
    for (let hops = 0; hops < 100 && remap.has(`${kind}:${current}`); hops++) current = remap.get(`${kind}:${current}`)!;
    return current;
  };
  const resolveData = (kind: Kind, data: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...data };
    for (const [field, target] of Object.entries(FOREIGN_KEYS[kind])) {
      if (typeof out[field] === 'number' && target) out[field] = resolve(target, out[field] as number);
    }
    return out;
  };
  /**
   * `load`: bumped by every load (an answer for an older one is dropped); `write`: bumped by every local
   * write (a whole-design fetch that overlapped one is fetched again); `validation`: by every validation.
   */
  const seq = { load: 0, write: 0, validation: 0 };
  /** Writes and undo/redo run one after another, so Ctrl+Z pressed mid-save undoes that save, not the one before. */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };
  /** The design's objects as the server has them, fetched again if a local write happened meanwhile. */
  const fetchDesign = async (designId: number) => {
    for (let attempt = 0; ; attempt++) {
      const writesBefore = seq.write;
      const result = await api.loadDesign(designId);
      if (writesBefore === seq.write || attempt >= 3) return result;
    }
  };
  /** The overview plus the objects of the loaded hosts: what a lazily loaded design shows, fetched again. */
  const fetchPartial = async (designId: number, hostIds: number[]) => {
    for (let attempt = 0; ; attempt++) {
      const writesBefore = seq.write;
      const [overview, ...parts] = await Promise.all([
        api.loadOverview(designId),
        ...chunks(hostIds, HOSTS_PER_REQUEST).map((ids) => api.loadHosts(designId, ids)),
      ]);
      if (writesBefore === seq.write || attempt >= 3) {
        const objects = parts.reduce((acc, part) => mergeObjects(acc, part), overview.objects);
        return { design: overview.design, objects, counts: overview.counts };
      }
    }
  };

  const put = (kind: Kind, obj: AnyObject) => {
    seq.write++;
    set((s) => ({ objects: { ...s.objects, [kind]: { ...s.objects[kind], [obj.id]: obj } } }));
  };
  const drop = (kind: Kind, id: number) => {
    seq.write++;
    set((s) => {
      const bucket = { ...s.objects[kind] } as Record<number, AnyObject>;
      delete bucket[id];
      return { objects: { ...s.objects, [kind]: bucket } };
    });
  };
  const changed = () => {
    set((s) => ({ revision: s.revision + 1 }));
    void get().refreshValidation();
  };
  /** Objects deleted by cascade on the server are dropped by reloading the objects (not the history). */
  const refreshObjects = async () => {
    const { designId, loadedHosts } = get();
    if (designId === null) return;
    const seqBefore = seq.load;
    if (loadedHosts) {
      const ids = Object.keys(loadedHosts).map(Number).filter((id) => loadedHosts[id]);
      const { design, objects, counts } = await fetchPartial(designId, ids);
      if (seqBefore !== seq.load) return;
      // Hosts that came into the store meanwhile (an expand) keep their objects until the next refresh.
      const extra = Object.keys(get().loadedHosts ?? {}).map(Number).filter((id) => !ids.includes(id));
      set({ design, objects: extra.length ? mergeObjects(objects, pick(get().objects, extra)) : objects, hostCounts: counts });
      return;
    }
    const { design, objects } = await fetchDesign(designId);
    if (seqBefore === seq.load) set({ design, objects });
  };
  /** Hosts being fetched, so two expands of one host fetch it once. */
  const pending = new Map<number, Promise<void>>();
  const isLoaded = (hostId: number) => {
    const { loadedHosts } = get();
    return loadedHosts === null || Boolean(loadedHosts[hostId]);
  };
  /** The host a create or an edit goes into, loaded first (so the store has the host's objects to undo against). */
  const ensureHostOf = async (kind: Kind, data: Record<string, unknown>) => {
    if (get().loadedHosts === null || kind === 'host') return;
    const hostId = hostOf(get().objects, kind, resolveData(kind, data));
    if (hostId !== null && !isLoaded(hostId)) await get().ensureHosts([hostId]);
  };
  const handle = (error: unknown, kind: Kind, id?: number): void => {
    if (error instanceof ApiError && error.status === 409) {
      const body = (error.body ?? {}) as { current_version?: number; detail?: string; in_use_by?: { display: string }[] };
      if (body.current_version !== undefined) {
        const obj = id !== undefined ? (get().objects[kind] as Record<number, AnyObject>)[id] : undefined;
        const name = obj ? ` “${displayName(kind, obj)}”` : '';
        set({
          conflict: {
            message: `${LABELS[kind]}${name} was changed by someone else (now version ${body.current_version}). Your change was not saved — reload to see the current design.`,
          },
        });
        return;
      }
      const users = body.in_use_by?.map((b) => b.display).join(', ');
      set({ error: `${body.detail ?? 'The object is still in use.'}${users ? ` (${users})` : ''}` });
      return;
    }
    if (error instanceof ApiError && error.status === 400) throw error;
    set({ error: error instanceof Error ? error.message : String(error) });
  };
  const push = (command: Command) => set((s) => ({ undoStack: [...s.undoStack.slice(-99), command], redoStack: [] }));
  const current = <K extends Kind>(kind: K, id: number): ObjectOf<K> | undefined =>
    (get().objects[kind] as Record<number, ObjectOf<K>>)[resolve(kind, id)];

  // Raw operations used both by user actions and by undo/redo.
  const doCreate = async <K extends Kind>(kind: K, data: Record<string, unknown>): Promise<ObjectOf<K>> => {
    const obj = await api.create(kind, resolveData(kind, data));
    // A new host has nothing on the server the store lacks.
    if (kind === 'host') set((s) => (s.loadedHosts ? { loadedHosts: { ...s.loadedHosts, [obj.id]: true } } : {}));
    put(kind, obj);
    return obj;
  };
  const doUpdate = async <K extends Kind>(kind: K, id: number, changes: Record<string, unknown>): Promise<ObjectOf<K>> => {
    const realId = resolve(kind, id);
    const version = current(kind, realId)?.version;
    const obj = await api.update(kind, realId, { ...resolveData(kind, changes), ...(version ? { version } : {}) });
    put(kind, obj);
    return obj;
  };
  const doDelete = async (kind: Kind, id: number): Promise<void> => {
    const realId = resolve(kind, id);
    await api.remove(kind, realId, current(kind, realId)?.version);
    drop(kind, realId);
    if (get().selection?.kind === kind && get().selection?.id === realId) set({ selection: null });
  };

  return {
    api,
    set,
    get,
    remap,
    resolve,
    seq,
    serial,
    fetchDesign,
    pending,
    isLoaded,
    ensureHostOf,
    changed,
    refreshObjects,
    handle,
    push,
    current,
    doCreate,
    doUpdate,
    doDelete,
  };
}
