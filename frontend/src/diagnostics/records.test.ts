import { describe, expect, it } from 'vitest';
import { cellText, columnsOf, shownRows } from './records';

const arp = [
  { ip: '10.0.0.10', mac: 'aa:bb', interface: 'em0', expires: 1200 },
  { ip: '10.0.0.2', mac: 'cc:dd', interface: 'vxlan111', expires: 30 },
  { ip: '10.0.0.9', mac: null, interface: 'em0', expires: null, flags: ['permanent'] },
];

describe('records table', () => {
  it('takes the columns from every record, in the order first seen', () => {
    expect(columnsOf(arp)).toEqual(['ip', 'mac', 'interface', 'expires', 'flags']);
  });

  it('sorts addresses as a person reads them and numbers as numbers', () => {
    expect(shownRows(arp, '', 'ip', false).map((r) => r.ip)).toEqual(['10.0.0.2', '10.0.0.9', '10.0.0.10']);
    expect(shownRows(arp, '', 'expires', true).map((r) => r.expires)).toEqual([1200, 30, null]);
  });

  it('filters on any cell, case-insensitively', () => {
    expect(shownRows(arp, 'VXLAN', null, false).map((r) => r.ip)).toEqual(['10.0.0.2']);
    expect(shownRows(arp, 'permanent', null, false)).toHaveLength(1);
  });

  it('shows lists and objects as text and nothing as empty', () => {
    expect(cellText(['a', 'b'])).toBe('a, b');
    expect(cellText({ vni: 111 })).toBe('{"vni":111}');
    expect(cellText(null)).toBe('');
  });
});
