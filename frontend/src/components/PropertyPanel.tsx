import { useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ApiError } from '../api/client';
import { checkAddress, checkInterfaceAddress, checkMac } from '../model/checks';
import { displayName, FIELDS, fkId, LABELS, type AnyObject, type FieldDef, type Kind, type Objects } from '../model/kinds';
import { planReservation } from '../model/palette';
import { hostIdOf } from '../model/selection';
import { useConfirmStore } from '../store/confirmStore';
import { useDesignStore } from '../store/designStore';

type DraftValue = string | boolean | number | null;
type Draft = Record<string, DraftValue>;

function toDraft(fields: FieldDef[], obj: AnyObject): Draft {
  const record = obj as unknown as Record<string, unknown>;
  return Object.fromEntries(
    fields.map((f) => {
      const value = record[f.name];
      if (f.type === 'bool') return [f.name, Boolean(value)];
      if (f.type === 'ref') return [f.name, fkId(value)];
      return [f.name, value === null || value === undefined ? '' : String(value)];
    }),
  );
}

/** Only what the user changed, in the API's types ('' is null for numbers and references). */
export function changesOf(fields: FieldDef[], original: Draft, draft: Draft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (draft[f.name] === original[f.name]) continue;
    const value = draft[f.name];
    if (f.type === 'number') out[f.name] = value === '' ? null : Number(value);
    else out[f.name] = value;
  }
  return out;
}

export function clientErrors(fields: FieldDef[], draft: Draft): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of fields) {
    if (f.when && !f.when(draft)) continue;
    const value = draft[f.name];
    if (f.required && (value === '' || value === null)) out[f.name] = ['This field is required.'];
    else if (f.check && typeof value === 'string') {
      const message = f.check(value.trim());
      if (message) out[f.name] = [message];
    }
  }
  return out;
}

function refCandidates(objects: Objects, field: FieldDef, owner: AnyObject, ownerKind: Kind): { id: number; name: string }[] {
  if (!field.refKind) return [];
  const hostId = hostIdOf(objects, { kind: ownerKind, id: owner.id });
  const list = Object.values(objects[field.refKind] as Record<number, AnyObject>).filter((candidate) => {
    if (ownerKind === 'interface' && candidate.id === owner.id) return false;
    return hostId === null || hostIdOf(objects, { kind: field.refKind!, id: candidate.id }) === hostId;
  });
  return list.map((c) => ({ id: c.id, name: displayName(field.refKind!, c) })).sort((a, b) => a.name.localeCompare(b.name));
}

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
  const { canEdit, objects, updateObject } = useDesignStore(
    useShallow((s) => ({ canEdit: s.canEdit, objects: s.objects, updateObject: s.updateObject })),
  );
  const fields = FIELDS[kind];
  const [original] = useState(() => toDraft(fields, obj));
  const [draft, setDraft] = useState(original);
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  const [saving, setSaving] = useState(false);
  const visible = fields.filter((f) => !f.when || f.when(draft));
  const local = clientErrors(fields, draft);
  const changes = changesOf(fields, original, draft);
  const dirty = Object.keys(changes).length > 0;
  const formId = `${kind}-${obj.id}`;
  const known = new Set(visible.map((f) => f.name));
  const otherErrors = Object.entries(serverErrors).filter(([field]) => !known.has(field));

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!dirty || Object.keys(local).length) return;
    setSaving(true);
    try {
      const saved = await updateObject(kind, obj.id, changes);
      if (saved) setServerErrors({});
    } catch (error) {
      if (error instanceof ApiError) setServerErrors(error.fieldErrors);
      else setServerErrors({ non_field_errors: [String(error)] });
    } finally {
      setSaving(false);
    }
  };

  const set = (name: string, value: DraftValue) => {
    setDraft((d) => ({ ...d, [name]: value }));
    setServerErrors((e) => {
      const next = { ...e };
      delete next[name];
      return next;
    });
  };

  return (
    <form className="object-form" onSubmit={save} data-testid={`form-${kind}`} aria-label={`${LABELS[kind]} ${displayName(kind, obj)}`}>
      <h3>
        {title ?? `${LABELS[kind]} ${displayName(kind, obj)}`} <span className="muted version">v{obj.version}</span>
      </h3>
      {otherErrors.map(([field, messages]) => (
        <div key={field} className="form-error" role="alert">
          {field === 'non_field_errors' ? '' : `${field}: `}
          {messages.join(' ')}
        </div>
      ))}
      {visible.map((f) => {
        const id = `${formId}-${f.name}`;
        const errors = serverErrors[f.name] ?? local[f.name];
        const value = draft[f.name];
        let input;
        if (f.type === 'bool')
          input = <input id={id} name={f.name} type="checkbox" checked={Boolean(value)} disabled={!canEdit} onChange={(e) => set(f.name, e.target.checked)} />;
        else if (f.type === 'select')
          input = (
            <select id={id} name={f.name} value={String(value)} disabled={!canEdit} onChange={(e) => set(f.name, e.target.value)}>
              {f.choices!.map((c) => (
                <option key={c} value={c}>{c}</option>
              ))}
            </select>
          );
        else if (f.type === 'ref')
          input = (
            <select id={id} name={f.name} value={value === null ? '' : String(value)} disabled={!canEdit} onChange={(e) => set(f.name, e.target.value ? Number(e.target.value) : null)}>
              <option value="">—</option>
              {refCandidates(objects, f, obj, kind).map((c) => (
                <option key={c.id} value={c.id}>{c.name}</option>
              ))}
            </select>
          );
        else
          input = (
            <input
              id={id}
              name={f.name}
              type="text"
              inputMode={f.type === 'number' ? 'numeric' : undefined}
              value={String(value)}
              placeholder={f.help}
              readOnly={!canEdit}
              aria-invalid={errors ? true : undefined}
              onChange={(e) => set(f.name, e.target.value)}
            />
          );
        return (
          <div key={f.name} className={`field ${f.type === 'bool' ? 'bool' : ''} ${errors ? 'invalid' : ''}`}>
            <label htmlFor={id}>{f.label}</label>
            {input}
            {errors && (
              <div className="field-error" data-testid={`error-${f.name}`}>
                {errors.join(' ')}
              </div>
            )}
          </div>
        );
      })}
      {canEdit && (
        <div className="form-buttons">
          <button type="submit" disabled={!dirty || saving || Object.keys(local).length > 0}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" disabled={!dirty} onClick={() => { setDraft(original); setServerErrors({}); }}>
            Reset
          </button>
          <button type="button" className="danger" onClick={() => askDelete(kind, obj)}>
            Delete
          </button>
        </div>
      )}
    </form>
  );
}

/** Keyed by version: after a save or a reload the form starts again from the server's object. */
function Form({ kind, obj, title }: { kind: Kind; obj: AnyObject; title?: string }) {
  return <ObjectForm key={`${kind}-${obj.id}-${obj.version}`} kind={kind} obj={obj} title={title} />;
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
      const nics = Object.values(objects.jailNic).filter((n) => n.jail.id === jail.id);
      return (
        <section className="related">
          {nics.length === 0 && canEdit && <p className="hint">Connect the jail to a switch to give it a NIC.</p>}
          {nics.map((nic) => (
            <Form key={nic.id} kind="jailNic" obj={nic} title={`NIC ${nic.name} on ${nic.switch.name}`} />
          ))}
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
                  Reserve an address by DHCP
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
            label="Add reservation"
            fields={[
              { name: 'mac', label: 'MAC', placeholder: '58:9c:fc:00:00:01', check: checkMac },
              { name: 'address', label: 'Address', placeholder: '10.1.1.10', check: checkAddress },
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
  const { selection, objects, design } = useDesignStore(useShallow((s) => ({ selection: s.selection, objects: s.objects, design: s.design })));
  const obj = selection ? (objects[selection.kind] as Record<number, AnyObject>)[selection.id] : undefined;
  if (!selection || !obj)
    return (
      <div className="panel-empty">
        <p>
          Select something on the canvas to edit it. {design ? `Design “${design.name}”.` : ''}
        </p>
        <p className="hint">
          Add a jailhost from the palette, then interfaces, a switch, jails and VMs inside it. Drag from a jail or VM to a switch to
          attach it; from a VXLAN segment to switches on several hosts to stretch it.
        </p>
      </div>
    );
  return (
    <div className="property-panel">
      <Form kind={selection.kind} obj={obj} />
      <Related kind={selection.kind} obj={obj} />
    </div>
  );
}
