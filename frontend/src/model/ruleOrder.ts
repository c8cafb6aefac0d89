/** Reordering firewall rules: pf evaluates them in order, so a drag changes what the firewall does. */

export interface Ordered {
  id: number;
  index?: number;
}

/** The rules with the one at `from` moved to `to` (both positions in the list as shown). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length || to < 0 || to >= out.length || from === to) return out;
  const [moved] = out.splice(from, 1);
  out.splice(to, 0, moved);
  return out;
}

/** The `index` writes that make the stored order the list's order: only rules whose index changes. */
export function indexChanges(ordered: readonly Ordered[]): { id: number; index: number }[] {
  return ordered.flatMap((rule, position) => (rule.index === position ? [] : [{ id: rule.id, index: position }]));
}
