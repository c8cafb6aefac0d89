import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { canEditDesigns, useSessionStore } from '../store/sessionStore';

/** The top bar: product name, page-specific controls, the user with their roles, and logout. */
export function Header({ children }: { children?: ReactNode }) {
  const { me, logout } = useSessionStore(useShallow((s) => ({ me: s.me, logout: s.logout })));
  return (
    <header className="app-header">
      <a className="brand" href="#/">jailnet</a>
      <div className="header-tools">{children}</div>
      {me && (
        <div className="user" data-testid="current-user">
          <span>{me.username}</span>
          <span className="roles">{me.roles.join(', ') || 'no role'}</span>
          {!canEditDesigns(me) && <span className="read-only-tag" data-testid="read-only">read-only</span>}
          <button onClick={() => void logout()}>Log out</button>
        </div>
      )}
    </header>
  );
}
