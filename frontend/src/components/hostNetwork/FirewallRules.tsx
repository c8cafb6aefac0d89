import { useState, type DragEvent, type FormEvent } from 'react';
import type { FirewallPolicy, FirewallRule } from '../../api/hostNetworkApi';
import { declaredChecks } from '../../model/kinds';
import { indexChanges, moveItem } from '../../model/ruleOrder';
import { FieldErrors } from './FieldErrors';
import { fieldErrorsOf } from './fieldErrors';
import { addRule, deleteRule, editRule, reorderRules, type RuleData } from './ruleCommands';

const RULE_MIME = 'application/x-jailnet-rule';
const EMPTY = { action: 'pass', direction: 'in', quick: false, protocol: 'tcp', interface: '', source: '', destination: '', port: '', comment: '' };
type Draft = typeof EMPTY;

const ipfwAddress = (value: string | null | undefined) => (!value ? 'any' : value.startsWith('!') ? `not ${value.slice(1)}` : value);

/** How the firewall reads a rule (what the rendered pf.conf or /etc/ipfw.rules line says, in short). */
export function ruleText(r: FirewallRule, engine: FirewallPolicy['engine'] = 'pf'): string {
  if (engine === 'ipfw') {
    const words = [r.action === 'block' ? 'deny' : 'allow', !r.protocol || r.protocol === 'any' ? 'ip' : r.protocol];
    words.push('from', ipfwAddress(r.source), 'to', ipfwAddress(r.destination));
    if (r.port) words.push(String(r.port));
    if (r.direction && r.direction !== 'any') words.push(r.direction);
    if (r.interface) words.push('via', r.interface);
    return words.join(' ');
  }
  const words: string[] = [r.action ?? 'pass'];
  if (r.direction && r.direction !== 'any') words.push(r.direction);
  if (r.quick) words.push('quick');
  if (r.interface) words.push(`on ${r.interface}`);
  if (r.protocol && r.protocol !== 'any') words.push(`proto ${r.protocol}`);
  words.push(`from ${r.source || 'any'}`, `to ${r.destination || 'any'}`);
  if (r.port) words.push(`port ${r.port}`);
  return words.join(' ');
}

const CHECKS = declaredChecks('firewall-rule');

/** The client checks the server's allow-lists imply (kinds.generated.ts), per field; empty is fine. */
export function checkDraft(draft: Draft): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const field of ['interface', 'source', 'destination', 'port', 'comment'] as const) {
    const message = CHECKS[field]?.(draft[field]);
    if (message) errors[field] = [message];
  }
  return errors;
}

const draftOf = (rule: FirewallRule): Draft => ({
  action: rule.action ?? 'pass',
  direction: rule.direction ?? 'any',
  quick: Boolean(rule.quick),
  protocol: rule.protocol ?? 'any',
  interface: rule.interface ?? '',
  source: rule.source ?? '',
  destination: rule.destination ?? '',
  port: rule.port ? String(rule.port) : '',
  comment: rule.comment ?? '',
});

const dataOf = (draft: Draft): Omit<RuleData, 'policy' | 'index'> => ({
  action: draft.action as FirewallRule['action'],
  direction: draft.direction as FirewallRule['direction'],
  quick: draft.quick,
  protocol: draft.protocol as FirewallRule['protocol'],
  interface: draft.interface,
  source: draft.source,
  destination: draft.destination,
  port: draft.port ? Number(draft.port) : null,
  comment: draft.comment,
});

/** The fields of a rule, for the add form and for editing a rule in place; `prefix` keeps ids unique. */
function RuleFields({ draft, set, errors, prefix, engine }: { draft: Draft; set<K extends keyof Draft>(field: K, value: Draft[K]): void; errors: Record<string, string[]>; prefix: string; engine: FirewallPolicy['engine'] }) {
  return (
    <>
      <div className="field-row">
        <select name="action" aria-label="Action" value={draft.action} onChange={(e) => set('action', e.target.value)}>
          <option value="pass">pass</option>
          <option value="block">block</option>
        </select>
        <select name="direction" aria-label="Direction" value={draft.direction} onChange={(e) => set('direction', e.target.value)}>
          <option value="in">in</option>
          <option value="out">out</option>
          <option value="any">in and out</option>
        </select>
        {engine === 'pf' && (
          <label className="inline">
            <input type="checkbox" name="quick" checked={draft.quick} onChange={(e) => set('quick', e.target.checked)} /> quick
          </label>
        )}
        <select name="protocol" aria-label="Protocol" value={draft.protocol} onChange={(e) => set('protocol', e.target.value)}>
          {['any', 'tcp', 'udp', 'icmp'].map((p) => (
            <option key={p} value={p}>{p}</option>
          ))}
        </select>
      </div>
      {(
        [
          ['interface', 'Interface', 'em0 (any when blank)'],
          ['source', 'From', 'any, 10.1.1.0/24, !192.168.0.2'],
          ['destination', 'To', 'any, 10.1.1.2'],
          ['port', 'Port', '22'],
          ['comment', 'Comment', 'ssh to the host'],
        ] as const
      ).map(([field, label, placeholder]) => (
        <div key={field} className={`field ${errors[field] ? 'invalid' : ''}`}>
          <label htmlFor={`${prefix}-${field}`}>{label}</label>
          <input id={`${prefix}-${field}`} name={field} value={draft[field]} placeholder={placeholder} onChange={(e) => set(field, e.target.value)} />
          <FieldErrors errors={errors} field={field} />
        </div>
      ))}
    </>
  );
}

/** One rule changed in place: only the fields that differ are written, as one undoable edit. */
function RuleEditor({ rule, position, engine, done }: { rule: FirewallRule; position: number; engine: FirewallPolicy['engine']; done(): void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(rule));
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setErrors((e) => (e[field] ? Object.fromEntries(Object.entries(e).filter(([k]) => k !== field)) : e));
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const local = checkDraft(draft);
    if (Object.keys(local).length) return setErrors(local);
    const before = dataOf(draftOf(rule));
    const after = dataOf(draft);
    const changes = Object.fromEntries(Object.entries(after).filter(([key, value]) => before[key as keyof typeof before] !== value)) as Partial<RuleData>;
    if (!Object.keys(changes).length) return done();
    try {
      await editRule(rule, changes);
      done();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  };
  return (
    <form className="rule-form rule-edit" onSubmit={save} aria-label={`Edit firewall rule ${position + 1}`} onKeyDown={(e) => e.key === 'Escape' && done()}>
      {errors.non_field_errors && <div className="form-error" role="alert">{errors.non_field_errors.join(' ')}</div>}
      <RuleFields draft={draft} set={set} errors={errors} prefix={`rule-${rule.id}`} engine={engine} />
      <div className="field-row">
        <button type="submit">Save rule</button>
        <button type="button" className="link" onClick={done}>Cancel</button>
      </div>
    </form>
  );
}

/**
 * pf filter rules of a host, in evaluation order: drag a row to reorder, edit a rule in place, add and
 * delete rules. Every one of these is a step of the designer's undo history.
 */
export function FirewallRules({ policy, rules, canEdit, reload }: { policy: FirewallPolicy; rules: FirewallRule[]; canEdit: boolean; reload(): Promise<void> }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [dragging, setDragging] = useState<number | null>(null);
  const [editing, setEditing] = useState<number | null>(null);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const local = checkDraft(draft);
    if (Object.keys(local).length) return setErrors(local);
    try {
      await addRule({ policy: policy.id, index: rules.length ? Math.max(...rules.map((r) => r.index ?? 0)) + 1 : 0, ...dataOf(draft) });
      setDraft(EMPTY);
      setErrors({});
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  };

  /** A write whose failure shows above the list; the list is read again whatever happened. */
  const write = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setErrors({});
    } catch (error) {
      setErrors(fieldErrorsOf(error));
      await reload();
    }
  };

  const drop = (to: number) => (event: DragEvent) => {
    event.preventDefault();
    const from = Number(event.dataTransfer.getData(RULE_MIME));
    setDragging(null);
    if (Number.isNaN(from) || from === to) return;
    const changes = indexChanges(moveItem(rules, from, to));
    // One PATCH per rule whose place changes, undone as one step.
    if (changes.length) void write(() => reorderRules(rules, changes));
  };

  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => setDraft((d) => ({ ...d, [field]: value }));
  return (
    <div className="firewall-rules">
      {errors.non_field_errors && <div className="form-error" role="alert">{errors.non_field_errors.join(' ')}</div>}
      <ol className="rule-list" data-testid="firewall-rules">
        {rules.length === 0 && <li className="hint">No filter rules{policy.default_block && policy.engine === 'pf' ? ': everything is blocked.' : '.'}</li>}
        {rules.map((rule, position) =>
          editing === rule.id && canEdit ? (
            <li key={rule.id} data-testid="firewall-rule" className={`rule editing ${rule.action}`}>
              <RuleEditor rule={rule} position={position} engine={policy.engine} done={() => setEditing(null)} />
            </li>
          ) : (
            <li
              key={rule.id}
              data-testid="firewall-rule"
              className={`rule ${rule.action} ${dragging === position ? 'dragging' : ''}`}
              draggable={canEdit}
              onDragStart={(e) => {
                e.dataTransfer.setData(RULE_MIME, String(position));
                e.dataTransfer.effectAllowed = 'move';
                setDragging(position);
              }}
              onDragEnd={() => setDragging(null)}
              onDragOver={(e) => e.preventDefault()}
              onDrop={drop(position)}
              onDoubleClick={() => canEdit && setEditing(rule.id)}
              title={canEdit ? `Drag to change the order (${policy.engine} evaluates rules top to bottom); double-click to edit` : undefined}
            >
              {canEdit && <span className="grip" aria-hidden>⋮⋮</span>}
              <span className="rule-text">
                <code>{ruleText(rule, policy.engine)}</code>
                {rule.comment && <span className="muted rule-comment"># {rule.comment}</span>}
              </span>
              {canEdit && (
                <span className="rule-actions">
                  <button type="button" className="link" aria-label={`Edit rule ${position + 1}`} onClick={() => setEditing(rule.id)}>
                    Edit
                  </button>
                  <button type="button" className="link danger" aria-label={`Delete rule ${position + 1}`} onClick={() => void write(() => deleteRule(rule))}>
                    ×
                  </button>
                </span>
              )}
            </li>
          ),
        )}
      </ol>
      {canEdit && (
        <form className="inline-create rule-form" onSubmit={add} aria-label="Add firewall rule">
          <RuleFields draft={draft} set={set} errors={errors} prefix="rule" engine={policy.engine} />
          <button type="submit">Add rule</button>
        </form>
      )}
    </div>
  );
}
