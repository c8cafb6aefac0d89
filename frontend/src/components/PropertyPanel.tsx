import { useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ApiError } from '../api/client';
import { checkAddress, checkInterfaceAddress, checkMac } from '../model/checks';
import { displayName, fkId, LABELS, type AnyObject, type Kind } from '../model/kinds';
import { nextFreeAddress } from '../model/addressPlan';
import { planReservation, reservationAddress } from '../model/palette';
import { useConfirmStore } from '../store/confirmStore';
import { useDesignStore } from '../store/designStore';
import { AddressPlanView } from './AddressPlanView';
import { DesignSettings } from './DesignSettings';
import { HostNetworkPanel } from './hostNetwork/HostNetworkPanel';
import { ObjectsForm, type FormSection } from './ObjectsForm';

export function askDelete(kind: Kind, obj: AnyObject) {
  const consequences: Partial<Record<Kind, string>> = {
    host: 'Its interfaces, switches, jails, VMs and services are deleted with it.',
    jail: 'Its NICs and addresses are deleted with it.',
    vm: 'Its NICs are deleted with it.',
    vxlanSegment: 'Every host’s member interface of the segment is deleted with it.',
    dhcpService: 'Its reservations are deleted with it.',
  };
  useConfirmStore.getState().ask({
    title: `Delete ${LABELS[kind]}`,
    message: `Delete ${LABELS[kind].toLowerCase()} “${displayName(kind, obj)}”? ${consequences[kind] ?? ''} You can undo this.`,
    confirmLabel: 'Delete',
    onConfirm: () => void useDesignStore.getState().deleteObject(kind, obj.id),
  });
}

/** An editable form for one object: client checks as you type, the server's field errors after saving. */
export function ObjectForm({ kind, obj, title }: { kind: Kind; obj: AnyObject; title?: string }) {
  return <ObjectsForm sections={[{ kind, obj, title }]} actions={<DeleteButton kind={kind} obj={obj} />} />;
}

function DeleteButton({ kind, obj }: { kind: Kind; obj: AnyObject }) {
  return (
    <button type="button" className="danger" onClick={() => askDelete(kind, obj)}>
      Delete
    </button>
  );
}

/** Keyed by object: the form follows the object's new versions itself (see ObjectsForm). */
function Form({ kind, obj, title }: { kind: Kind; obj: AnyObject; title?: string }) {
  return <ObjectForm key={`${kind}-${obj.id}`} kind={kind} obj={obj} title={title} />;
}

/** A VNET jail and its NICs: one form, one Save. */
function JailWithNics({ jail }: { jail: AnyObject }) {
  const objects = useDesignStore((s) => s.objects);
  const nics = Object.values(objects.jailNic)
    .filter((n) => n.jail.id === jail.id)
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
  const sections: FormSection[] = [{ kind: 'jail', obj: jail }, ...nics.map((nic) => ({ kind: 'jailNic' as const, obj: nic, title: `NIC ${nic.name} on ${nic.switch.name}` }))];
  return <ObjectsForm key={sections.map((s) => `${s.kind}-${s.obj.id}`).join(',')} sections={sections} actions={<DeleteButton kind="jail" obj={jail} />} />;
}

function InlineCreate({ label, fields, onCreate }: { label: string; fields: { name: string; label: string; placeholder: string; check?: (v: string) => string | null; initial?: string }[]; onCreate(values: Record<string, string>): Promise<Record<string, string[]> | null> }) {
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(fields.map((f) => [f.name, f.initial ?? ''])));
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const local: Record<string, string[]> = {};
    for (const f of fields) {
      const message = !values[f.name] ? 'This field is required.' : f.check?.(values[f.name]);
      if (message) local[f.name] = [message];
    }
    setErrors(local);
    if (Object.keys(local).length) return;
    const server = await onCreate(values);
    if (server) setErrors(server);
    else setValues(Object.fromEntries(fields.map((f) => [f.name, f.initial ?? ''])));
  };
  return (
    <form className="inline-create" onSubmit={submit} aria-label={label}>
      <h4>{label}</h4>
      {fields.map((f) => (
        <div key={f.name} className="field">
          <label htmlFor={`new-${label}-${f.name}`}>{f.label}</label>
          <input id={`new-${label}-${f.name}`} name={f.name} placeholder={f.placeholder} value={values[f.name]} onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))} />
          {errors[f.name] && <div className="field-error">{errors[f.name].join(' ')}</div>}
        </div>
      ))}
      {errors.non_field_errors && <div className="form-error">{errors.non_field_errors.join(' ')}</div>}
      <button type="submit">Add</button>
    </form>
  );
}

async function createWithErrors(kind: Kind, data: Record<string, unknown>): Promise<Record<string, string[]> | null> {
  try {
    const created = await useDesignStore.getState().createObject(kind, data);
    return created ? null : { non_field_errors: [useDesignStore.getState().error ?? 'Not saved.'] };
  } catch (error) {
    return error instanceof ApiError ? error.fieldErrors : { non_field_errors: [String(error)] };
  }
}

/** Objects that belong to the selected one and have no node of their own: NICs, addresses, leases, members. */
function Related({ kind, obj }: { kind: Kind; obj: AnyObject }) {
  const { objects, canEdit, select, updateObject, createObject, setError } = useDesignStore(
    useShallow((s) => ({ objects: s.objects, canEdit: s.canEdit, select: s.select, updateObject: s.updateObject, createObject: s.createObject, setError: s.setError })),
  );
  if (kind === 'jail') {
    const jail = objects.jail[obj.id];
    if (jail.type === 'vnet') {
      // Its NICs are edited in the jail's own form (one Save); see JailWithNics.
      const nics = Object.values(objects.jailNic).filter((n) => n.jail.id === jail.id);
      return (
        <section className="related">
          {nics.length === 0 && canEdit && <p className="hint">Connect the jail to a switch to give it a NIC.</p>}
        </section>
      );
    }
    const addresses = Object.values(objects.jailAddress).filter((a) => a.jail.id === jail.id);
    const firstInterface = Object.values(objects.interface).find((i) => fkId(i.host) === fkId(jail.host));
    return (
      <section className="related">
        {addresses.map((a) => (
          <Form key={a.id} kind="jailAddress" obj={a} title={`Address ${a.interface_name ?? ''}|${a.address}`} />
        ))}
        {canEdit && (
          <InlineCreate
            label="Add address"
            fields={[
              { name: 'interface_name', label: 'Interface', placeholder: 'em0.101', initial: firstInterface?.name ?? '' },
              { name: 'address', label: 'Address', placeholder: '10.1.1.2/32', check: (v) => (v.includes('/') ? checkInterfaceAddress(v) : checkAddress(v)) },
            ]}
            onCreate={(v) => createWithErrors('jailAddress', { jail: jail.id, interface_name: v.interface_name, address: v.address.includes('/') ? v.address : `${v.address}/32`, index: addresses.length })}
          />
        )}
      </section>
    );
  }
  if (kind === 'vm') {
    const nics = Object.values(objects.vmNic).filter((n) => n.vm.id === obj.id);
    return (
      <section className="related">
        {nics.length === 0 && canEdit && <p className="hint">Connect the VM to a switch to give it a NIC.</p>}
        {nics.map((nic) => {
          const hasDhcp = Object.values(objects.dhcpService).some((d) => d.switch.id === nic.switch.id);
          const reserved = nic.mac && Object.values(objects.dhcpLease).find((l) => l.mac.toLowerCase() === nic.mac!.toLowerCase());
          return (
            <div key={nic.id}>
              <Form kind="vmNic" obj={nic} title={`NIC ${nic.index ?? 0} on ${nic.switch.name}`} />
              {reserved && <p className="hint" data-testid="reservation">DHCP reservation: {reserved.mac} → {reserved.address}</p>}
              {canEdit && hasDhcp && !reserved && (
                <button
                  type="button"
                  data-testid="reserve-dhcp"
                  title="The address comes from the switch's address plan: the NIC's own when it is free, else the next free one outside the DHCP range"
                  onClick={async () => {
                    const plan = planReservation(objects, nic.id);
                    if (!plan.ok) return setError(plan.reason);
                    try {
                      if (await updateObject('vmNic', nic.id, plan.nicChanges)) await createObject('dhcpLease', plan.lease, 'add DHCP reservation');
                    } catch (error) {
                      setError(error instanceof Error ? error.message : String(error));
                    }
                  }}
                >
                  Reserve {reservationAddress(objects, nic.id) ?? 'an address'} by DHCP
                </button>
              )}
            </div>
          );
        })}
      </section>
    );
  }
  if (kind === 'switch') {
    const dhcp = Object.values(objects.dhcpService).find((d) => d.switch.id === obj.id);
    const ports = Object.values(objects.switchPort).filter((p) => p.switch.id === obj.id);
    const members = Object.values(objects.vxlanMember).filter((m) => m.switch?.id === obj.id);
    return (
      <section className="related">
        {dhcp ? (
          <button type="button" className="link" onClick={() => select({ kind: 'dhcpService', id: dhcp.id })}>
            DHCP {dhcp.range_start}–{dhcp.range_end}
          </button>
        ) : (
          canEdit && <p className="hint">Add DHCP from the palette while this switch is selected.</p>
        )}
        {ports.length > 0 && <p>Ports: {ports.map((p) => p.interface.name).join(', ')}</p>}
        {members.length > 0 && <p>VXLAN: {members.map((m) => `${m.interface_name} (${m.segment.name})`).join(', ')}</p>}
        <AddressPlanView switchId={obj.id} />
      </section>
    );
  }
  if (kind === 'dhcpService') {
    const leases = Object.values(objects.dhcpLease).filter((l) => l.service.id === obj.id);
    return (
      <section className="related">
        {leases.map((lease) => (
          <Form key={lease.id} kind="dhcpLease" obj={lease} title={`Reservation ${lease.hostname || lease.mac}`} />
        ))}
        {canEdit && (
          <InlineCreate
            // A new form (with the new next free address) after each reservation.
            key={`reservation-${leases.length}`}
            label="Add reservation"
            fields={[
              { name: 'mac', label: 'MAC', placeholder: '58:9c:fc:00:00:01', check: checkMac },
              { name: 'address', label: 'Address', placeholder: '10.1.1.10', check: checkAddress, initial: nextFreeAddress(objects, objects.dhcpService[obj.id]?.switch.id ?? -1)?.split('/')[0] ?? '' },
              { name: 'hostname', label: 'Host name', placeholder: 'guest-a' },
            ]}
            onCreate={(v) => createWithErrors('dhcpLease', { service: obj.id, ...v })}
          />
        )}
      </section>
    );
  }
  if (kind === 'vxlanSegment') {
    const members = Object.values(objects.vxlanMember).filter((m) => m.segment.id === obj.id);
    return (
      <section className="related">
        {members.length === 0 && <p className="hint">Connect the segment to a switch on each host it spans.</p>}
        {members.map((m) => (
          <Form key={m.id} kind="vxlanMember" obj={m} title={`Member ${m.interface_name} on ${m.host.name}`} />
        ))}
      </section>
    );
  }
  return null;
}

/** The selected object's properties and the objects that belong to it. */
export function PropertyPanel() {
  const { selection, objects, design, canEdit } = useDesignStore(
    useShallow((s) => ({ selection: s.selection, objects: s.objects, design: s.design, canEdit: s.canEdit })),
  );
  const obj = selection ? (objects[selection.kind] as Record<number, AnyObject>)[selection.id] : undefined;
  if (!selection || !obj)
    return (
      <div className="panel-empty">
        <p>
          Select something on the canvas to edit it. {design ? `Design “${design.name}”.` : ''}
        </p>
        <p className="hint">
          Add a jailhost from the palette, then interfaces, a switch, jails and VMs inside it. Drag from a jail or VM to a switch to
          attach it (or drop a VNET jail or VM right on a switch); from a VXLAN segment to switches on several hosts to stretch it.
        </p>
        {design && <DesignSettings key={`${design.id}-${design.version}`} design={design} canEdit={canEdit} />}
      </div>
    );
  const vnetJail = selection.kind === 'jail' && objects.jail[selection.id]?.type === 'vnet';
  return (
    <div className="property-panel">
      {vnetJail ? <JailWithNics key={`jail-${obj.id}`} jail={obj} /> : <Form kind={selection.kind} obj={obj} />}
      <Related kind={selection.kind} obj={obj} />
      {selection.kind === 'host' && <HostNetworkPanel key={obj.id} hostId={obj.id} />}
    </div>
  );
}
