import { describe, expect, it } from 'vitest';
import type { CheckCell } from '../api/labApi';
import { buildMatrix, cellKey, cellStatus, columnKey, countCells, plural, probeCommand, STATUS_TEXT } from './matrix';

function cell(source: string, target: string, address: string, expected: boolean, measured = expected, protocol: 'icmp' | 'tcp' = 'icmp', port: number | null = null): CheckCell {
  return { source, target, address, protocol, port, expected, measured, matches: expected === measured, reason: 'delivered', detail: '' };
}

const CELLS: CheckCell[] = [
  cell('jailhost', 'vnetcage', '10.1.1.2', true),
  cell('jailhost', 'internet', '198.51.100.80', true, true, 'tcp', 80),
  cell('jailhost', 'internet', '198.51.100.80', true),
  cell('vnetcage', 'jailhost', '192.168.0.2', true),
  cell('vnetcage', 'jailhost', '10.1.1.1', true),
  cell('vnetcage', 'jailhost', '10.1.1.1', false, true, 'tcp', 22),
  cell('internet', 'jailhost', '192.168.0.2', true, false, 'tcp', 8080),
  cell('internet', 'jailhost', '192.168.0.2', false, false, 'tcp', 22),
];

describe('cell status', () => {
  it('tells matches from both kinds of mismatch, each with its own symbol', () => {
    expect(cellStatus({ expected: true, measured: true })).toBe('reach');
    expect(cellStatus({ expected: false, measured: false })).toBe('blocked');
    expect(cellStatus({ expected: true, measured: false })).toBe('unexpected-block');
    expect(cellStatus({ expected: false, measured: true })).toBe('unexpected-reach');
    const symbols = Object.values(STATUS_TEXT).map((s) => s.symbol);
    expect(new Set(symbols).size).toBe(symbols.length);
  });

  it('counts', () => {
    expect(countCells(CELLS)).toEqual({ total: 8, matched: 6, mismatched: 2, reach: 5, blocked: 1, unexpectedBlock: 1, unexpectedReach: 1 });
    expect(plural(0, 'mismatch')).toBe('0 mismatches');
    expect(plural(1, 'mismatch')).toBe('1 mismatch');
  });

  it('names the probe command', () => {
    expect(probeCommand(CELLS[0])).toContain('ping -n -q -c 1 -W 1 10.1.1.2');
    expect(probeCommand(CELLS[5])).toContain('10.1.1.1 22');
  });
});

describe('buildMatrix', () => {
  it('groups rows by source and columns by target, address and probe', () => {
    const m = buildMatrix(CELLS);
    expect(m.rows).toEqual(['jailhost', 'vnetcage', 'internet']);
    // Targets in the sources' order; per address ICMP first, then TCP by port.
    expect(m.groups.map((g) => g.target)).toEqual(['jailhost', 'vnetcage', 'internet']);
    expect(m.groups[0].columns.map((c) => `${c.address} ${c.probe}`)).toEqual([
      '192.168.0.2 icmp', '192.168.0.2 tcp/22', '192.168.0.2 tcp/8080', '10.1.1.1 icmp', '10.1.1.1 tcp/22',
    ]);
    expect(m.groups[2].columns.map((c) => c.probe)).toEqual(['icmp', 'tcp/80']);
    expect(m.columns).toHaveLength(8);
    expect(m.shown).toBe(8);
    const icmp = m.cells.get(cellKey('vnetcage', columnKey({ target: 'jailhost', address: '10.1.1.1', protocol: 'icmp', port: null })));
    expect(icmp?.measured).toBe(true);
    expect(m.cells.get(cellKey('jailhost', columnKey({ target: 'jailhost', address: '10.1.1.1', protocol: 'icmp', port: null })))).toBeUndefined();
  });

  it('keeps only mismatched cells, and their rows and columns, when filtered; counts stay whole', () => {
    const m = buildMatrix(CELLS, { onlyMismatches: true });
    expect(m.rows).toEqual(['vnetcage', 'internet']);
    expect(m.columns.map((c) => `${c.target} ${c.address} ${c.probe}`)).toEqual(['jailhost 192.168.0.2 tcp/8080', 'jailhost 10.1.1.1 tcp/22']);
    expect(m.shown).toBe(2);
    expect(m.counts.total).toBe(8);
    expect([...m.cells.values()].every((c) => c.expected !== c.measured)).toBe(true);
  });

  it('is empty without cells, or without mismatches when filtered', () => {
    expect(buildMatrix([]).rows).toEqual([]);
    const clean = CELLS.filter((c) => c.expected === c.measured);
    const m = buildMatrix(clean, { onlyMismatches: true });
    expect(m.rows).toEqual([]);
    expect(m.columns).toEqual([]);
    expect(m.counts.mismatched).toBe(0);
  });
});
