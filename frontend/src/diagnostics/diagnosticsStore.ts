/** The diagnostics panel of the designer: what it was opened on, and the last drift check's findings (shown in the
 * panel and as badges on the diagram). */
import { create } from 'zustand';
import type { DriftFinding } from '../api/diagnosticsApi';
import type { DiagnosticsTarget } from './targets';

interface DiagnosticsState {
  target: DiagnosticsTarget | null;
  drift: DriftFinding[];
  open(target: DiagnosticsTarget): void;
  close(): void;
  setDrift(findings: DriftFinding[]): void;
}

export const useDiagnosticsStore = create<DiagnosticsState>()((set) => ({
  target: null,
  drift: [],
  open: (target) => set({ target }),
  close: () => set({ target: null }),
  setDrift: (drift) => set({ drift }),
}));
