import { useState, type FormEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ApiError } from '../api/client';
import { displayName, FIELDS, fkId, LABELS, type AnyObject, type FieldDef, type Kind, type Objects } from '../model/kinds';
import { hostIdOf } from '../model/selection';
import { switchKindLabel, switchKindsFor, toolFlagFor } from '../model/switchKinds';
import { useDesignStore } from '../store/designStore';

export type DraftValue = string | boolean | number | null;
export type Draft = Record<string, DraftValue>;

/** One object edited in a form: the main object first, then those that belong to it (a jail's NICs). */
export interface FormSection {
  kind: Kind;
  obj: AnyObject;
  title?: string;
}

export function toDraft(fields: FieldDef[], obj: AnyObject): Draft {
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

const hostOfObject = (objects: Objects, obj: AnyObject) => objects.host[fkId((obj as { host?: unknown }).host) ?? -1];

/** Choices of a select as [value, label]: a switch's kinds are the ones its host's tools allow first. */
function choicesOf(objects: Objects, kind: Kind, field: FieldDef, obj: AnyObject): [string, string][] {
  if (kind === 'switch' && field.name === 'kind') {
    const host = hostOfObject(objects, obj);
    return switchKindsFor(host).map((k) => [k, switchKindLabel(host, k)]);
  }
  return (field.choices ?? []).map((c) => [c, c]);
}

/** What a blank field means, shown as its placeholder: an inherited release says which one. */
function placeholderOf(objects: Objects, defaultRelease: string | undefined, kind: Kind, field: FieldDef, obj: AnyObject): string | undefined {
  if (field.name !== 'release') return field.help;
  if (kind === 'host') return defaultRelease ? `${defaultRelease} (the design's)` : undefined;
  if (kind === 'jail') {
    const host = objects.host[fkId((obj as { host?: unknown }).host) ?? -1];
    const release = host?.release || defaultRelease;
    return release ? `${release} (the host's)` : undefined;
  }
  return field.help;
}

interface SectionState {
  /** The version `original` was read from: a newer object (our save, or someone else's) starts the section again. */
  version: number | undefined;
  original: Draft;
  draft: Draft;
  serverErrors: Record<string, string[]>;
}

function fresh(section: FormSection): SectionState {
  const original = toDraft(FIELDS[section.kind], section.obj);
  return { version: section.obj.version, original, draft: original, serverErrors: {} };
}

/**
 * One form, one Save, for an object and those that belong to it (a jail with its NICs): client checks as
 * you type, the server's field errors after saving, shown on the field they are about.
 */
export function ObjectsForm({ sections, actions }: { sections: FormSection[]; actions?: ReactNode }) {
  const { canEdit, objects, design, updateObject } = useDesignStore(
    useShallow((s) => ({ canEdit: s.canEdit, objects: s.objects, design: s.design, updateObject: s.updateObject })),
  );
  const [states, setStates] = useState<SectionState[]>(() => sections.map(fresh));
  // A section whose object the server changed (a save of ours or someone else's) starts again from it.
  if (states.some((s, i) => s.version !== sections[i].obj.version)) {
    setStates(states.map((s, i) => (s.version === sections[i].obj.version ? s : { ...fresh(sections[i]), serverErrors: s.serverErrors })));
  }
  const [saving, setSaving] = useState(false);
  const main = sections[0];
  const computed = sections.map((s, i) => {
    const fields = FIELDS[s.kind];
    const { original, draft } = states[i];
    return { fields, local: clientErrors(fields, draft), changes: changesOf(fields, original, draft) };
  });
  const dirty = computed.some((c) => Object.keys(c.changes).length > 0);
  const invalid = computed.some((c) => Object.keys(c.local).length > 0);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!dirty || invalid) return;
    setSaving(true);
    // The main object first: a NIC's address may depend on a jail change only in the user's mind, never on the server.
    for (const [i, section] of sections.entries()) {
      const changes = computed[i].changes;
      if (!Object.keys(changes).length) continue;
      let errors: Record<string, string[]> = {};
      try {
        // A vm-bhyve switch (or pot's bridge) on a host without the tool: the host gets the tool first.
        const flag = section.kind === 'switch' && typeof changes.kind === 'string' ? toolFlagFor(changes.kind) : null;
        const host = hostOfObject(objects, section.obj);
        if (flag && host && !host[flag]) await updateObject('host', host.id, { [flag]: true });
        await updateObject(section.kind, section.obj.id, changes);
      } catch (error) {
        errors = error instanceof ApiError ? error.fieldErrors : { non_field_errors: [String(error)] };
      }
      setStates((all) => all.map((s, j) => (j === i ? { ...s, serverErrors: errors } : s)));
      if (Object.keys(errors).length) break;
    }
    setSaving(false);
  };

  const set = (index: number, name: string, value: DraftValue) =>
    setStates((all) =>
      all.map((s, j) => {
        if (j !== index) return s;
        const serverErrors = { ...s.serverErrors };
        delete serverErrors[name];
        return { ...s, draft: { ...s.draft, [name]: value }, serverErrors };
      }),
    );
  const reset = () => setStates((all) => all.map((s) => ({ ...s, draft: s.original, serverErrors: {} })));

  const renderFields = (section: FormSection, index: number) => {
    const { kind, obj } = section;
    const { draft, serverErrors } = states[index];
    const { fields, local } = computed[index];
    const visible = fields.filter((f) => !f.when || f.when(draft));
    const known = new Set(visible.map((f) => f.name));
    const otherErrors = Object.entries(serverErrors).filter(([field]) => !known.has(field));
    const formId = `${kind}-${obj.id}`;
    return (
      <>
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
            input = <input id={id} name={f.name} type="checkbox" checked={Boolean(value)} disabled={!canEdit} onChange={(e) => set(index, f.name, e.target.checked)} />;
          else if (f.type === 'select')
            input = (
              <select id={id} name={f.name} value={String(value)} disabled={!canEdit} onChange={(e) => set(index, f.name, e.target.value)}>
                {choicesOf(objects, kind, f, obj).map(([choice, label]) => (
                  <option key={choice} value={choice}>{label}</option>
                ))}
              </select>
            );
          else if (f.type === 'ref')
            input = (
              <select id={id} name={f.name} value={value === null ? '' : String(value)} disabled={!canEdit} onChange={(e) => set(index, f.name, e.target.value ? Number(e.target.value) : null)}>
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
                placeholder={placeholderOf(objects, design?.default_release, kind, f, obj)}
                readOnly={!canEdit}
                aria-invalid={errors ? true : undefined}
                onChange={(e) => set(index, f.name, e.target.value)}
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
      </>
    );
  };

  return (
    <form className="object-form" onSubmit={save} data-testid={`form-${main.kind}`} aria-label={`${LABELS[main.kind]} ${displayName(main.kind, main.obj)}`}>
      <h3>
        {main.title ?? `${LABELS[main.kind]} ${displayName(main.kind, main.obj)}`} <span className="muted version">v{main.obj.version}</span>
      </h3>
      {renderFields(main, 0)}
      {sections.slice(1).map((section, i) => (
        <fieldset key={`${section.kind}-${section.obj.id}`} className="sub-object" data-testid={`form-${section.kind}`}>
          <legend>
            {section.title ?? `${LABELS[section.kind]} ${displayName(section.kind, section.obj)}`} <span className="muted version">v{section.obj.version}</span>
          </legend>
          {renderFields(section, i + 1)}
        </fieldset>
      ))}
      {canEdit && (
        <div className="form-buttons">
          <button type="submit" disabled={!dirty || saving || invalid}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" disabled={!dirty} onClick={reset}>
            Reset
          </button>
          {actions}
        </div>
      )}
    </form>
  );
}
