import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { designsApi } from '../api/designApi';
import type { Design } from '../api/types';
import { canEditDesigns, useSessionStore } from '../store/sessionStore';
import { DesignRow } from './DesignRow';
import { Header } from './Header';
import { ImportDialog } from './ImportDialog';

/** The designs the user can open, and (for designers) a form to start a new one. */
export function DesignList() {
  const me = useSessionStore((s) => s.me);
  const [designs, setDesigns] = useState<Design[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);

  const [search, setSearch] = useState('');
  const [ordering, setOrdering] = useState('name');
  const [showArchived, setShowArchived] = useState(false);

  const refresh = useCallback(() => {
    const query = { search: search || undefined, ordering, ...(showArchived ? {} : { archived: false }) };
    designsApi.list(query).then(setDesigns, (e: Error) => setError(e.message));
  }, [search, ordering, showArchived]);
  useEffect(refresh, [refresh]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
      setFieldError("Use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit.");
      return;
    }
    try {
      const design = await designsApi.create(name, '');
      window.location.hash = `#/designs/${design.id}`;
    } catch (e) {
      setFieldError(e instanceof ApiError ? (e.fieldErrors.name ?? [e.message]).join(' ') : String(e));
    }
  };

  return (
    <div className="page">
      <Header />
      <main className="design-list">
        <h1>Designs</h1>
        {error && <div className="form-error">{error}</div>}
        <div className="list-tools">
          <input type="search" aria-label="Search designs" placeholder="Search name or description" value={search} onChange={(e) => setSearch(e.target.value)} />
          <label>
            Sort by{' '}
            <select aria-label="Sort by" value={ordering} onChange={(e) => setOrdering(e.target.value)}>
              <option value="name">name</option>
              <option value="-last_updated">last changed</option>
              <option value="owner__username">owner</option>
              <option value="-created">newest</option>
            </select>
          </label>
          <label>
            <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} /> show archived
          </label>
        </div>
        {designs === null ? (
          <p>Loading…</p>
        ) : designs.length === 0 ? (
          <p>{search ? 'No design matches.' : 'No designs yet.'}</p>
        ) : (
          <table className="design-table" data-testid="design-list">
            <thead>
              <tr>
                <th>Design</th>
                <th>Owner</th>
                <th>Description</th>
                <th>Last changed</th>
                {canEditDesigns(me) && <th />}
              </tr>
            </thead>
            <tbody>
              {designs.map((d) => (
                <DesignRow key={`${d.id}-${d.version}`} design={d} canEdit={canEditDesigns(me)} onChanged={refresh} />
              ))}
            </tbody>
          </table>
        )}
        {canEditDesigns(me) && (
          <form className="new-design" onSubmit={create} aria-label="Create a design">
            <label htmlFor="new-design-name">New design</label>
            <input id="new-design-name" placeholder="s6-services" value={name} onChange={(e) => { setName(e.target.value); setFieldError(null); }} />
            <button type="submit" disabled={!name}>Create</button>
            {fieldError && <div className="field-error">{fieldError}</div>}
          </form>
        )}
        {canEditDesigns(me) && (
          <button type="button" onClick={() => setImporting(true)} data-testid="import-yaml">
            Import YAML…
          </button>
        )}
        {importing && <ImportDialog onClose={() => setImporting(false)} />}
      </main>
    </div>
  );
}
