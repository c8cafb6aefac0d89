/** The user's changes: each write goes to the server first and is pushed on the undo history. */
import { LABELS, writableData } from '../../model/kinds';
import type { StoreContext } from './context';
import type { EditSlice, PositionChange } from './types';

export function createEditSlice(ctx: StoreContext): EditSlice {
  const { set, get } = ctx;
  return {
    canEdit: false,
    busy: false,
    undoStack: [],
    redoStack: [],

    setCanEdit: (canEdit) => set({ canEdit }),

    async createObject(kind, data, label) {
      await ctx.ensureHostOf(kind, data);
      return ctx.serial(async () => {
        try {
          const obj = await ctx.doCreate(kind, data);
          const ref = { kind, id: obj.id };
          const recreate = writableData(kind, obj);
          ctx.push({
            label: label ?? `add ${LABELS[kind]}`,
            undo: async () => {
              await ctx.doDelete(ref.kind, ref.id);
              await ctx.refreshObjects();
            },
            redo: async () => {
              const again = await ctx.doCreate(ref.kind, recreate);
              ctx.remap.set(`${ref.kind}:${ctx.resolve(ref.kind, ref.id)}`, again.id);
            },
          });
          ctx.changed();
          return obj;
        } catch (error) {
          ctx.handle(error, kind);
          return null;
        }
      });
    },

    async updateObject(kind, id, changes) {
      await ctx.ensureHostOf(kind, changes);
      return ctx.serial(async () => {
        const before = ctx.current(kind, id);
        if (!before) return null;
        const previous = Object.fromEntries(Object.keys(changes).map((key) => [key, writableData(kind, before)[key]]));
        try {
          const obj = await ctx.doUpdate(kind, id, changes);
          ctx.push({
            label: `edit ${LABELS[kind]}`,
            undo: async () => void (await ctx.doUpdate(kind, id, previous)),
            redo: async () => void (await ctx.doUpdate(kind, id, changes)),
          });
          ctx.changed();
          return obj;
        } catch (error) {
          ctx.handle(error, kind, id);
          return null;
        }
      });
    },

    deleteObject(kind, id) {
      return ctx.serial(async () => {
        const before = ctx.current(kind, id);
        if (!before) return false;
        const recreate = writableData(kind, before);
        try {
          await ctx.doDelete(kind, id);
          await ctx.refreshObjects();
          ctx.push({
            label: `delete ${LABELS[kind]}`,
            undo: async () => {
              const again = await ctx.doCreate(kind, recreate);
              ctx.remap.set(`${kind}:${ctx.resolve(kind, id)}`, again.id);
            },
            redo: async () => {
              await ctx.doDelete(kind, id);
              await ctx.refreshObjects();
            },
          });
          ctx.changed();
          return true;
        } catch (error) {
          ctx.handle(error, kind, id);
          return false;
        }
      });
    },

    savePositions(changes, label = 'move') {
      return ctx.serial(async () => {
        const previous = changes.map((c) => {
          const obj = ctx.current(c.kind, c.id);
          return { ...c, x: obj?.position_x ?? null, y: obj?.position_y ?? null };
        });
        const apply = async (list: { kind: PositionChange['kind']; id: number; x: number | null; y: number | null }[]) => {
          for (const c of list) await ctx.doUpdate(c.kind, c.id, { position_x: c.x, position_y: c.y });
        };
        try {
          await apply(changes.map((c) => ({ ...c, x: Math.round(c.x), y: Math.round(c.y) })));
          ctx.push({ label, undo: () => apply(previous), redo: () => apply(changes) });
          set((s) => ({ revision: s.revision + 1 }));
        } catch (error) {
          const first = changes[0];
          ctx.handle(error, first?.kind ?? 'host', first?.id);
        }
      });
    },

    runCommand(command) {
      return ctx.serial(async () => {
        await command.redo();
        ctx.push(command);
        ctx.changed();
      });
    },

    undo() {
      return ctx.serial(async () => {
        const { undoStack, busy } = get();
        const command = undoStack[undoStack.length - 1];
        if (!command || busy) return;
        set({ busy: true });
        try {
          await command.undo();
          set((s) => ({ undoStack: s.undoStack.slice(0, -1), redoStack: [...s.redoStack, command] }));
          ctx.changed();
        } catch (error) {
          set({ error: `Could not undo ${command.label}: ${error instanceof Error ? error.message : String(error)}` });
        } finally {
          set({ busy: false });
        }
      });
    },

    redo() {
      return ctx.serial(async () => {
        const { redoStack, busy } = get();
        const command = redoStack[redoStack.length - 1];
        if (!command || busy) return;
        set({ busy: true });
        try {
          await command.redo();
          set((s) => ({ redoStack: s.redoStack.slice(0, -1), undoStack: [...s.undoStack, command] }));
          ctx.changed();
        } catch (error) {
          set({ error: `Could not redo ${command.label}: ${error instanceof Error ? error.message : String(error)}` });
        } finally {
          set({ busy: false });
        }
      });
    },
  };
}
