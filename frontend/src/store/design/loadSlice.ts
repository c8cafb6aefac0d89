/** Loading the design: whole, or (large designs) its overview first and each host's objects when shown. */
import type { HostCounts } from '../../api/designApi';
import { emptyObjects, fkId, FOREIGN_KEYS, type AnyObject, type Kind } from '../../model/kinds';
import type { StoreContext } from './context';
import { chunks, hostOf, HOSTS_PER_REQUEST, mergeObjects, opensCollapsed } from './objects';
import type { LoadSlice } from './types';

export function createLoadSlice(ctx: StoreContext): LoadSlice {
  const { api, set, get, seq } = ctx;
  return {
    designId: null,
    design: null,
    objects: emptyObjects(),
    loading: false,
    revision: 0,
    collapsed: {},
    loadedHosts: null,
    hostCounts: {},
    remoteChange: null,

    async load(designId) {
      const loadSeq = ++seq.load;
      set({ loading: true, designId, error: null });
      try {
        // A large design: its overview first, each host's objects when it is shown.
        const writesBefore = seq.write;
        const overview = await api.loadOverview(designId);
        if (loadSeq !== seq.load) return;
        const guestsOf = (counts: Record<number, HostCounts>) => Object.values(counts).reduce((n, c) => n + c.jails + c.vms, 0);
        const lazy = writesBefore === seq.write && opensCollapsed(Object.keys(overview.objects.host).length, guestsOf(overview.counts));
        const { design, objects } = lazy ? overview : await ctx.fetchDesign(designId);
        if (loadSeq !== seq.load) return;
        const hosts = Object.values(objects.host);
        const guests = lazy ? guestsOf(overview.counts) : Object.keys(objects.jail).length + Object.keys(objects.vm).length;
        const collapseAll = opensCollapsed(hosts.length, guests);
        const keep = get().designId === designId ? get().collapsed : {};
        const collapsed = collapseAll ? Object.fromEntries(hosts.map((h) => [h.id, keep[h.id] ?? true])) : keep;
        ctx.remap.clear();
        ctx.pending.clear();
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
        if (loadSeq === seq.load) set({ loading: false, error: error instanceof Error ? error.message : String(error) });
      }
    },

    async reload() {
      const { designId } = get();
      if (designId !== null) await get().load(designId);
    },

    noteRemoteChange: (user) =>
      set((s) => ({
        remoteChange: {
          users: s.remoteChange?.users.includes(user) ? s.remoteChange.users : [...(s.remoteChange?.users ?? []), user],
          count: (s.remoteChange?.count ?? 0) + 1,
        },
      })),

    async refresh() {
      await ctx.serial(async () => {
        try {
          await ctx.refreshObjects();
          set({ remoteChange: null, conflict: null });
          ctx.changed();
        } catch (error) {
          set({ error: error instanceof Error ? error.message : String(error) });
        }
      });
    },

    toggleCollapsed: (hostId) => {
      const expand = Boolean(get().collapsed[hostId]);
      set((s) => ({ collapsed: { ...s.collapsed, [hostId]: !s.collapsed[hostId] } }));
      if (expand && !ctx.isLoaded(hostId)) void get().ensureHosts([hostId]);
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
        if (ctx.isLoaded(id)) continue;
        const running = ctx.pending.get(id);
        if (running) waits.push(running);
        else missing.push(id);
      }
      const loadSeq = seq.load;
      for (const ids of chunks(missing, HOSTS_PER_REQUEST)) {
        const task = (async () => {
          try {
            const part = await api.loadHosts(designId, ids);
            if (loadSeq !== seq.load || get().loadedHosts === null) return;
            set((s) => ({
              objects: mergeObjects(s.objects, part),
              loadedHosts: { ...s.loadedHosts, ...Object.fromEntries(ids.map((id) => [id, true])) },
              revision: s.revision + 1,
            }));
          } catch (error) {
            if (loadSeq === seq.load) set({ error: error instanceof Error ? error.message : String(error) });
          } finally {
            for (const id of ids) ctx.pending.delete(id);
          }
        })();
        for (const id of ids) ctx.pending.set(id, task);
        waits.push(task);
      }
      await Promise.all(waits);
    },

    async ensureObject(ref) {
      const have = () => Boolean((get().objects[ref.kind] as Record<number, AnyObject>)[ctx.resolve(ref.kind, ref.id)]);
      if (have()) return true;
      if (get().loadedHosts === null) return false;
      // Follow the object's references up to its host (a NIC -> its jail -> the host), then load that host.
      let kind: Kind = ref.kind;
      let id = ctx.resolve(ref.kind, ref.id);
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
  };
}
