/**
 * A host's pf rules written through the designer's undo history: adding, editing, deleting and reordering
 * a rule are commands the toolbar's Undo/Redo (and Ctrl+Z / Ctrl+Shift+Z) take back and do again.
 *
 * Rules are not in the design store's objects, so the commands keep their own map of ids a redo or an
 * undo re-created, and read a rule's current version before writing it (the first write uses the version
 * the panel showed, so someone else's change in between is still a conflict).
 */
import { hostNetworkApi, type FirewallRule, type FirewallRuleRequest } from '../../api/hostNetworkApi';
import { useDesignStore } from '../../store/designStore';

/** Rule id first created -> id now (after a delete was undone, or an add redone). */
const remap = new Map<number, number>();
const resolve = (id: number): number => {
  let current = id;
  for (let hops = 0; hops < 100 && remap.has(current); hops++) current = remap.get(current)!;
  return current;
};

export type RuleData = Omit<FirewallRuleRequest, 'version'>;
export const RULE_FIELDS = ['action', 'direction', 'quick', 'interface', 'protocol', 'source', 'destination', 'port', 'comment'] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

/** What re-creates a rule as it is. */
export function ruleData(rule: FirewallRule): RuleData {
  const data: Record<string, unknown> = { policy: rule.policy, index: rule.index };
  for (const field of RULE_FIELDS) data[field] = rule[field];
  return data as RuleData;
}

const versionNow = async (id: number) => (await hostNetworkApi.getRule(resolve(id))).version;
const update = async (id: number, changes: Partial<RuleData>, version?: number) =>
  hostNetworkApi.updateRule(resolve(id), { ...changes, version: version ?? (await versionNow(id)) });
const remove = async (id: number, version?: number) => hostNetworkApi.deleteRule(resolve(id), version ?? (await versionNow(id)));
const recreate = async (id: number, data: RuleData) => {
  const again = await hostNetworkApi.createRule(data);
  if (again.id !== resolve(id)) remap.set(resolve(id), again.id);
};
const run = (label: string, first: () => Promise<void>, undo: () => Promise<void>, redo: () => Promise<void>) => {
  let done = false;
  return useDesignStore.getState().runCommand({
    label,
    undo,
    redo: async () => {
      if (done) return redo();
      await first();
      done = true;
    },
  });
};

export function addRule(data: RuleData): Promise<void> {
  let id = 0;
  return run(
    'add firewall rule',
    async () => void (id = (await hostNetworkApi.createRule(data)).id),
    () => remove(id),
    () => recreate(id, data),
  );
}

export function editRule(rule: FirewallRule, changes: Partial<RuleData>): Promise<void> {
  const previous = Object.fromEntries(Object.keys(changes).map((key) => [key, (rule as unknown as Record<string, unknown>)[key]])) as Partial<RuleData>;
  return run(
    'edit firewall rule',
    async () => void (await update(rule.id, changes, rule.version)),
    async () => void (await update(rule.id, previous)),
    async () => void (await update(rule.id, changes)),
  );
}

export function deleteRule(rule: FirewallRule): Promise<void> {
  const data = ruleData(rule);
  return run(
    'delete firewall rule',
    () => remove(rule.id, rule.version),
    () => recreate(rule.id, data),
    () => remove(rule.id),
  );
}

/** New `index` of each rule whose place changes; the undo puts the old ones back. */
export function reorderRules(rules: FirewallRule[], changes: { id: number; index: number }[]): Promise<void> {
  const before = new Map(rules.map((r) => [r.id, r]));
  const previous = changes.map((c) => ({ id: c.id, index: before.get(c.id)?.index ?? 0 }));
  const apply = async (list: { id: number; index: number }[], first: boolean) => {
    for (const c of list) await update(c.id, { index: c.index }, first ? before.get(c.id)?.version : undefined);
  };
  return run(
    'reorder firewall rules',
    () => apply(changes, true),
    () => apply(previous, false),
    () => apply(changes, false),
  );
}
