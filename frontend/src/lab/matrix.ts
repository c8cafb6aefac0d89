/** The reachability matrix of a lab check: rows are sources, columns are probed targets (address, protocol, port). */
import type { CheckCell } from '../api/labApi';

/** reach / blocked: measured as expected; unexpected-*: a mismatch. */
export type CellStatus = 'reach' | 'blocked' | 'unexpected-block' | 'unexpected-reach';

export function cellStatus(cell: Pick<CheckCell, 'expected' | 'measured'>): CellStatus {
  if (cell.expected === cell.measured) return cell.expected ? 'reach' : 'blocked';
  return cell.expected ? 'unexpected-block' : 'unexpected-reach';
}

export function isMismatch(cell: Pick<CheckCell, 'expected' | 'measured'>): boolean {
  return cell.expected !== cell.measured;
}

/** Symbol and words of a status: never colour alone. */
export const STATUS_TEXT: Record<CellStatus, { symbol: string; label: string }> = {
  reach: { symbol: '✓', label: 'reaches, as expected' },
  blocked: { symbol: '–', label: 'blocked, as expected' },
  'unexpected-block': { symbol: '✗!', label: 'MISMATCH: expected to reach, measured blocked' },
  'unexpected-reach': { symbol: '✓!', label: 'MISMATCH: expected blocked, measured reaching' },
};

export interface MatrixColumn {
  key: string;
  target: string;
  address: string;
  protocol: 'icmp' | 'tcp';
  port: number | null;
  /** `icmp` or `tcp/22`. */
  probe: string;
}

export interface ColumnGroup {
  target: string;
  columns: MatrixColumn[];
}

export interface MatrixCounts {
  total: number;
  matched: number;
  mismatched: number;
  reach: number;
  blocked: number;
  unexpectedBlock: number;
  unexpectedReach: number;
}

export interface Matrix {
  rows: string[];
  groups: ColumnGroup[];
  columns: MatrixColumn[];
  /** `cellAt(source, column key)`: the cell, or undefined (not probed, or filtered out). */
  cells: Map<string, CheckCell>;
  /** Counts over every cell, whatever the filter. */
  counts: MatrixCounts;
  /** Cells shown (after the filter). */
  shown: number;
}

export function columnKey(cell: Pick<CheckCell, 'target' | 'address' | 'protocol' | 'port'>): string {
  return `${cell.target}|${cell.address}|${cell.protocol}|${cell.port ?? ''}`;
}

export function cellKey(source: string, column: string): string {
  return `${source}→${column}`;
}

export function probeLabel(cell: Pick<CheckCell, 'protocol' | 'port'>): string {
  return cell.protocol === 'tcp' ? `tcp/${cell.port ?? '?'}` : 'icmp';
}

/** The command the lab ran for a cell (inside the source's namespace). */
export function probeCommand(cell: Pick<CheckCell, 'source' | 'address' | 'protocol' | 'port'>): string {
  return cell.protocol === 'tcp'
    ? `helper.py connect --timeout 1 ${cell.address} ${cell.port ?? ''}  (TCP connect, in ${cell.source})`
    : `ping -n -q -c 1 -W 1 ${cell.address}  (in ${cell.source})`;
}

export function countCells(cells: readonly CheckCell[]): MatrixCounts {
  const counts: MatrixCounts = { total: cells.length, matched: 0, mismatched: 0, reach: 0, blocked: 0, unexpectedBlock: 0, unexpectedReach: 0 };
  for (const cell of cells) {
    const status = cellStatus(cell);
    if (status === 'reach') counts.reach++;
    else if (status === 'blocked') counts.blocked++;
    else if (status === 'unexpected-block') counts.unexpectedBlock++;
    else counts.unexpectedReach++;
  }
  counts.matched = counts.reach + counts.blocked;
  counts.mismatched = counts.unexpectedBlock + counts.unexpectedReach;
  return counts;
}


/**
 * Group a check's cells into a matrix. Sources and targets keep the report's order (hosts, jails, VMs, then
 * the internet stub); a target's columns are its addresses, ICMP before TCP ports. With `onlyMismatches`,
 * only mismatched cells are kept, and only the rows and columns that hold one.
 */
export function buildMatrix(all: readonly CheckCell[], { onlyMismatches = false } = {}): Matrix {
  // The order comes from every cell, so that filtering never moves a row or a column.
  const rows: string[] = [];
  const seenRows = new Set<string>();
  const groups: ColumnGroup[] = [];
  const groupOf = new Map<string, ColumnGroup>();
  const seenColumns = new Set<string>();
  const cells = new Map<string, CheckCell>();
  const keptRows = new Set<string>();
  const keptColumns = new Set<string>();
  let shown = 0;
  for (const cell of all) {
    if (!seenRows.has(cell.source)) {
      seenRows.add(cell.source);
      rows.push(cell.source);
    }
    const key = columnKey(cell);
    if (!seenColumns.has(key)) {
      seenColumns.add(key);
      let group = groupOf.get(cell.target);
      if (!group) {
        group = { target: cell.target, columns: [] };
        groupOf.set(cell.target, group);
        groups.push(group);
      }
      group.columns.push({ key, target: cell.target, address: cell.address, protocol: cell.protocol, port: cell.port, probe: probeLabel(cell) });
    }
    if (onlyMismatches && !isMismatch(cell)) continue;
    cells.set(cellKey(cell.source, key), cell);
    keptRows.add(cell.source);
    keptColumns.add(key);
    shown++;
  }
  // Targets that are also sources come in the sources' order; the others (targets only) after them.
  const firstSeen = new Map(groups.map((g, i) => [g.target, i]));
  const rank = (target: string) => (seenRows.has(target) ? rows.indexOf(target) : rows.length + (firstSeen.get(target) ?? 0));
  groups.sort((a, b) => rank(a.target) - rank(b.target));
  for (const group of groups) {
    // Addresses keep the order the report gives them; per address, ICMP first, then TCP by port.
    const addressOrder = new Map<string, number>();
    for (const c of group.columns) if (!addressOrder.has(c.address)) addressOrder.set(c.address, addressOrder.size);
    group.columns.sort(
      (a, b) =>
        (addressOrder.get(a.address) ?? 0) - (addressOrder.get(b.address) ?? 0) ||
        (a.protocol === b.protocol ? 0 : a.protocol === 'icmp' ? -1 : 1) ||
        (a.port ?? 0) - (b.port ?? 0),
    );
  }
  const shownGroups = groups
    .map((g) => ({ target: g.target, columns: g.columns.filter((c) => keptColumns.has(c.key)) }))
    .filter((g) => g.columns.length > 0);
  return {
    rows: rows.filter((r) => keptRows.has(r)),
    groups: shownGroups,
    columns: shownGroups.flatMap((g) => g.columns),
    cells,
    counts: countCells(all),
    shown,
  };
}

/** `0 mismatches`, `1 mismatch`, `3 mismatches`. */
export function plural(count: number, word: string, many = `${word}es`): string {
  return `${count} ${count === 1 ? word : many}`;
}
