/** Who is logged in and what their roles let them do. */
import { create } from 'zustand';
import { ApiError } from '../api/client';
import { sessionApi } from '../api/designApi';
import type { Me } from '../api/types';
import { allows } from '../model/roles';

/** Whether `me` may change designs (a designer or an admin). */
export function canEditDesigns(me: Me | null): boolean {
  return allows(me, 'edit_design');
}

interface SessionState {
  me: Me | null;
  checked: boolean;
  error: string | null;
  check(): Promise<void>;
  login(username: string, password: string): Promise<boolean>;
  logout(): Promise<void>;
  ended(): void;
}

export const useSessionStore = create<SessionState>()((set) => ({
  me: null,
  checked: false,
  error: null,
  async check() {
    try {
      const session = await sessionApi.csrf();
      set({ me: session.me ?? null, checked: true });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) set({ me: null, checked: true });
      else set({ me: null, checked: true, error: error instanceof Error ? error.message : String(error) });
    }
  },
  async login(username, password) {
    try {
      await sessionApi.csrf();
      const me = await sessionApi.login(username, password);
      // Django rotates the CSRF token at login; fetch the new cookie before the first write.
      await sessionApi.csrf();
      set({ me, error: null });
      return true;
    } catch (error) {
      set({ error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  },
  ended: () => set({ me: null, error: 'Your session ended; please log in again.' }),
  async logout() {
    try {
      await sessionApi.logout();
    } finally {
      set({ me: null });
      await sessionApi.csrf().catch(() => undefined);
    }
  },
}));
