import { useEffect, useSyncExternalStore } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { Login } from './components/Login';
import { DesignList } from './components/DesignList';
import { Designer } from './components/Designer';
import { useSessionStore } from './store/sessionStore';
import { SESSION_ENDED_EVENT } from './api/client';

function subscribeHash(callback: () => void) {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

/** Routes: `#/` the design list, `#/designs/<id>` the designer. */
export function useRoute(): { designId: number | null } {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  const match = hash.match(/^#\/designs\/(\d+)/);
  return { designId: match ? Number(match[1]) : null };
}

export function App() {
  const { me, checked, check } = useSessionStore(useShallow((s) => ({ me: s.me, checked: s.checked, check: s.check })));
  const { designId } = useRoute();
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
  if (!checked) return <div className="splash">Loading…</div>;
  if (!me) return <Login />;
  return designId === null ? <DesignList /> : <Designer designId={designId} />;
}
