import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { accessOf } from '../model/roles';
import { useSessionStore } from '../store/sessionStore';
import { NotificationBell } from './Notifications';

const DESIGN_LAB = /^#\/designs\/\d+\/lab/;

const SECTIONS = [
  // A design's lab page is the Lab section's, not the Designs section's: one section is current at a time.
  { href: '#/', label: 'Designs', match: (hash: string) => hash === '' || hash === '#/' || (hash.startsWith('#/designs') && !DESIGN_LAB.test(hash)) },
  { href: '#/change-requests', label: 'Change requests', match: (hash: string) => hash.startsWith('#/change-requests') },
  { href: '#/audit', label: 'Audit', match: (hash: string) => hash.startsWith('#/audit') },
  { href: '#/inventory', label: 'Hosts', match: (hash: string) => hash.startsWith('#/inventory') },
  { href: '#/lab', label: 'Lab', match: (hash: string) => /^#\/(lab|designs\/\d+\/lab)/.test(hash) },
  { href: '#/jobs', label: 'Jobs', match: (hash: string) => hash.startsWith('#/jobs') },
];

/** The labels of the sections the navigation marks current for ``hash``. */
export function currentSections(hash: string): string[] {
  return SECTIONS.filter((s) => s.match(hash)).map((s) => s.label);
}

/** The top bar: product name, the sections, page-specific controls, notifications, the user with their roles, and logout.
 * The roles say what they allow on hover; "read-only" is shown only to whoever may do nothing but read (a viewer):
 * an operator or an approver acts, on other pages than the designer. */
export function Header({ children }: { children?: ReactNode }) {
  const { me, logout } = useSessionStore(useShallow((s) => ({ me: s.me, logout: s.logout })));
  const hash = window.location.hash;
  const access = me ? accessOf(me) : null;
  return (
    <header className="app-header">
      <a className="brand" href="#/">jailnet</a>
      <nav className="sections" aria-label="Sections">
        {SECTIONS.map((s) => (
          <a key={s.href} href={s.href} aria-current={s.match(hash) ? 'page' : undefined}>{s.label}</a>
        ))}
      </nav>
      <div className="header-tools">{children}</div>
      {me && (
        <div className="user" data-testid="current-user">
          <NotificationBell />
          <span>{me.username}</span>
          <span className="roles" title={access?.hint} data-testid="current-roles">{me.roles.join(', ') || 'no role'}</span>
          {access?.readOnly && <span className="read-only-tag" data-testid="read-only" title={access.hint}>read-only</span>}
          <button onClick={() => void logout()}>Log out</button>
        </div>
      )}
    </header>
  );
}
