/** Parsed records as a table: columns from the records' fields, cells as text, sort and filter. Pure. */

export type RecordRow = Record<string, unknown>;

/** The columns of `records`: every top-level field, in the order first seen. */
export function columnsOf(records: readonly RecordRow[]): string[] {
  const seen = new Set<string>();
  for (const record of records.slice(0, 200)) for (const key of Object.keys(record)) seen.add(key);
  return [...seen];
}

/** A cell as text: lists joined, objects as compact JSON, nothing as empty. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
}

/** The rows containing `filter` (any cell, case-insensitive), sorted by `column` (`descending` reverses). */
export function shownRows(records: readonly RecordRow[], filter: string, column: string | null, descending: boolean): RecordRow[] {
  const needle = filter.trim().toLowerCase();
  const rows = needle ? records.filter((r) => Object.values(r).some((v) => cellText(v).toLowerCase().includes(needle))) : [...records];
  if (column) {
    rows.sort((a, b) => compare(a[column], b[column]));
    if (descending) rows.reverse();
  }
  return rows;
}
