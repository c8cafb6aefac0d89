import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { CheckCell, CheckReport } from '../api/labApi';
import { LastCheck } from './LastCheck';

function cell(source: string, target: string, address: string, expected: boolean, measured = expected): CheckCell {
  return { source, target, address, protocol: 'icmp', port: null, expected, measured, matches: expected === measured, reason: 'delivered', detail: '' };
}

const REPORT: CheckReport = {
  design: 's06',
  total: 3,
  matched: 2,
  mismatched: 1,
  seconds: 1.2,
  checked_at: '2026-11-27T06:00:00Z',
  cells: [cell('jailhost', 'jailhost/vnetcage', '10.1.1.2', true), cell('jailhost/vnetcage', 'jailhost', '10.1.1.1', true), cell('jailhost/vnetcage', 'internet', '198.51.100.80', true, false)],
};

function render(state: 'up' | 'down' | 'failed'): string {
  return renderToStaticMarkup(createElement(LastCheck, { report: REPORT, state }));
}

describe('LastCheck', () => {
  it('shows when the check was measured above its matrix, every cell of it', () => {
    const html = render('up');
    expect(html).toContain('Last check <time dateTime="2026-11-27T06:00:00Z">');
    expect(html.indexOf('data-testid="lab-report-when"')).toBeLessThan(html.indexOf('data-testid="lab-matrix"'));
    expect(html.match(/<button class="lab-cell /g)).toHaveLength(3);
    expect(html).toContain('data-status="unexpected-block"');
    expect(html).toContain('3 cells</strong>: 2 as expected');
  });

  it('is not marked as earlier while the lab it measured is up', () => {
    const html = render('up');
    expect(html).toContain('data-earlier="false"');
    expect(html).not.toContain('earlier run');
  });

  it('marks the matrix as from an earlier run once the lab is down', () => {
    const html = render('down');
    expect(html).toContain('class="lab-last-check lab-earlier"');
    expect(html).toContain('data-earlier="true"');
    expect(html).toContain('from an earlier run: the lab is down now');
    // Still readable, cell by cell.
    expect(html.match(/<button class="lab-cell /g)).toHaveLength(3);
  });
});
