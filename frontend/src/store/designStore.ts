/**
 * The open design: its objects as the server has them, the selection, validation findings, and the
 * undo/redo history of the user's changes.
 *
 * Every write goes to the server first and the store keeps what the server answered (with its new
 * `version`); a stale write (409) sets `conflict` instead, and the UI offers a reload.
 */
import { create } from 'zustand';
import { ApiError } from '../api/client';
import { httpDesignApi, type DesignApi } from '../api/designApi';
import type { Design } from '../api/types';
import { normalizeFinding, type DesignFinding } from '../model/findings';
import {
  emptyObjects,
  FOREIGN_KEYS,
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
  createObject<K extends Kind>(kind: K, data: Record<string, unknown>, label?: string): Promise<ObjectOf<K> | null>;
  updateObject<K extends Kind>(kind: K, id: number, changes: Record<string, unknown>): Promise<ObjectOf<K> | null>;
  deleteObject(kind: Kind, id: number): Promise<boolean>;
  savePositions(changes: PositionChange[], label?: string): Promise<void>;
  undo(): Promise<void>;
  redo(): Promise<void>;
  refreshValidation(): Promise<void>;
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
      const { designId } = get();
      if (designId === null) return;
      const seq = loadSeq;
      const { design, objects } = await fetchDesign(designId);
      if (seq === loadSeq) set({ design, objects });
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
          const { design, objects } = await fetchDesign(designId);
          if (seq !== loadSeq) return;
          const hosts = Object.values(objects.host);
          const guests = Object.keys(objects.jail).length + Object.keys(objects.vm).length;
          const collapseAll = hosts.length >= COLLAPSE_HOSTS_FROM || guests >= COLLAPSE_GUESTS_FROM;
          const keep = get().designId === designId ? get().collapsed : {};
          const collapsed = collapseAll ? Object.fromEntries(hosts.map((h) => [h.id, keep[h.id] ?? true])) : keep;
          remap.clear();
          set((s) => ({
            design,
            objects,
            collapsed,
            loading: false,
            conflict: null,
            remoteChange: null,
            undoStack: [],
            redoStack: [],
            revision: s.revision + 1,
          }));
          void get().refreshValidation();
        } catch (error) {
          if (seq === loadSeq) set({ loading: false, error: error instanceof Error ? error.message : String(error) });
        }
      },

      async reload() {
        const { designId } = get();
        if (designId !== null) await get().load(designId);
      },

      select: (selection) => set({ selection }),
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
      toggleCollapsed: (hostId) => set((s) => ({ collapsed: { ...s.collapsed, [hostId]: !s.collapsed[hostId] } })),
      setAllCollapsed: (collapsed) =>
        set((s) => ({ collapsed: Object.fromEntries(Object.keys(s.objects.host).map((id) => [id, collapsed])) })),

      createObject(kind, data, label) {
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

      updateObject(kind, id, changes) {
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
