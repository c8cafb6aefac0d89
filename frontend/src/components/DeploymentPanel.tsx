import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { deploymentsApi, type Deployment, type DeploymentTarget } from '../api/deployApi';
import { inventoryApi, type HostMappingEntry, type ManagedHost } from '../api/inventoryApi';
import { JobView } from '../jobs/JobView';
import { allows } from '../model/roles';
import { useSessionStore } from '../store/sessionStore';

const OUTCOME_TEXT: Record<string, string> = {
  pending: 'waiting',
  running: 'deploying…',
  deployed: 'deployed',
  unchanged: 'unchanged',
  failed: 'failed (nothing applied)',
  rolled_back: 'ROLLED BACK',
  unreachable: 'unreachable',
  cancelled: 'cancelled (nothing applied)',
  interrupted: 'interrupted (old or new configuration)',
};
const RETRYABLE = new Set(['failed', 'rolled_back', 'unreachable', 'cancelled', 'interrupted', 'pending', 'running']);

function verifyText(verify: unknown): string {
  if (!verify || typeof verify !== 'object' || !('ok' in verify)) return '';
  return (verify as { ok: boolean }).ok ? 'reachability check passed' : 'the reachability check found mismatches';
}

function messageOf(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

/** Which registered host each host of the design is deployed to, with its key's state; operators change it. */
function HostMapping({ designId, canEdit }: { designId: number; canEdit: boolean }) {
  const [entries, setEntries] = useState<HostMappingEntry[] | null>(null);
  // null until loaded: a select drawn before its options would show "not mapped" for a mapped host
  const [hosts, setHosts] = useState<ManagedHost[] | null>(null);
  const [draft, setDraft] = useState<Record<string, number | null>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    inventoryApi.hostMapping(designId).then(setEntries, (e: unknown) => setError(messageOf(e)));
    inventoryApi.hosts().then(setHosts, () => setHosts([]));
  }, [designId]);
  if (!entries || !hosts) return error ? <div className="form-error" role="alert">{error}</div> : null;
  const value = (e: HostMappingEntry) => (e.host in draft ? draft[e.host] : e.managed_host);
  const save = async () => {
    setError(null);
    setSaved(false);
    try {
      setEntries(await inventoryApi.mapHosts(designId, draft));
      setDraft({});
      setSaved(true);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <div className="host-mapping" data-testid="host-mapping">
      <table>
        <thead><tr><th>Design host</th><th>Registered host</th><th>Host key</th></tr></thead>
        <tbody>
          {entries.map((e) => {
            const chosen = hosts.find((h) => h.id === value(e));
            const keyState = chosen ? chosen.host_key_state : '';
            return (
              <tr key={e.host} data-testid="host-mapping-row" data-host={e.host}>
                <td>{e.host}</td>
                <td>
                  <select aria-label={`Registered host of ${e.host}`} disabled={!canEdit} value={value(e) ?? ''}
                    onChange={(ev) => setDraft({ ...draft, [e.host]: ev.target.value ? Number(ev.target.value) : null })}>
                    <option value="">— not mapped —</option>
                    {hosts.map((h) => (
                      <option key={h.id} value={h.id}>{h.name} ({h.management_address}){h.host_key_state === 'pinned' ? '' : ` — key ${h.host_key_state}`}</option>
                    ))}
                  </select>
                </td>
                <td className={keyState === 'pinned' ? 'ok' : 'warning'}>
                  {chosen ? (keyState === 'pinned' ? 'pinned' : `${keyState}: pin it in the inventory before deploying`) : ''}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {canEdit && <button disabled={Object.keys(draft).length === 0} onClick={() => void save()}>Save mapping</button>}
      {saved && <span className="muted"> saved</span>}
      {error && <div className="form-error" role="alert">{error}</div>}
    </div>
  );
}

/** Deploy (to the design's lab, or to the registered hosts the design's hosts are mapped to), the deploy's job with
 * per-host progress and live log, each host's outcome ("rolled back" stands out), Retry failed hosts and Cancel. */
export function DeploymentPanel({ requestId, designId, canDeploy, onChanged }: { requestId: number; designId: number; canDeploy: boolean; onChanged: () => void }) {
  const me = useSessionStore((s) => s.me);
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [target, setTarget] = useState<DeploymentTarget>('lab');
  const [seconds, setSeconds] = useState(120);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(() => deploymentsApi.forRequest(requestId).then(setDeployments, (e: unknown) => setError(messageOf(e))), [requestId]);
  const running = deployments.some((d) => !d.finished_at);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => void load(), 1000);
    return () => window.clearInterval(timer);
  }, [running, load]);
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      await load();
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const jobEnded = useCallback(() => {
    void load().then(() => onChanged());
  }, [load, onChanged]);
  const latest = deployments[0];
  const canRetry = allows(me, 'deploy') && latest?.finished_at && latest.hosts.some((h) => RETRYABLE.has(h.outcome));
  return (
    <div className="deployments" data-testid="deployments">
      {canDeploy && (
        <div className="deploy-form">
          <label>To <select value={target} onChange={(e) => setTarget(e.target.value as DeploymentTarget)} aria-label="Deploy to">
            <option value="lab">this design’s lab</option>
            <option value="inventory">the registered hosts mapped below</option>
          </select></label>{' '}
          <label>rolled back unless confirmed within <input type="number" min={2} max={3600} value={seconds} onChange={(e) => setSeconds(Number(e.target.value))} /> s</label>{' '}
          <button className="primary" disabled={busy} onClick={() => void act(() => deploymentsApi.create(requestId, target, seconds))}>Deploy</button>
          {target === 'inventory' && <HostMapping designId={designId} canEdit={allows(me, 'edit_inventory')} />}
        </div>
      )}
      {error && <div className="form-error" role="alert" data-testid="deploy-error">{error}</div>}
      {latest?.job && <JobView key={latest.job} jobId={latest.job} onEnded={jobEnded} compact />}
      {canRetry && (
        <button disabled={busy} data-testid="deploy-retry" onClick={() => void act(() => deploymentsApi.retry(latest.id))}>Retry failed hosts</button>
      )}
      {deployments.map((d) => (
        <div key={d.id} className="deployment" data-testid="deployment" data-deployment={d.id}>
          <strong>Deployment {d.id}</strong> to {d.target === 'lab' ? 'the lab' : 'registered hosts'} by {d.requested_by_name}: <span data-testid="deployment-state">{d.state.replace('_', ' ')}</span>
          {d.message && <span className="muted"> ({d.message})</span>}
          {verifyText(d.verify) && <span> — {verifyText(d.verify)}</span>}
          <table className="deployment-hosts">
            <tbody>
              {d.hosts.map((h) => (
                <tr key={h.id} data-testid="deployment-host" data-host={h.host_name} data-outcome={h.outcome}>
                  <td>{h.host_name}</td>
                  <td className={`outcome-${h.outcome}`}>{h.outcome === 'rolled_back' ? <strong>{OUTCOME_TEXT[h.outcome]}</strong> : (OUTCOME_TEXT[h.outcome] ?? h.outcome)}</td>
                  <td>{h.reason}</td>
                  <td className="muted">{(h.changes as string[]).length ? `${(h.changes as string[]).length} change(s)` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </div>
  );
}
