/** Parsed records as a table: columns from the records' fields, cells as text, sort and filter. Pure. */

export type RecordRow = Record<string, unknown>;

/** The columns of `records`: every top-level field, in the order first seen. */
export function columnsOf(records: readonly RecordRow[]): string[] {
  const seen = new Set<string>();
  for (const record of records.slice(0, 200)) for (const key of Object.keys(record)) seen.add(key);
  return [...seen];
}

/** One nested record (an interface's address, a bridge member, a vxlan line) as a person reads it. */
function itemText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(itemText).join(',');
  if (typeof value !== 'object') return String(value);
  const item = value as Record<string, unknown>;
  // An address: 10.0.0.1/24 (the prefix length is unknown when the netmask is not contiguous).
  if (typeof item.address === 'string' && 'prefixlen' in item) {
    const cidr = `${item.address}/${item.prefixlen ?? '?'}`;
    return item.scope ? `${cidr} scope ${String(item.scope)}` : cidr;
  }
  // Anything else: its fields that say something, "name value" as ifconfig prints them.
  return Object.entries(item)
    .filter(([, v]) => v !== null && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => (v === true ? k : `${k} ${itemText(v)}`))
    .join(' ');
}

/** A cell as text: lists joined, nested records readable (addresses as CIDR), nothing as empty. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(itemText).join(', ');
  return itemText(value);
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
