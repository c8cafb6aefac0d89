import { useCallback, useEffect, useState } from 'react';
import { deploymentsApi, type Deployment, type DeploymentTarget } from '../api/deployApi';

const OUTCOME_TEXT: Record<string, string> = {
  pending: 'waiting',
  running: 'deploying…',
  deployed: 'deployed',
  unchanged: 'unchanged',
  failed: 'failed (nothing applied)',
  rolled_back: 'rolled back',
  unreachable: 'unreachable',
};

function verifyText(verify: unknown): string {
  if (!verify || typeof verify !== 'object' || !('ok' in verify)) return '';
  return (verify as { ok: boolean }).ok ? 'reachability check passed' : 'the reachability check found mismatches';
}

/** Deploy button (target, confirm timer) and the request's deployments with each host's outcome; polls while one
 * runs (the job page with its live log replaces the polling once jobs exist). */
export function DeploymentPanel({ requestId, canDeploy, onChanged }: { requestId: number; canDeploy: boolean; onChanged: () => void }) {
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [target, setTarget] = useState<DeploymentTarget>('lab');
  const [seconds, setSeconds] = useState(120);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(() => deploymentsApi.forRequest(requestId).then(setDeployments, (e: unknown) => setError(String(e))), [requestId]);
  const running = deployments.some((d) => !d.finished_at);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => void load().then(() => onChanged()), 1000);
    return () => window.clearInterval(timer);
  }, [running, load, onChanged]);
  const deploy = async () => {
    setBusy(true);
    setError(null);
    try {
      await deploymentsApi.create(requestId, target, seconds);
      await load();
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="deployments" data-testid="deployments">
      {canDeploy && (
        <div className="deploy-form">
          <label>To <select value={target} onChange={(e) => setTarget(e.target.value as DeploymentTarget)}>
            <option value="lab">the design’s lab</option>
            <option value="inventory">the registered hosts</option>
          </select></label>{' '}
          <label>rolled back unless confirmed within <input type="number" min={2} max={3600} value={seconds} onChange={(e) => setSeconds(Number(e.target.value))} /> s</label>{' '}
          <button className="primary" disabled={busy} onClick={() => void deploy()}>Deploy</button>
        </div>
      )}
      {error && <div className="form-error" role="alert">{error}</div>}
      {deployments.map((d) => (
        <div key={d.id} className="deployment" data-testid="deployment">
          <strong>Deployment {d.id}</strong> to {d.target === 'lab' ? 'the lab' : 'registered hosts'} by {d.requested_by_name}: <span data-testid="deployment-state">{d.state.replace('_', ' ')}</span>
          {d.message && <span className="muted"> ({d.message})</span>}
          {verifyText(d.verify) && <span> — {verifyText(d.verify)}</span>}
          <table className="deployment-hosts">
            <tbody>
              {d.hosts.map((h) => (
                <tr key={h.id} data-testid="deployment-host">
                  <td>{h.host_name}</td>
                  <td className={`outcome-${h.outcome}`}>{OUTCOME_TEXT[h.outcome] ?? h.outcome}</td>
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
