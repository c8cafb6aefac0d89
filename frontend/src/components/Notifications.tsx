import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { SESSION_ENDED_EVENT } from '../api/client';
import { watchNotifications } from '../api/events';
import { liveSocket } from '../api/socket';
import { useNotificationStore } from '../store/notificationStore';

/** Follow the logged-in user's notifications on the websocket while `username` is set. */
export function useNotifications(username: string | undefined) {
  useEffect(() => {
    if (!username) return;
    const { add, setLive } = useNotificationStore.getState();
    liveSocket.reset(); // a new login: the socket closed at the last logout may open again
    const stop = watchNotifications(add, () => setLive(true));
    // The server closes the socket when the session ends (logout elsewhere, roles taken): back to the login page.
    const stopEnded = liveSocket.listen((frame) => {
      if (frame.type === 'session.closed') window.dispatchEvent(new Event(SESSION_ENDED_EVENT));
    });
    return () => {
      stopEnded();
      stop();
      setLive(false);
    };
  }, [username]);
}

function BellIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" fill="currentColor">
      <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
    </svg>
  );
}

/** The bell in the header: unread count, the list of recent notifications, and a toast for the newest one. */
export function NotificationBell() {
  const { items, toast, live, dismissToast, markAllRead } = useNotificationStore(
    useShallow((s) => ({ items: s.items, toast: s.toast, live: s.live, dismissToast: s.dismissToast, markAllRead: s.markAllRead })),
  );
  const [open, setOpen] = useState(false);
  const unread = items.filter((i) => !i.read).length;
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(dismissToast, 8000);
    return () => clearTimeout(timer);
  }, [toast, dismissToast]);
  return (
    <div className="bell-wrap" data-testid="notifications" data-live={live ? 'true' : 'false'}>
      <button
        className="bell"
        aria-label={`Notifications${unread ? ` (${unread} unread)` : ''}`}
        title={live ? 'Notifications (live)' : 'Notifications (not connected)'}
        onClick={() => {
          setOpen(!open);
          if (!open) markAllRead();
        }}
      >
        <BellIcon />{unread > 0 && <span className="bell-count" data-testid="bell-count">{unread}</span>}
      </button>
      {open && (
        <div className="bell-menu" role="menu">
          {items.length === 0 ? (
            <p className="muted">Nothing yet.</p>
          ) : (
            items.map((item) => (
              <a key={item.key} role="menuitem" href={`#/change-requests/${item.requestId}`} onClick={() => setOpen(false)}>
                {item.text}
                <span className="muted"> · {new Date(item.time).toLocaleTimeString()}</span>
              </a>
            ))
          )}
        </div>
      )}
      {toast && (
        <div className="toast" role="status" data-testid="toast">
          <a href={`#/change-requests/${toast.requestId}`} onClick={dismissToast}>{toast.text}</a>
          <button className="link" aria-label="Dismiss" onClick={dismissToast}>×</button>
        </div>
      )}
    </div>
  );
}
