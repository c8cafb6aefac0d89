/**
 * The open design: its objects as the server has them, the selection, validation findings, and the
 * undo/redo history of the user's changes.
 *
 * Every write goes to the server first and the store keeps what the server answered (with its new
 * `version`); a stale write (409) sets `conflict` instead, and the UI offers a reload.
 */
import { create } from 'zustand';
import { ApiError } from '../api/client';
import { httpDesignApi, type DesignApi, type HostCounts } from '../api/designApi';
import type { Design } from '../api/types';
import { normalizeFinding, type DesignFinding } from '../model/findings';
import {
  emptyObjects,
  fkId,
  FOREIGN_KEYS,
  KINDS,
  LABELS,
  displayName,
  writableData,
  type AnyObject,
  type Kind,
  type ObjectOf,
  type Objects,
} from '../model/kinds';

export interface Selection {
  kind: Kind;
  id: number;
}

/** One undoable user action. */
export interface Command {
  label: string;
  undo(): Promise<void>;
  redo(): Promise<void>;
}

export interface Conflict {
  message: string;
}

export interface PositionChange {
  kind: 'host' | 'switch' | 'jail' | 'vm' | 'vxlanSegment';
  id: number;
  x: number;
  y: number;
}

/** Hosts are collapsed into single nodes by default from this many hosts or guests on. */
export const COLLAPSE_HOSTS_FROM = 8;
export const COLLAPSE_GUESTS_FROM = 150;
/** Hosts fetched per request when many are expanded at once. */
const HOSTS_PER_REQUEST = 50;

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

export interface DesignState {
  designId: number | null;
  design: Design | null;
  objects: Objects;
  loading: boolean;
  selection: Selection | null;
  findings: DesignFinding[];
  validationError: string | null;
  /** Bumped after every change the server accepted: views that derive from the design refresh on it. */
  revision: number;
  collapsed: Record<number, boolean>;
  /**
   * Hosts whose objects are in `objects`; null when the whole design is loaded. A large design loads its
   * overview first (hosts, switches, VXLAN segments and members) and each host's objects when it is shown.
   */
  loadedHosts: Record<number, boolean> | null;
  /** Per host, its counts from the overview (for collapsed hosts whose objects are not loaded). */
  hostCounts: Record<number, HostCounts>;
  conflict: Conflict | null;
  /** Someone else changed the design since it was loaded (from the live events). */
  remoteChange: { users: string[]; count: number } | null;
  error: string | null;
  canEdit: boolean;
  busy: boolean;
  undoStack: Command[];
  redoStack: Command[];

  setCanEdit(canEdit: boolean): void;
  load(designId: number): Promise<void>;
  reload(): Promise<void>;
  select(selection: Selection | null): void;
  setError(error: string | null): void;
  dismissConflict(): void;
  noteRemoteChange(user: string): void;
  /** Fetch the objects again, keeping selection and history (after someone else's change). */
  refresh(): Promise<void>;
  toggleCollapsed(hostId: number): void;
  setAllCollapsed(collapsed: boolean): void;
  /** Fetch the objects of these hosts unless loaded already (merged into `objects`). */
  ensureHosts(hostIds: number[]): Promise<void>;
  /** Make sure an object is in `objects` (loading its host if needed); false when it cannot be found. */
  ensureObject(ref: Selection): Promise<boolean>;
  createObject<K extends Kind>(kind: K, data: Record<string, unknown>, label?: string): Promise<ObjectOf<K> | null>;
  updateObject<K extends Kind>(kind: K, id: number, changes: Record<string, unknown>): Promise<ObjectOf<K> | null>;
  deleteObject(kind: Kind, id: number): Promise<boolean>;
  savePositions(changes: PositionChange[], label?: string): Promise<void>;
  undo(): Promise<void>;
  redo(): Promise<void>;
  refreshValidation(): Promise<void>;
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The objects of these hosts (and the hosts), out of `objects`. */
function pick(objects: Objects, hostIds: number[]): Objects {
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

export function createDesignStore(api: DesignApi) {
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
  let validationSeq = 0;
  /** Writes and undo/redo run one after another, so Ctrl+Z pressed mid-save undoes that save, not the one before. */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };
  let loadSeq = 0;
  /** Bumped by every local write: a whole-design fetch that overlapped one is fetched again. */
  let writeSeq = 0;
  /** The design's objects as the server has them, fetched again if a local write happened meanwhile. */
  const fetchDesign = async (designId: number) => {
    for (let attempt = 0; ; attempt++) {
      const writesBefore = writeSeq;
      const result = await api.loadDesign(designId);
      if (writesBefore === writeSeq || attempt >= 3) return result;
    }
  };
  /** The overview plus the objects of the loaded hosts: what a lazily loaded design shows, fetched again. */
  const fetchPartial = async (designId: number, hostIds: number[]) => {
    for (let attempt = 0; ; attempt++) {
      const writesBefore = writeSeq;
      const [overview, ...parts] = await Promise.all([
        api.loadOverview(designId),
        ...chunks(hostIds, HOSTS_PER_REQUEST).map((ids) => api.loadHosts(designId, ids)),
      ]);
      if (writesBefore === writeSeq || attempt >= 3) {
        const objects = parts.reduce((acc, part) => mergeObjects(acc, part), overview.objects);
        return { design: overview.design, objects, counts: overview.counts };
      }
    }
  };

  return create<DesignState>()((set, get) => {
    const put = (kind: Kind, obj: AnyObject) => {
      writeSeq++;
      set((s) => ({ objects: { ...s.objects, [kind]: { ...s.objects[kind], [obj.id]: obj } } }));
    };
    const drop = (kind: Kind, id: number) => {
      writeSeq++;
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
      const seq = loadSeq;
      if (loadedHosts) {
        const ids = Object.keys(loadedHosts).map(Number).filter((id) => loadedHosts[id]);
        const { design, objects, counts } = await fetchPartial(designId, ids);
        if (seq !== loadSeq) return;
        // Hosts that came into the store meanwhile (an expand) keep their objects until the next refresh.
        const extra = Object.keys(get().loadedHosts ?? {}).map(Number).filter((id) => !ids.includes(id));
        set({ design, objects: extra.length ? mergeObjects(objects, pick(get().objects, extra)) : objects, hostCounts: counts });
        return;
      }
      const { design, objects } = await fetchDesign(designId);
      if (seq === loadSeq) set({ design, objects });
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
      designId: null,
      design: null,
      objects: emptyObjects(),
      loading: false,
      selection: null,
      findings: [],
      validationError: null,
      revision: 0,
      collapsed: {},
      loadedHosts: null,
      hostCounts: {},
      conflict: null,
      remoteChange: null,
      error: null,
      canEdit: false,
      busy: false,
      undoStack: [],
      redoStack: [],

      setCanEdit: (canEdit) => set({ canEdit }),

      async load(designId) {
        const seq = ++loadSeq;
        set({ loading: true, designId, error: null });
        try {
          // A large design: its overview first, each host's objects when it is shown.
          const writesBefore = writeSeq;
          const overview = await api.loadOverview(designId);
          if (seq !== loadSeq) return;
          const guestsOf = (counts: Record<number, HostCounts>) => Object.values(counts).reduce((n, c) => n + c.jails + c.vms, 0);
          const lazy = writesBefore === writeSeq && opensCollapsed(Object.keys(overview.objects.host).length, guestsOf(overview.counts));
          const { design, objects } = lazy ? overview : await fetchDesign(designId);
          if (seq !== loadSeq) return;
          const hosts = Object.values(objects.host);
          const guests = lazy ? guestsOf(overview.counts) : Object.keys(objects.jail).length + Object.keys(objects.vm).length;
          const collapseAll = opensCollapsed(hosts.length, guests);
          const keep = get().designId === designId ? get().collapsed : {};
          const collapsed = collapseAll ? Object.fromEntries(hosts.map((h) => [h.id, keep[h.id] ?? true])) : keep;
          remap.clear();
          pending.clear();
          set((s) => ({
            design,
            objects,
            collapsed,
            loadedHosts: lazy ? {} : null,
            hostCounts: lazy ? overview.counts : {},
            loading: false,
            conflict: null,
            remoteChange: null,
            undoStack: [],
            redoStack: [],
            revision: s.revision + 1,
          }));
          // Lazily loaded: hosts left expanded (a reload) are fetched right away.
          if (lazy) void get().ensureHosts(hosts.filter((h) => !collapsed[h.id]).map((h) => h.id));
          void get().refreshValidation();
        } catch (error) {
          if (seq === loadSeq) set({ loading: false, error: error instanceof Error ? error.message : String(error) });
        }
      },

      async reload() {
        const { designId } = get();
        if (designId !== null) await get().load(designId);
      },

      select: (selection) => {
        set({ selection });
        // The property panel of a host lists its objects: load them.
        if (selection?.kind === 'host' && !isLoaded(selection.id)) void get().ensureHosts([selection.id]);
      },
      setError: (error) => set({ error }),
      dismissConflict: () => set({ conflict: null }),
      noteRemoteChange: (user) =>
        set((s) => ({
          remoteChange: {
            users: s.remoteChange?.users.includes(user) ? s.remoteChange.users : [...(s.remoteChange?.users ?? []), user],
            count: (s.remoteChange?.count ?? 0) + 1,
          },
        })),
      async refresh() {
        await serial(async () => {
          try {
            await refreshObjects();
            set({ remoteChange: null, conflict: null });
            changed();
          } catch (error) {
            set({ error: error instanceof Error ? error.message : String(error) });
          }
        });
      },
      toggleCollapsed: (hostId) => {
        const expand = Boolean(get().collapsed[hostId]);
        set((s) => ({ collapsed: { ...s.collapsed, [hostId]: !s.collapsed[hostId] } }));
        if (expand && !isLoaded(hostId)) void get().ensureHosts([hostId]);
      },
      setAllCollapsed: (collapsed) => {
        set((s) => ({ collapsed: Object.fromEntries(Object.keys(s.objects.host).map((id) => [id, collapsed])) }));
        if (!collapsed) void get().ensureHosts(Object.keys(get().objects.host).map(Number));
      },

      async ensureHosts(hostIds) {
        const { designId } = get();
        if (designId === null || get().loadedHosts === null) return;
        const waits: Promise<void>[] = [];
        const missing: number[] = [];
        for (const id of new Set(hostIds)) {
          if (isLoaded(id)) continue;
          const running = pending.get(id);
          if (running) waits.push(running);
          else missing.push(id);
        }
        const seq = loadSeq;
        for (const ids of chunks(missing, HOSTS_PER_REQUEST)) {
          const task = (async () => {
            try {
              const part = await api.loadHosts(designId, ids);
              if (seq !== loadSeq || get().loadedHosts === null) return;
              set((s) => ({
                objects: mergeObjects(s.objects, part),
                loadedHosts: { ...s.loadedHosts, ...Object.fromEntries(ids.map((id) => [id, true])) },
                revision: s.revision + 1,
              }));
            } catch (error) {
              if (seq === loadSeq) set({ error: error instanceof Error ? error.message : String(error) });
            } finally {
              for (const id of ids) pending.delete(id);
            }
          })();
          for (const id of ids) pending.set(id, task);
          waits.push(task);
        }
        await Promise.all(waits);
      },

      async ensureObject(ref) {
        const have = () => Boolean((get().objects[ref.kind] as Record<number, AnyObject>)[resolve(ref.kind, ref.id)]);
        if (have()) return true;
        if (get().loadedHosts === null) return false;
        // Follow the object's references up to its host (a NIC -> its jail -> the host), then load that host.
        let kind: Kind = ref.kind;
        let id = resolve(ref.kind, ref.id);
        for (let hops = 0; hops < 4; hops++) {
          let obj: Record<string, unknown>;
          try {
            obj = (await api.get(kind, id)) as unknown as Record<string, unknown>;
          } catch {
            return false;
          }
          const hostId = hostOf(get().objects, kind, obj);
          if (hostId !== null) {
            await get().ensureHosts([hostId]);
            return have();
          }
          const up = Object.entries(FOREIGN_KEYS[kind]).find(([field, target]) => target && target !== 'design' && fkId(obj[field]) !== null);
          if (!up) return false;
          kind = up[1] as Kind;
          id = fkId(obj[up[0]])!;
        }
        return false;
      },

      async createObject(kind, data, label) {
        await ensureHostOf(kind, data);
        return serial(async () => {
          try {
            const obj = await doCreate(kind, data);
            const ref = { kind, id: obj.id };
            const recreate = writableData(kind, obj);
            push({
              label: label ?? `add ${LABELS[kind]}`,
              undo: async () => {
                await doDelete(ref.kind, ref.id);
                await refreshObjects();
              },
              redo: async () => {
                const again = await doCreate(ref.kind, recreate);
                remap.set(`${ref.kind}:${resolve(ref.kind, ref.id)}`, again.id);
              },
            });
            changed();
            return obj;
          } catch (error) {
            handle(error, kind);
            return null;
          }
        });
      },

      async updateObject(kind, id, changes) {
        await ensureHostOf(kind, changes);
        return serial(async () => {
          const before = current(kind, id);
          if (!before) return null;
          const previous = Object.fromEntries(Object.keys(changes).map((key) => [key, writableData(kind, before)[key]]));
          try {
            const obj = await doUpdate(kind, id, changes);
            push({
              label: `edit ${LABELS[kind]}`,
              undo: async () => void (await doUpdate(kind, id, previous)),
              redo: async () => void (await doUpdate(kind, id, changes)),
            });
            changed();
            return obj;
          } catch (error) {
            handle(error, kind, id);
            return null;
          }
        });
      },

      deleteObject(kind, id) {
        return serial(async () => {
          const before = current(kind, id);
          if (!before) return false;
          const recreate = writableData(kind, before);
          try {
            await doDelete(kind, id);
            await refreshObjects();
            push({
              label: `delete ${LABELS[kind]}`,
              undo: async () => {
                const again = await doCreate(kind, recreate);
                remap.set(`${kind}:${resolve(kind, id)}`, again.id);
              },
              redo: async () => {
                await doDelete(kind, id);
                await refreshObjects();
              },
            });
            changed();
            return true;
          } catch (error) {
            handle(error, kind, id);
            return false;
          }
        });
      },

      savePositions(changes, label = 'move') {
        return serial(async () => {
          const previous = changes.map((c) => {
            const obj = current(c.kind, c.id);
            return { ...c, x: obj?.position_x ?? null, y: obj?.position_y ?? null };
          });
          const apply = async (list: { kind: PositionChange['kind']; id: number; x: number | null; y: number | null }[]) => {
            for (const c of list) await doUpdate(c.kind, c.id, { position_x: c.x, position_y: c.y });
          };
          try {
            await apply(changes.map((c) => ({ ...c, x: Math.round(c.x), y: Math.round(c.y) })));
            push({ label, undo: () => apply(previous), redo: () => apply(changes) });
            set((s) => ({ revision: s.revision + 1 }));
          } catch (error) {
            const first = changes[0];
            handle(error, first?.kind ?? 'host', first?.id);
          }
        });
      },

      undo() {
        return serial(async () => {
          const { undoStack, busy } = get();
          const command = undoStack[undoStack.length - 1];
          if (!command || busy) return;
          set({ busy: true });
          try {
            await command.undo();
            set((s) => ({ undoStack: s.undoStack.slice(0, -1), redoStack: [...s.redoStack, command] }));
            changed();
          } catch (error) {
            set({ error: `Could not undo ${command.label}: ${error instanceof Error ? error.message : String(error)}` });
          } finally {
            set({ busy: false });
          }
        });
      },

      redo() {
        return serial(async () => {
          const { redoStack, busy } = get();
          const command = redoStack[redoStack.length - 1];
          if (!command || busy) return;
          set({ busy: true });
          try {
            await command.redo();
            set((s) => ({ redoStack: s.redoStack.slice(0, -1), undoStack: [...s.undoStack, command] }));
            changed();
          } catch (error) {
            set({ error: `Could not redo ${command.label}: ${error instanceof Error ? error.message : String(error)}` });
          } finally {
            set({ busy: false });
          }
        });
      },

      async refreshValidation() {
        const { designId } = get();
        if (designId === null) return;
        const seq = ++validationSeq;
        try {
          const report = await api.validate(designId);
          if (seq !== validationSeq) return;
          set({ findings: (report.findings ?? []).map(normalizeFinding), validationError: null });
        } catch (error) {
          if (seq !== validationSeq) return;
          set({ validationError: error instanceof Error ? error.message : String(error) });
        }
      },
    };
  });
}

export const useDesignStore = createDesignStore(httpDesignApi);
export type DesignStore = ReturnType<typeof createDesignStore>;
