import { describe, expect, it } from 'vitest';
import { FIELDS, FOREIGN_KEYS } from './kinds';

describe('kinds derived from the generated model fields', () => {
  it('knows every foreign key and the kind it points at', () => {
    expect(FOREIGN_KEYS).toEqual({
      host: { design: 'design' },
      interface: { host: 'host', parent: 'interface' },
      switch: { host: 'host' },
      switchPort: { switch: 'switch', interface: 'interface' },
      jail: { host: 'host' },
      jailNic: { jail: 'jail', switch: 'switch' },
      jailAddress: { jail: 'jail' },
      vm: { host: 'host' },
      vmNic: { vm: 'vm', switch: 'switch' },
      vxlanSegment: { design: 'design' },
      vxlanMember: { segment: 'vxlanSegment', host: 'host', underlay_interface: 'interface', switch: 'switch' },
      dhcpService: { host: 'host', switch: 'switch' },
      dhcpLease: { service: 'dhcpService' },
      nat: { host: 'host' },
      redirect: { host: 'host', target_jail: 'jail', target_vm: 'vm' },
    });
  });

  it('leaves owners, list positions and references drawn on the canvas out of the panel', () => {
    expect(FIELDS.jailNic.map((f) => f.name)).toEqual(['name', 'address', 'dhcp', 'mac', 'mtu', 'private']);
    expect(FIELDS.vmNic.map((f) => f.name)).toEqual(['address', 'dhcp', 'mac', 'mtu', 'private']);
    expect(FIELDS.vxlanMember.map((f) => f.name)).not.toContain('segment');
  });

  it("checks a field with the model's validators: format, pattern and range", () => {
    const field = (kind: keyof typeof FIELDS, name: string) => FIELDS[kind].find((f) => f.name === name)!;
    expect(field('jailNic', 'name').check!('eth0')).toBe('vnet0, vnet1 ...');
    expect(field('jailNic', 'name').check!('vnet1')).toBeNull();
    expect(field('vm', 'memory').check!('lots')).toBe('a size such as 512M or 20G.');
    expect(field('interface', 'vlan_tag').check!('4095')).toBe('A whole number from 1 to 4094');
    expect(field('interface', 'address').check!('10.1.1.1')).toMatch(/prefix length/);
    expect(field('switch', 'mtu').check!('')).toBeNull();
    expect(field('vxlanSegment', 'mode').choices).toEqual(['multicast', 'unicast']);
    expect(field('interface', 'parent')).toMatchObject({ type: 'ref', refKind: 'interface', label: 'VLAN parent' });
    expect(field('host', 'name').required).toBe(true);
  });
});
