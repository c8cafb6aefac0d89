import { useEffect, useSyncExternalStore } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { Login } from './components/Login';
import { DesignList } from './components/DesignList';
import { Designer } from './components/Designer';
import { ChangeRequestList } from './components/ChangeRequestList';
import { ChangeRequestPage } from './components/ChangeRequestPage';
import { AuditPage } from './components/AuditPage';
import { DesignHistory } from './components/DesignHistory';
import { LabPage } from './pages/LabPage';
import { InventoryPage } from './pages/InventoryPage';
import { useNotifications } from './components/Notifications';
import { useSessionStore } from './store/sessionStore';
import { SESSION_ENDED_EVENT } from './api/client';

function subscribeHash(callback: () => void) {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

export type Route =
  | { page: 'designs' }
  | { page: 'designer'; designId: number }
  | { page: 'history'; designId: number }
  | { page: 'changeRequests' }
  | { page: 'changeRequest'; requestId: number }
  | { page: 'audit' }
  | { page: 'lab'; designId?: number }
  | { page: 'inventory'; hostId?: number; creating?: boolean };

/** The page a location hash names. */
export function routeOf(hash: string): Route {
  if (hash.startsWith('#/inventory/new')) return { page: 'inventory', creating: true };
  let m = hash.match(/^#\/inventory\/(\d+)/);
  if (m) return { page: 'inventory', hostId: Number(m[1]) };
  if (hash.startsWith('#/inventory')) return { page: 'inventory' };
  m = hash.match(/^#\/designs\/(\d+)\/lab/);
  if (m) return { page: 'lab', designId: Number(m[1]) };
  if (hash.startsWith('#/lab')) return { page: 'lab' };
  m = hash.match(/^#\/designs\/(\d+)\/history/);
  if (m) return { page: 'history', designId: Number(m[1]) };
  m = hash.match(/^#\/designs\/(\d+)/);
  if (m) return { page: 'designer', designId: Number(m[1]) };
  m = hash.match(/^#\/change-requests\/(\d+)/);
  if (m) return { page: 'changeRequest', requestId: Number(m[1]) };
  if (hash.startsWith('#/change-requests')) return { page: 'changeRequests' };
  if (hash.startsWith('#/audit')) return { page: 'audit' };
  return { page: 'designs' };
}

/** Routes: `#/` designs, `#/designs/<id>` the designer, `…/history` its revisions, `#/change-requests[/<id>]`, `#/audit`. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  return routeOf(hash);
}

export function App() {
  const { me, checked, check } = useSessionStore(useShallow((s) => ({ me: s.me, checked: s.checked, check: s.check })));
  const route = useRoute();
  useEffect(() => {
    void check();
  }, [check]);
  useEffect(() => {
    const ended = () => {
      if (useSessionStore.getState().me) useSessionStore.getState().ended();
    };
    window.addEventListener(SESSION_ENDED_EVENT, ended);
    return () => window.removeEventListener(SESSION_ENDED_EVENT, ended);
  }, []);
  useNotifications(me?.username);
  if (!checked) return <div className="splash">Loading…</div>;
  if (!me) return <Login />;
  switch (route.page) {
    case 'designer':
      return <Designer designId={route.designId} />;
    case 'history':
      return <DesignHistory key={route.designId} designId={route.designId} />;
    case 'changeRequests':
      return <ChangeRequestList />;
    case 'changeRequest':
      return <ChangeRequestPage key={route.requestId} requestId={route.requestId} />;
    case 'audit':
      return <AuditPage />;
    case 'lab':
      return <LabPage designId={route.designId} />;
    case 'inventory':
      return <InventoryPage key={`${route.hostId ?? ''}${route.creating ? 'new' : ''}`} hostId={route.hostId} creating={route.creating} />;
    default:
      return <DesignList />;
  }
}
