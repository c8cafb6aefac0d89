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
    expect(cellText({ vni: 111, local: '192.168.0.2', remote: null, multicast: true })).toBe('vni 111 local 192.168.0.2 multicast');
    expect(cellText(null)).toBe('');
  });

  it("shows an interface's addresses as CIDR, not as JSON", () => {
    const addresses = [
      { family: 'inet', address: '10.0.0.1', prefixlen: 24, broadcast: '10.0.0.255', netmask: '0xffffff00', scope: null },
      { family: 'inet6', address: 'fe80::1', prefixlen: 64, broadcast: null, netmask: null, scope: '0x2' },
      { family: 'inet', address: '10.9.0.1', prefixlen: null },
    ];
    expect(cellText(addresses)).toBe('10.0.0.1/24, fe80::1/64 scope 0x2, 10.9.0.1/?');
    expect(cellText([{ name: 'vxlan111', flags: ['LEARNING', 'PRIVATE'], port: 5, priority: null }])).toBe(
      'name vxlan111 flags LEARNING,PRIVATE port 5',
    );
  });
});
