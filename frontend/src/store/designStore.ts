/**
 * The open design: its objects as the server has them, the selection, validation findings, and the
 * undo/redo history of the user's changes.
 *
 * Every write goes to the server first and the store keeps what the server answered (with its new
 * `version`); a stale write (409) sets `conflict` instead, and the UI offers a reload.
 *
 * One zustand store made of three slices (`design/`): loading (`loadSlice.ts`: the design, lazily per host
 * for large ones), editing (`editSlice.ts`: writes and undo/redo) and the view (`viewSlice.ts`: selection,
 * findings, errors). What they share — the API, the write queue, re-mapped ids, the raw operations — is
 * in `design/context.ts`.
 */
import { create } from 'zustand';
import { httpDesignApi, type DesignApi } from '../api/designApi';
import { createContext } from './design/context';
import { createEditSlice } from './design/editSlice';
import { createLoadSlice } from './design/loadSlice';
import type { DesignState } from './design/types';
import { createViewSlice } from './design/viewSlice';

export { COLLAPSE_GUESTS_FROM, COLLAPSE_HOSTS_FROM, hostOf, mergeObjects, opensCollapsed } from './design/objects';
export type { Command, Conflict, DesignState, EditSlice, LoadSlice, PositionChange, Selection, ViewSlice } from './design/types';

export function createDesignStore(api: DesignApi) {
  return create<DesignState>()((set, get) => {
    const ctx = createContext(api, set, get);
    return { ...createLoadSlice(ctx), ...createEditSlice(ctx), ...createViewSlice(ctx) };
  });
}

export const useDesignStore = createDesignStore(httpDesignApi);
export type DesignStore = ReturnType<typeof createDesignStore>;
