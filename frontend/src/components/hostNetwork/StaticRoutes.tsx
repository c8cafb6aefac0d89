import { useState, type FormEvent } from 'react';
import { hostNetworkApi, type StaticRoute } from '../../api/hostNetworkApi';
import { checkAddress, checkNetwork } from '../../model/checks';
import { designChanged } from './changed';
import { FieldErrors } from './FieldErrors';
import { fieldErrorsOf } from './fieldErrors';

const EMPTY = { name: '', destination: '', gateway: '', interface: '' };

/** A host's static routes (rc.conf `static_routes`): listed, added, deleted. */
export function StaticRoutes({ hostId, routes, canEdit, reload }: { hostId: number; routes: StaticRoute[]; canEdit: boolean; reload(): Promise<void> }) {
  const [draft, setDraft] = useState(EMPTY);
  const [errors, setErrors] = useState<Record<string, string[]>>({});

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const local: Record<string, string[]> = {};
    if (!/^[A-Za-z0-9_]+$/.test(draft.name)) local.name = ['Letters, digits and _ (route_<name> in rc.conf).'];
    const badDestination = checkNetwork(draft.destination);
    if (badDestination) local.destination = [badDestination];
    const badGateway = draft.gateway ? checkAddress(draft.gateway) : null;
    if (badGateway) local.gateway = [badGateway];
    if (!draft.gateway && !draft.interface) local.gateway = ['A gateway address or an interface.'];
    setErrors(local);
    if (Object.keys(local).length) return;
    try {
      await hostNetworkApi.createRoute({ host: hostId, ...draft });
      setDraft(EMPTY);
      await reload();
      designChanged();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  };

  const remove = async (route: StaticRoute) => {
    try {
      await hostNetworkApi.deleteRoute(route.id, route.version);
      await reload();
      designChanged();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  };

  const set = (field: keyof typeof EMPTY) => (value: string) => setDraft((d) => ({ ...d, [field]: value }));
  return (
    <section className="host-routes" data-testid="static-routes">
      <h4>Static routes</h4>
      {routes.length === 0 && <p className="hint">No static routes.</p>}
      <ul className="route-list">
        {routes.map((r) => (
          <li key={r.id} data-testid="static-route">
            <code>
              {r.name}: {r.destination} {r.gateway ? `via ${r.gateway}` : `-interface ${r.interface}`}
            </code>
            {canEdit && (
              <button type="button" className="link danger" aria-label={`Delete route ${r.name}`} onClick={() => void remove(r)}>
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {canEdit && (
        <form className="inline-create" onSubmit={add} aria-label="Add static route">
          {errors.non_field_errors && <div className="form-error">{errors.non_field_errors.join(' ')}</div>}
          {(['name', 'destination', 'gateway', 'interface'] as const).map((field) => (
            <div key={field} className="field">
              <label htmlFor={`route-${field}`}>{field[0].toUpperCase() + field.slice(1)}</label>
              <input
                id={`route-${field}`}
                name={field}
                value={draft[field]}
                placeholder={{ name: 'lan2', destination: '10.0.2.0/24', gateway: '192.168.0.254', interface: 'or em1' }[field]}
                onChange={(e) => set(field)(e.target.value)}
              />
              <FieldErrors errors={errors} field={field} />
            </div>
          ))}
          <button type="submit">Add route</button>
        </form>
      )}
    </section>
  );
}
