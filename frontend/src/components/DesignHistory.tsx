import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { revisionsApi } from '../api/changeApi';
import { designsApi } from '../api/designApi';
import type { Design, Revision, RevisionDetail, RevisionDiff } from '../api/types';
import { canEditDesigns, useSessionStore } from '../store/sessionStore';
import { Header } from './Header';
import { SideBySideDiff } from './SideBySideDiff';

/** A design's deployed revisions: read one's document, diff two, restore one as a draft change request. */
export function DesignHistory({ designId }: { designId: number }) {
  const me = useSessionStore((s) => s.me);
  const [design, setDesign] = useState<Design | null>(null);
  const [revisions, setRevisions] = useState<Revision[] | null>(null);
  const [shown, setShown] = useState<RevisionDetail | null>(null);
  const [pair, setPair] = useState<{ from: number | null; to: number | null }>({ from: null, to: null });
  const [diff, setDiff] = useState<RevisionDiff | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    designsApi.get(designId).then(setDesign, () => undefined);
    revisionsApi.list(designId).then(setRevisions, (e: Error) => setError(e.message));
  }, [designId]);

  const compare = async () => {
    if (pair.from === null || pair.to === null || pair.from === pair.to) return;
    setShown(null);
    try {
      setDiff(await revisionsApi.diff(pair.to, pair.from));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const restore = async (revision: Revision) => {
    if (!window.confirm(`Make ${design?.name ?? 'the design'} equal revision ${revision.number} again? A draft change request is opened for it.`)) return;
    try {
      const request = await revisionsApi.restore(revision.id);
      window.location.hash = `#/change-requests/${request.id}`;
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  return (
    <div className="page">
      <Header>
        <a href="#/">Designs</a> / <a href={`#/designs/${designId}`}>{design?.name ?? '…'}</a> / <strong>History</strong>
      </Header>
      <main className="content wide" data-testid="design-history">
        <h1>History of {design?.name ?? '…'}</h1>
        <p className="muted">Every deployed change request is a revision. <a href={`#/change-requests`}>Change requests</a> of all designs.</p>
        {error && <div className="form-error" role="alert">{error}</div>}
        {revisions === null ? (
          <p>Loading…</p>
        ) : revisions.length === 0 ? (
          <p className="muted" data-testid="no-revisions">Nothing deployed yet: no revision.</p>
        ) : (
          <>
            <table className="grid" data-testid="revisions">
              <thead>
                <tr><th>From</th><th>To</th><th>Revision</th><th>Deployed</th><th>By</th><th>Change request</th><th /></tr>
              </thead>
              <tbody>
                {revisions.map((r) => (
                  <tr key={r.id}>
                    <td><input type="radio" name="from" aria-label={`from ${r.number}`} checked={pair.from === r.id} onChange={() => setPair({ ...pair, from: r.id })} /></td>
                    <td><input type="radio" name="to" aria-label={`to ${r.number}`} checked={pair.to === r.id} onChange={() => setPair({ ...pair, to: r.id })} /></td>
                    <td>{r.number} <code className="muted">{r.content_hash.slice(0, 10)}</code></td>
                    <td>{new Date(r.created).toLocaleString()}</td>
                    <td>{r.created_by}</td>
                    <td>{r.change_request ? <a href={`#/change-requests/${r.change_request}`}>request</a> : '—'}</td>
                    <td className="nowrap">
                      <button onClick={() => { setDiff(null); revisionsApi.get(r.id).then(setShown, (e: Error) => setError(e.message)); }}>View</button>{' '}
                      {canEditDesigns(me) && <button onClick={() => void restore(r)}>Restore</button>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <button disabled={pair.from === null || pair.to === null || pair.from === pair.to} onClick={() => void compare()}>Compare</button>
          </>
        )}
        {shown && (
          <section>
            <h2>Revision {shown.number}</h2>
            <pre className="document" data-testid="revision-document">{shown.document}</pre>
          </section>
        )}
        {diff && (
          <section data-testid="revision-diff">
            <h2>Revision {diff.from_revision} → {diff.to_revision}</h2>
            <h3>Design document</h3>
            <SideBySideDiff diff={diff.document} label="design document (YAML)" leftTitle={`revision ${diff.from_revision}`} rightTitle={`revision ${diff.to_revision}`} />
            {diff.hosts.map((h) => {
              const host = h as { host_name: string; diff: string };
              return (
                <div key={host.host_name}>
                  <h3>{host.host_name}</h3>
                  <SideBySideDiff diff={host.diff} hostName={host.host_name} leftTitle={`revision ${diff.from_revision}`} rightTitle={`revision ${diff.to_revision}`} />
                </div>
              );
            })}
          </section>
        )}
      </main>
    </div>
  );
}
