import type { Badge } from '../model/findings';

/** Error/warning counts of the validation findings about a node. */
export function NodeBadge({ badge }: { badge?: Badge }) {
  if (!badge || (!badge.errors && !badge.warnings)) return null;
  const severity = badge.errors ? 'error' : 'warning';
  const count = badge.errors || badge.warnings;
  return (
    <span className={`node-badge ${severity}`} data-testid="node-badge" title={`${badge.errors} errors, ${badge.warnings} warnings`}>
      {count}
    </span>
  );
}
