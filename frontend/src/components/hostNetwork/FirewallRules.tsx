import { useState, type DragEvent, type FormEvent } from 'react';
import { hostNetworkApi, type FirewallPolicy, type FirewallRule } from '../../api/hostNetworkApi';
import { checkRange } from '../../model/checks';
import { indexChanges, moveItem } from '../../model/ruleOrder';
import { designChanged } from './changed';
import { FieldErrors } from './FieldErrors';
import { fieldErrorsOf } from './fieldErrors';

const RULE_MIME = 'application/x-jailnet-rule';
const EMPTY = { action: 'pass', direction: 'in', quick: false, protocol: 'tcp', interface: '', source: '', destination: '', port: '', comment: '' };
type Draft = typeof EMPTY;

/** How pf reads a rule (what the rendered pf.conf line says, in short). */
export function ruleText(r: FirewallRule): string {
  const words: string[] = [r.action ?? 'pass'];
  if (r.direction && r.direction !== 'any') words.push(r.direction);
  if (r.quick) words.push('quick');
  if (r.interface) words.push(`on ${r.interface}`);
  if (r.protocol && r.protocol !== 'any') words.push(`proto ${r.protocol}`);
  words.push(`from ${r.source || 'any'}`, `to ${r.destination || 'any'}`);
  if (r.port) words.push(`port ${r.port}`);
  return words.join(' ');
}

/** pf filter rules of a host, in evaluation order: drag a row to reorder, add and delete rules. */
export function FirewallRules({ policy, rules, canEdit, reload }: { policy: FirewallPolicy; rules: FirewallRule[]; canEdit: boolean; reload(): Promise<void> }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [dragging, setDragging] = useState<number | null>(null);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const badPort = draft.port ? checkRange(1, 65535)(draft.port) : null;
    if (badPort) return setErrors({ port: [badPort] });
    try {
      await hostNetworkApi.createRule({
        policy: policy.id,
        index: rules.length ? Math.max(...rules.map((r) => r.index ?? 0)) + 1 : 0,
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
      setDraft(EMPTY);
      setErrors({});
      await reload();
      designChanged();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  };

  const write = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setErrors({});
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
    await reload();
    designChanged();
  };

  const drop = (to: number) => (event: DragEvent) => {
    event.preventDefault();
    const from = Number(event.dataTransfer.getData(RULE_MIME));
    setDragging(null);
    if (Number.isNaN(from) || from === to) return;
    const changes = indexChanges(moveItem(rules, from, to));
    const versions = new Map(rules.map((r) => [r.id, r.version]));
    // One PATCH per rule whose place changes; the list is read again afterwards whatever happened.
    void write(async () => {
      for (const change of changes) await hostNetworkApi.updateRule(change.id, { index: change.index, version: versions.get(change.id) });
    });
  };

  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => setDraft((d) => ({ ...d, [field]: value }));
  return (
    <div className="firewall-rules">
      {errors.non_field_errors && <div className="form-error" role="alert">{errors.non_field_errors.join(' ')}</div>}
      <ol className="rule-list" data-testid="firewall-rules">
        {rules.length === 0 && <li className="hint">No filter rules{policy.default_block ? ': everything is blocked.' : '.'}</li>}
        {rules.map((rule, position) => (
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
            title={canEdit ? 'Drag to change the order: pf evaluates rules top to bottom' : undefined}
          >
            {canEdit && <span className="grip" aria-hidden>⋮⋮</span>}
            <code>{ruleText(rule)}</code>
            {rule.comment && <span className="muted"> # {rule.comment}</span>}
            {canEdit && (
              <button type="button" className="link danger" aria-label={`Delete rule ${position + 1}`} onClick={() => void write(() => hostNetworkApi.deleteRule(rule.id, rule.version))}>
                ×
              </button>
            )}
          </li>
        ))}
      </ol>
      {canEdit && (
        <form className="inline-create rule-form" onSubmit={add} aria-label="Add firewall rule">
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
            <label className="inline">
              <input type="checkbox" name="quick" checked={draft.quick} onChange={(e) => set('quick', e.target.checked)} /> quick
            </label>
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
            <div key={field} className="field">
              <label htmlFor={`rule-${field}`}>{label}</label>
              <input id={`rule-${field}`} name={field} value={draft[field]} placeholder={placeholder} onChange={(e) => set(field, e.target.value)} />
              <FieldErrors errors={errors} field={field} />
            </div>
          ))}
          <button type="submit">Add rule</button>
        </form>
      )}
    </div>
  );
}
