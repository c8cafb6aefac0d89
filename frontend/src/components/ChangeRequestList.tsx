import { useEffect, useState } from 'react';
import { changeRequestsApi } from '../api/changeApi';
import type { ChangeRequest } from '../api/types';
import { CHANGE_REQUEST_STATES, changeRequestQuery, NO_CHANGE_REQUEST_FILTERS, stateLabel, type ChangeRequestFilters } from '../model/changes';
import { useNotificationStore } from '../store/notificationStore';
import { StateBadge } from './ChangeRequestPage';
import { Header } from './Header';

/** Change requests with filters: mine, waiting for my review, states, design. */
export function ChangeRequestList() {
  const [filters, setFilters] = useState<ChangeRequestFilters>(NO_CHANGE_REQUEST_FILTERS);
  const [requests, setRequests] = useState<ChangeRequest[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lastEvent = useNotificationStore((s) => s.lastEvent);
  useEffect(() => {
    let current = true;
    changeRequestsApi.list(changeRequestQuery(filters)).then(
      (list) => {
        if (!current) return;
        setRequests(list);
        setError(null);
      },
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [filters, lastEvent]);
  const toggleState = (state: string) =>
    setFilters((f) => ({ ...f, states: f.states.includes(state) ? f.states.filter((s) => s !== state) : [...f.states, state] }));
  return (
    <div className="page">
      <Header />
      <main className="content wide">
        <h1>Change requests</h1>
        <div className="filters" data-testid="cr-filters">
          <label><input type="checkbox" checked={filters.mine} onChange={(e) => setFilters({ ...filters, mine: e.target.checked })} /> Mine</label>
          <label><input type="checkbox" checked={filters.waitingForMe} onChange={(e) => setFilters({ ...filters, waitingForMe: e.target.checked })} /> Waiting for my review</label>
          <input aria-label="Design" placeholder="design name" value={filters.design} onChange={(e) => setFilters({ ...filters, design: e.target.value })} />
          <span className="state-filters">
            {CHANGE_REQUEST_STATES.map((state) => (
              <label key={state} className="chip">
                <input type="checkbox" checked={filters.states.includes(state)} onChange={() => toggleState(state)} /> {stateLabel(state)}
              </label>
            ))}
          </span>
        </div>
        {error && <div className="form-error">{error}</div>}
        {requests === null ? (
          <p>Loading…</p>
        ) : requests.length === 0 ? (
          <p className="muted" data-testid="no-requests">No change request matches.</p>
        ) : (
          <table className="grid" data-testid="cr-list">
            <thead>
              <tr><th>Design</th><th>#</th><th>Title</th><th>Author</th><th>State</th><th>Approvals</th><th>Changed hosts</th><th>Created</th></tr>
            </thead>
            <tbody>
              {requests.map((r) => (
                <tr key={r.id} data-testid="cr-row">
                  <td><a href={`#/designs/${r.design}`}>{r.design_name}</a></td>
                  <td>{r.number}</td>
                  <td><a href={`#/change-requests/${r.id}`}>{r.title}</a></td>
                  <td>{r.author}</td>
                  <td><StateBadge state={r.state} /> {r.stale && <span className="tag stale">stale</span>}</td>
                  <td>{r.approvals_count}/{r.required_approvals}</td>
                  <td>{r.changed_hosts}</td>
                  <td className="muted">{new Date(r.created).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
    </div>
  );
}
