import { useShallow } from 'zustand/react/shallow';
import { addressPlan, nextFreeAddress } from '../model/addressPlan';
import { useDesignStore } from '../store/designStore';

/** A switch's subnet at a glance: which addresses are used and by what, how many are free, the next free one. */
export function AddressPlanView({ switchId }: { switchId: number }) {
  const { objects, select } = useDesignStore(useShallow((s) => ({ objects: s.objects, select: s.select })));
  const plan = addressPlan(objects, switchId);
  if (!plan) return <p className="hint">Give the switch an address with a prefix (10.1.1.1/24) to see its address plan.</p>;
  const next = nextFreeAddress(objects, switchId);
  const jumpTo = (kind: string, id: number) => {
    if (kind === 'jailNic') select({ kind: 'jail', id: objects.jailNic[id].jail.id });
    else if (kind === 'vmNic') select({ kind: 'vm', id: objects.vmNic[id].vm.id });
    else if (kind === 'dhcpLease') select({ kind: 'dhcpService', id: objects.dhcpLease[id].service.id });
  };
  return (
    <section className="address-plan" data-testid="address-plan">
      <h4>Address plan of {plan.subnet}</h4>
      <p className="muted" data-testid="address-plan-summary">
        {plan.used.length} used, {plan.free} free of {plan.size}
        {plan.dhcpRange && `, DHCP range ${plan.dhcpRange.start}–${plan.dhcpRange.end}`}
        {next && `; next free ${next.split('/')[0]}`}
      </p>
      <table className="address-table">
        <tbody>
          {plan.used.map((u) => (
            <tr key={`${u.kind}-${u.id}`}>
              <td><code>{u.address}</code></td>
              <td>
                {u.kind === 'switch' ? (
                  u.holder
                ) : (
                  <button type="button" className="link" onClick={() => jumpTo(u.kind, u.id)}>
                    {u.holder}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
