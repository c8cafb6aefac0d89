/** In-app notifications from the websocket: requests waiting for the user's review, state changes of theirs. */
import { create } from 'zustand';
import type { ChangeRequestEvent } from '../api/events';
import { stateLabel } from '../model/changes';

export interface Notification {
  key: number;
  requestId: number;
  text: string;
  time: number;
  read: boolean;
}

interface NotificationState {
  items: Notification[];
  /** The newest notification still shown as a toast. */
  toast: Notification | null;
  /** Whether the websocket is connected (the e2e tests wait for it). */
  live: boolean;
  /** Bumped on every event: open pages reload the request it concerns. */
  lastEvent: ChangeRequestEvent | null;
  add(event: ChangeRequestEvent): void;
  setLive(live: boolean): void;
  dismissToast(): void;
  markAllRead(): void;
}

let nextKey = 1;

/** The words of a notification. */
export function describeEvent(event: ChangeRequestEvent): string {
  const request = `#${event.number} “${event.title}”`;
  if (event.type === 'change_request.review_requested') return `${event.by || 'Someone'} asks for your review of ${request}`;
  return `${request} is now ${stateLabel(event.state)}${event.by ? ` (by ${event.by})` : ''}`;
}

export const useNotificationStore = create<NotificationState>()((set) => ({
  items: [],
  toast: null,
  live: false,
  lastEvent: null,
  add(event) {
    const item: Notification = { key: nextKey++, requestId: event.id, text: describeEvent(event), time: Date.now(), read: false };
    set((s) => ({ items: [item, ...s.items].slice(0, 50), toast: item, lastEvent: event }));
  },
  setLive: (live) => set({ live }),
  dismissToast: () => set({ toast: null }),
  markAllRead: () => set((s) => ({ items: s.items.map((i) => ({ ...i, read: true })) })),
}));
