/** The pending confirmation (delete …?) shown by the ConfirmDialog. */
import { create } from 'zustand';
import type { ConfirmRequest } from '../components/ConfirmDialog';

interface ConfirmState {
  request: ConfirmRequest | null;
  ask(request: ConfirmRequest): void;
  close(): void;
}

export const useConfirmStore = create<ConfirmState>()((set) => ({
  request: null,
  ask: (request) => set({ request }),
  close: () => set({ request: null }),
}));
