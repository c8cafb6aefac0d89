import { describe, expect, it } from 'vitest';
import { switchKindLabel, switchKindsFor, toolFlagFor } from './switchKinds';

describe('switchKindsFor', () => {
  it('offers a vm-bhyve switch first on a host with vm-bhyve', () => {
    expect(switchKindsFor({ has_vm_bhyve: true })).toEqual(['vm-switch', 'bridge', 'pot-bridge']);
  });
  it("offers pot's bridge first on a host with pot, and a bridge first on a bare host", () => {
    expect(switchKindsFor({ has_pot: true })).toEqual(['pot-bridge', 'bridge', 'vm-switch']);
    expect(switchKindsFor({})[0]).toBe('bridge');
  });
  it('says which tool a kind adds to the host', () => {
    expect(switchKindLabel({}, 'vm-switch')).toBe('vm-switch (adds vm-bhyve to the host)');
    expect(switchKindLabel({ has_vm_bhyve: true }, 'vm-switch')).toBe('vm-switch');
    expect(toolFlagFor('bridge')).toBeNull();
  });
});
