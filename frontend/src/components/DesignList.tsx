import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { designsApi } from '../api/designApi';
import type { Design } from '../api/types';
import { canEditDesigns, useSessionStore } from '../store/sessionStore';
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

  const refresh = useCallback(() => {
    designsApi.list().then(setDesigns, (e: Error) => setError(e.message));
  }, []);
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
        {designs === null ? (
          <p>Loading…</p>
        ) : designs.length === 0 ? (
          <p>No designs yet.</p>
        ) : (
          <ul data-testid="design-list">
            {designs.map((d) => (
              <li key={d.id}>
                <a href={`#/designs/${d.id}`}>{d.name}</a>
                {d.description && <span className="muted"> — {d.description}</span>}
              </li>
            ))}
          </ul>
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
