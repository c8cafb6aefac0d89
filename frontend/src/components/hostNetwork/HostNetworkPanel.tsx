import { useCallback, useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { hostNetworkApi, type FirewallPolicy, type HostNetwork } from '../../api/hostNetworkApi';
import { fkId } from '../../model/kinds';
import { useDesignStore } from '../../store/designStore';
import { designChanged } from './changed';
import { fieldErrorsOf } from './fieldErrors';
import { FirewallRules } from './FirewallRules';
import { StaticRoutes } from './StaticRoutes';

const IPFW_TYPES = ['open', 'client', 'simple', 'closed', 'workstation'] as const;

/**
 * A host's packet path in one view: its firewall (pf with its rules in order, or ipfw's rc.firewall type),
 * the NAT and port redirects that go into the same pf.conf, and its static routes.
 */
export function HostNetworkPanel({ hostId }: { hostId: number }) {
  const { objects, canEdit, revision, select } = useDesignStore(
    useShallow((s) => ({ objects: s.objects, canEdit: s.canEdit, revision: s.revision, select: s.select })),
  );
  const [data, setData] = useState<HostNetwork | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      setData(await hostNetworkApi.load(hostId));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [hostId]);
  // Read again after any change of the design (an undo, someone else's change, a reload).
  useEffect(() => {
    void reload();
  }, [reload, revision]);

  const nat = Object.values(objects.nat).filter((n) => fkId(n.host) === hostId);
  const redirects = Object.values(objects.redirect).filter((r) => fkId(r.host) === hostId);

  const writePolicy = async (work: () => Promise<FirewallPolicy>) => {
    try {
      await work();
      setError(null);
    } catch (e) {
      setError(Object.values(fieldErrorsOf(e)).flat().join(' '));
    }
    await reload();
    designChanged();
  };

  if (!data) return <section className="host-network">{error ? <div className="form-error">{error}</div> : <p className="muted">Loading firewall…</p>}</section>;
  const { policy, rules, routes } = data;
  const targetName = (r: (typeof redirects)[number]) => r.target_jail?.name ?? r.target_vm?.name ?? r.target_address ?? '?';

  return (
    <section className="host-network" data-testid="firewall-panel">
      <h4>Firewall</h4>
      {error && <div className="form-error" role="alert">{error}</div>}
      {!policy && (
        <div className="firewall-none">
          <p className="hint">No firewall on this host{nat.length || redirects.length ? ' (its NAT and redirects are written to pf.conf all the same)' : ''}.</p>
          {canEdit && (
            <>
              <button type="button" onClick={() => void writePolicy(() => hostNetworkApi.createPolicy({ host: hostId, engine: 'pf', default_block: true, antispoof: true }))}>
                Add pf firewall
              </button>{' '}
              <button type="button" onClick={() => void writePolicy(() => hostNetworkApi.createPolicy({ host: hostId, engine: 'ipfw', ipfw_type: 'client' }))}>
                Add ipfw firewall
              </button>
            </>
          )}
        </div>
      )}
      {policy && (
        <div className="firewall-policy" data-testid="firewall-policy">
          <div className="field-row">
            <label htmlFor="fw-engine">Engine</label>
            <select
              id="fw-engine"
              name="engine"
              value={policy.engine}
              disabled={!canEdit}
              onChange={(e) => void writePolicy(() => hostNetworkApi.updatePolicy(policy.id, { engine: e.target.value as FirewallPolicy['engine'], version: policy.version }))}
            >
              <option value="pf">pf</option>
              <option value="ipfw">ipfw</option>
            </select>
          </div>
          <div className="field-row">
            {(
              (policy.engine === 'pf'
                ? [
                    ['default_block', 'block by default'],
                    ['antispoof', 'antispoof'],
                    ['skip_loopback', 'skip lo0'],
                  ]
                : [['default_block', 'block by default']]) as [keyof FirewallPolicy, string][]
            ).map(([field, label]) => (
              <label key={field} className="inline">
                <input
                  type="checkbox"
                  name={field}
                  checked={Boolean(policy[field])}
                  disabled={!canEdit}
                  onChange={(e) => void writePolicy(() => hostNetworkApi.updatePolicy(policy.id, { [field]: e.target.checked, version: policy.version }))}
                />{' '}
                {label}
              </label>
            ))}
          </div>
          {policy.engine === 'ipfw' && (
            <div className="field-row">
              <label htmlFor="fw-ipfw-type">rc.firewall type</label>
              <select
                id="fw-ipfw-type"
                name="ipfw_type"
                value={policy.ipfw_type}
                disabled={!canEdit || rules.length > 0}
                onChange={(e) => void writePolicy(() => hostNetworkApi.updatePolicy(policy.id, { ipfw_type: e.target.value as FirewallPolicy['ipfw_type'], version: policy.version }))}
              >
                {IPFW_TYPES.map((t) => (
                  <option key={t} value={t}>{t}</option>
                ))}
              </select>
              <p className="hint">
                {rules.length
                  ? 'ipfw loads the rules below (/etc/ipfw.rules, the first match decides) instead of an rc.firewall type; "block by default" ends them with deny.'
                  : "Without rules of its own ipfw runs rc.firewall's rule set of this type; add rules to write your own (the first match decides)."}
              </p>
            </div>
          )}
          <FirewallRules policy={policy} rules={rules} canEdit={canEdit} reload={reload} />
        </div>
      )}
      <div className="translation" data-testid="firewall-translation">
        <h5>NAT and redirects</h5>
        {nat.length === 0 && redirects.length === 0 && <p className="hint">None. Add them from the palette while this host is selected.</p>}
        <ul>
          {nat.map((n) => (
            <li key={`nat-${n.id}`}>
              <button type="button" className="link" onClick={() => select({ kind: 'nat', id: n.id })}>
                <code>nat on {n.interface} from {n.source || 'any'} ({n.engine})</code>
              </button>
            </li>
          ))}
          {redirects.map((r) => (
            <li key={`rdr-${r.id}`} data-testid="firewall-redirect">
              <button type="button" className="link" onClick={() => select({ kind: 'redirect', id: r.id })}>
                <code>
                  rdr on {r.interface} proto {r.protocol} port {r.external_port} → {targetName(r)}:{r.target_port}
                </code>
              </button>
            </li>
          ))}
        </ul>
      </div>
      <StaticRoutes hostId={hostId} routes={routes} canEdit={canEdit} reload={reload} />
    </section>
  );
}
