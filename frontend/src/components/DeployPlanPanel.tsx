import { useCallback, useEffect, useState } from 'react';
import type { DeploymentTarget } from '../api/deployApi';
import { ENDED_STATES, type Job } from '../api/jobApi';
import { plansApi, plansOf, type HostPlan, type PlanCategory } from '../api/planApi';

/** The plan's categories in the order an approver reads them, in their words. */
const CATEGORIES: readonly [PlanCategory, string][] = [
  ['interfaces_created', 'interfaces created'],
  ['interfaces_destroyed', 'interfaces destroyed'],
  ['members_added', 'bridge members added'],
  ['members_removed', 'bridge members removed'],
  ['addresses_added', 'addresses added'],
  ['addresses_removed', 'addresses removed'],
  ['restarts', 'jails, VMs and services (re)started or stopped'],
  ['firewall', 'firewall'],
  ['routes', 'routes'],
  ['files', 'files'],
  ['other', 'other'],
];

function HostPlanView({ plan }: { plan: HostPlan }) {
  return (
    <div className="host-plan" data-testid="host-plan" data-host={plan.host}>
      <h4>
        {plan.host}{' '}
        <span className="muted" data-testid="host-plan-summary">
          {plan.error ? 'no plan' : plan.unchanged ? 'nothing would change' : ''}
        </span>
      </h4>
      {plan.error && <div className="form-error" role="alert">{plan.error}</div>}
      {plan.warnings.length > 0 && (
        <ul className="plan-warnings" data-testid="plan-warnings">
          {plan.warnings.map((w) => (
            <li key={w} className="warning">Management path: {w}</li>
          ))}
        </ul>
      )}
      {CATEGORIES.filter(([key]) => (plan.actions[key] ?? []).length > 0).map(([key, label]) => (
        <div key={key} className="plan-category" data-testid={`plan-${key}`}>
          <strong>{label}</strong>
          <ul>
            {(plan.actions[key] ?? []).map((action) => (
              <li key={action}>{action}</li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}

/** "Plan" for an approver or operator: what a deploy of the request would do on each host against its live state
 * (a worker's job; nothing changes on the hosts), with the management-path warnings. Shows the latest plan. */
export function DeployPlanPanel({ requestId, canPlan }: { requestId: number; canPlan: boolean }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [target, setTarget] = useState<DeploymentTarget>('lab');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(
    () => plansApi.forRequest(requestId).then(setJobs, (e: unknown) => setError(e instanceof Error ? e.message : String(e))),
    [requestId],
  );
  const latest = jobs[0];
  const running = latest !== undefined && !ENDED_STATES.has(latest.state);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => void load(), 1000);
    return () => window.clearInterval(timer);
  }, [running, load]);
  const plan = async () => {
    setBusy(true);
    setError(null);
    try {
      await plansApi.create(requestId, target);
      await load();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="deploy-plan" data-testid="deploy-plan">
      {canPlan && (
        <div className="deploy-form">
          <label>
            Plan against{' '}
            <select value={target} onChange={(e) => setTarget(e.target.value as DeploymentTarget)} aria-label="plan target">
              <option value="lab">the design’s lab</option>
              <option value="inventory">the registered hosts</option>
            </select>
          </label>{' '}
          <button disabled={busy || running} onClick={() => void plan()} data-testid="plan-button">
            Plan
          </button>
        </div>
      )}
      {error && <div className="form-error" role="alert">{error}</div>}
      {latest && (
        <div className="plan-job">
          <strong>Plan {latest.id}</strong> by {latest.requested_by_name}:{' '}
          <span data-testid="plan-state">{running ? 'planning…' : latest.state}</span>
          {latest.message && <span className="muted"> ({latest.message})</span>}
          {plansOf(latest).map((p) => (
            <HostPlanView key={p.host} plan={p} />
          ))}
        </div>
      )}
    </div>
  );
}
