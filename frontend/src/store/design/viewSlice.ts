/** What the user looks at: the selection, the validation findings, errors and conflicts. */
import { normalizeFinding } from '../../model/findings';
import type { StoreContext } from './context';
import type { ViewSlice } from './types';

export function createViewSlice(ctx: StoreContext): ViewSlice {
  const { api, set, get, seq } = ctx;
  return {
    selection: null,
    findings: [],
    validationError: null,
    conflict: null,
    error: null,

    select: (selection) => {
      set({ selection });
      // The property panel of a host lists its objects: load them.
      if (selection?.kind === 'host' && !ctx.isLoaded(selection.id)) void get().ensureHosts([selection.id]);
    },
    setError: (error) => set({ error }),
    dismissConflict: () => set({ conflict: null }),

    async refreshValidation() {
      const { designId } = get();
      if (designId === null) return;
      const validationSeq = ++seq.validation;
      try {
        const report = await api.validate(designId);
        if (validationSeq !== seq.validation) return;
        set({ findings: (report.findings ?? []).map(normalizeFinding), validationError: null });
      } catch (error) {
        if (validationSeq !== seq.validation) return;
        set({ validationError: error instanceof Error ? error.message : String(error) });
      }
    },
  };
}
