import { useMemo, useState } from 'react';
import { cellText, columnsOf, shownRows, type RecordRow } from './records';

const MAX_SHOWN = 2000;

/** A run's parsed records as a table: click a column to sort (again to reverse), type to filter. */
export function RecordsTable({ records, total }: { records: readonly RecordRow[]; total: number }) {
  const [filter, setFilter] = useState('');
  const [column, setColumn] = useState<string | null>(null);
  const [descending, setDescending] = useState(false);
  const columns = useMemo(() => columnsOf(records), [records]);
  const rows = useMemo(() => shownRows(records, filter, column, descending), [records, filter, column, descending]);
  const sortBy = (name: string) => {
    if (name === column) setDescending(!descending);
    else {
      setColumn(name);
      setDescending(false);
    }
  };
  if (!records.length) return <p className="muted" data-testid="diag-no-records">No parsed records.</p>;
  return (
    <section className="diag-records" aria-label="Parsed records">
      <div className="diag-records-bar">
        <input type="search" placeholder="Filter records" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="diag-filter" />
        <span className="muted" data-testid="diag-record-count">
          {rows.length} of {total} records{total > records.length ? ` (first ${records.length} kept)` : ''}
        </span>
      </div>
      <div className="diag-records-scroll">
        <table className="diag-table" data-testid="diag-records">
          <thead>
            <tr>
              {columns.map((name) => (
                <th key={name} aria-sort={column === name ? (descending ? 'descending' : 'ascending') : 'none'}>
                  <button onClick={() => sortBy(name)}>
                    {name}
                    {column === name ? (descending ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_SHOWN).map((row, index) => (
              <tr key={index}>
                {columns.map((name) => (
                  <td key={name}>{cellText(row[name])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
