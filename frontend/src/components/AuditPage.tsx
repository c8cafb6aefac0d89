import { useEffect, useState } from 'react';
import { auditApi, type AuditPage as Page } from '../api/changeApi';
import { auditQuery, fieldChanges, NO_AUDIT_FILTERS, withParams, type AuditFilters, type Reference } from '../model/changes';
import { Header } from './Header';

const PAGE_SIZE = 50;
const ACTIONS = ['', 'create', 'update', 'delete'];
const SOURCES = ['', 'api', 'admin', 'import', 'task', 'command', 'shell'];

function FieldDiff({ before, after, references }: { before: unknown; after: unknown; references?: Record<string, Reference> }) {
  const changes = fieldChanges(before, after, references);
  if (!changes.length) return <span className="muted">—</span>;
  return (
    <dl className="field-diff">
      {changes.map((c) => (
        <div key={c.field}>
          <dt>{c.field}</dt>
          <dd>
            {c.before !== undefined && <del>{c.before}</del>}
            {c.before !== undefined && c.after !== undefined && ' → '}
            {c.after !== undefined && <ins>{c.after}</ins>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The audit history: who changed what, when and how; filters, pages, CSV/JSON export. */
export function AuditPage() {
  const [draft, setDraft] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const [filters, setFilters] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    auditApi.page(auditQuery(filters, { limit: PAGE_SIZE, offset })).then(
      (p) => {
        if (!current) return;
        setPage(p);
        setError(null);
      },
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [filters, offset]);
  const exportQuery = auditQuery(filters);
  delete exportQuery.ordering;
  const field = (key: keyof AuditFilters, label: string, placeholder = '') => (
    <label>
      {label}
      <input aria-label={label} placeholder={placeholder} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} />
    </label>
  );
  return (
    <div className="page">
      <Header />
      <main className="content wide">
        <h1>Audit history</h1>
        <form
          className="filters audit-filters"
          onSubmit={(e) => {
            e.preventDefault();
            setOffset(0);
            setFilters(draft);
          }}
        >
          {field('user', 'User')}
          {field('object_type', 'Object type', 'jail')}
          {field('design', 'Design')}
          {field('host', 'Host')}
          <label>
            Action
            <select aria-label="Action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })}>
              {ACTIONS.map((a) => <option key={a} value={a}>{a || 'any'}</option>)}
            </select>
          </label>
          <label>
            Source
            <select aria-label="Source" value={draft.source} onChange={(e) => setDraft({ ...draft, source: e.target.value })}>
              {SOURCES.map((s) => <option key={s} value={s}>{s || 'any'}</option>)}
            </select>
          </label>
          <label>
            Since
            <input type="datetime-local" aria-label="Since" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
          </label>
          <label>
            Until
            <input type="datetime-local" aria-label="Until" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />
          </label>
          <button type="submit">Filter</button>
          <button type="button" onClick={() => { setDraft(NO_AUDIT_FILTERS); setFilters(NO_AUDIT_FILTERS); setOffset(0); }}>Clear</button>
          <span className="export">
            Export: <a href={withParams('/api/audit-entries/export/', { as: 'csv', ...exportQuery })} download>CSV</a>{' '}
            <a href={withParams('/api/audit-entries/export/', { as: 'json', ...exportQuery })} download>JSON</a>
          </span>
        </form>
        {error && <div className="form-error">{error}</div>}
        {page === null ? (
          <p>Loading…</p>
        ) : (
          <>
            <table className="grid audit" data-testid="audit-table">
              <thead>
                <tr><th>Time</th><th>User</th><th>Source</th><th>Action</th><th>Object</th><th>Design / host</th><th>Changes</th></tr>
              </thead>
              <tbody>
                {page.results.map((entry) => (
                  <tr key={entry.id} data-testid="audit-row">
                    <td className="nowrap">{new Date(entry.time).toLocaleString()}</td>
                    <td>{entry.user_name || <span className="muted">—</span>}</td>
                    <td>{entry.source}</td>
                    <td><span className={`tag action-${entry.action}`}>{entry.action}</span></td>
                    <td><span className="muted">{entry.object_type.split('.').pop()}</span> {entry.object_repr}</td>
                    <td>{entry.design_name}{entry.host_name ? ` / ${entry.host_name}` : ''}</td>
                    <td><FieldDiff before={entry.before} after={entry.after} references={entry.references} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="pager">
              <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>Newer</button>
              <span>
                {page.count ? `${offset + 1}–${Math.min(offset + PAGE_SIZE, page.count)} of ${page.count}` : 'No entries'}
              </span>
              <button disabled={offset + PAGE_SIZE >= page.count} onClick={() => setOffset(offset + PAGE_SIZE)}>Older</button>
            </div>
          </>
        )}
      </main>
    </div>
  );
}
