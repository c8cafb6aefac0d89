import { useMemo, useState } from 'react';
import type { CheckCell, CheckReport } from '../api/labApi';
import { buildMatrix, cellKey, cellStatus, plural, probeCommand, STATUS_TEXT } from '../lab/matrix';

/** Widths (px) of the row headers and of each probe column: compact, so that ~200 cells fit on a screen. */
const SOURCE_WIDTH = 170;
const CELL_WIDTH = 30;

const CHAR_WIDTH = 8;

/** A target's name in a group header: the jail's or VM's own name when the group is too narrow for `host/jail`. */
function shortName(target: string, columns: number): string {
  return target.length * CHAR_WIDTH + 10 > columns * CELL_WIDTH && target.includes('/') ? target.slice(target.lastIndexOf('/') + 1) : target;
}

/** Width of each column of a group: compact, but wide enough for the group's (short) name. */
function columnWidth(target: string, columns: number): number {
  return Math.max(CELL_WIDTH, Math.ceil((shortName(target, columns).length * CHAR_WIDTH + 10) / columns));
}

function describe(cell: CheckCell): string {
  const probe = cell.protocol === 'tcp' ? `TCP ${cell.address}:${cell.port ?? '?'}` : `ICMP ${cell.address}`;
  return `${cell.source} → ${cell.target} ${probe}: ${STATUS_TEXT[cellStatus(cell)].label}`;
}

function tooltip(cell: CheckCell): string {
  return [
    describe(cell),
    `expected: ${cell.expected ? 'reach' : 'blocked'} (${cell.reason || '—'})`,
    `measured: ${cell.measured ? 'reach' : 'blocked'}${cell.detail ? ` (${cell.detail})` : ''}`,
    `probe: ${probeCommand(cell)}`,
  ].join('\n');
}

function CellDetail({ cell, seconds, onClose }: { cell: CheckCell; seconds: number; onClose: () => void }) {
  const status = cellStatus(cell);
  return (
    <aside className={`lab-cell-detail status-${status}`} aria-label="Cell detail" data-testid="lab-cell-detail">
      <header>
        <strong>{describe(cell)}</strong>
        <button className="link" onClick={onClose}>Close</button>
      </header>
      <dl>
        <dt>Expected</dt>
        <dd>{cell.expected ? 'reach' : 'blocked'} — <span className="muted">{cell.reason || 'no reason given'}</span></dd>
        <dt>Measured</dt>
        <dd>{cell.measured ? 'reach' : 'blocked'}{cell.detail && <> — <code>{cell.detail}</code></>}</dd>
        <dt>Probe</dt>
        <dd><code>{probeCommand(cell)}</code> <span className="muted">(1 packet, 1 s timeout; the whole check took {seconds} s)</span></dd>
      </dl>
    </aside>
  );
}

/** Expected vs measured reachability, cell by cell: rows are sources, columns are targets' addresses and probes. */
export function ReachabilityMatrix({ report }: { report: CheckReport }) {
  const [onlyMismatches, setOnlyMismatches] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const matrix = useMemo(() => buildMatrix(report.cells, { onlyMismatches }), [report, onlyMismatches]);
  const { counts } = matrix;
  const selectedCell = selected ? matrix.cells.get(selected) : undefined;
  return (
    <section className="lab-matrix" aria-label="Reachability matrix">
      <div className="lab-matrix-bar">
        <p className="lab-summary" data-testid="lab-summary" role="status">
          <strong>{plural(counts.total, 'cell', 'cells')}</strong>: {counts.matched} as expected,{' '}
          <strong className={counts.mismatched ? 'bad' : 'good'}>{plural(counts.mismatched, 'mismatch')}</strong>
          <span className="muted"> · {counts.reach} reach, {counts.blocked} blocked as expected
            {counts.mismatched > 0 && `; ${counts.unexpectedBlock} blocked but expected to reach, ${counts.unexpectedReach} reaching but expected blocked`}
            {' '}· measured in {report.seconds} s</span>
        </p>
        <label className="lab-filter">
          <input type="checkbox" checked={onlyMismatches} onChange={(e) => setOnlyMismatches(e.target.checked)} data-testid="only-mismatches" />
          Only mismatches
        </label>
        <ul className="lab-legend" aria-label="Legend">
          {(Object.keys(STATUS_TEXT) as (keyof typeof STATUS_TEXT)[]).map((status) => (
            <li key={status}><span className={`lab-cell status-${status}`}>{STATUS_TEXT[status].symbol}</span> {STATUS_TEXT[status].label}</li>
          ))}
          <li><span className="lab-cell empty" /> blank: not probed</li>
        </ul>
      </div>
      {matrix.shown === 0 ? (
        <p className="muted" data-testid="lab-matrix-empty">{onlyMismatches ? 'No mismatches: every cell was measured as expected.' : 'The check measured no cells.'}</p>
      ) : (
        <div className="lab-matrix-scroll">
          <table className="lab-table" data-testid="lab-matrix" style={{ width: SOURCE_WIDTH + matrix.groups.reduce((sum, g) => sum + columnWidth(g.target, g.columns.length) * g.columns.length, 0) }}>
            <colgroup>
              <col style={{ width: SOURCE_WIDTH }} />
              {matrix.groups.flatMap((g) => g.columns.map((c) => <col key={c.key} style={{ width: columnWidth(g.target, g.columns.length) }} />))}
            </colgroup>
            <thead>
              <tr className="lab-head-targets">
                <th className="lab-corner" rowSpan={2} scope="col">source ╲ target</th>
                {matrix.groups.map((g) => (
                  <th key={g.target} colSpan={g.columns.length} scope="colgroup" className="lab-target" title={g.target}>{shortName(g.target, g.columns.length)}</th>
                ))}
              </tr>
              <tr className="lab-head-probes">
                {matrix.groups.flatMap((g, gi) =>
                  g.columns.map((c, ci) => (
                    <th key={c.key} scope="col" className={ci === 0 && gi > 0 ? 'lab-group-start' : undefined} title={`${c.target} ${c.address} ${c.probe}`}>
                      <span className="lab-probe">{c.address} <b>{c.probe}</b></span>
                    </th>
                  )),
                )}
              </tr>
            </thead>
            <tbody>
              {matrix.rows.map((source) => (
                <tr key={source}>
                  <th scope="row" className="lab-source" title={source}>{source}</th>
                  {matrix.groups.flatMap((g, gi) =>
                    g.columns.map((c, ci) => {
                      const key = cellKey(source, c.key);
                      const cell = matrix.cells.get(key);
                      const start = ci === 0 && gi > 0 ? 'lab-group-start' : undefined;
                      if (!cell) return <td key={c.key} className={start} />;
                      const status = cellStatus(cell);
                      return (
                        <td key={c.key} className={start}>
                          <button
                            className={`lab-cell status-${status}${selected === key ? ' selected' : ''}`}
                            title={tooltip(cell)}
                            aria-label={describe(cell)}
                            data-source={cell.source}
                            data-target={cell.target}
                            data-address={cell.address}
                            data-probe={c.probe}
                            data-status={status}
                            onClick={() => setSelected(selected === key ? null : key)}
                          >
                            {STATUS_TEXT[status].symbol}
                          </button>
                        </td>
                      );
                    }),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selectedCell && <CellDetail cell={selectedCell} seconds={report.seconds} onClose={() => setSelected(null)} />}
    </section>
  );
}
