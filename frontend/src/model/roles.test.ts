import { describe, expect, it } from 'vitest';
import { accessOf, allows } from './roles';

// What /api/me/ answers for each role (tests/project/test_auth_api.py checks the server's side).
const VIEWER = { actions: ['read'] };
const DESIGNER = { actions: ['edit_design', 'read'] };
const APPROVER = { actions: ['approve', 'plan_deploy', 'read'] };
const OPERATOR = { actions: ['deploy', 'diagnose', 'edit_inventory', 'plan_deploy', 'read'] };
const ADMIN = { actions: ['approve', 'deploy', 'diagnose', 'edit_design', 'edit_inventory', 'plan_deploy', 'read'] };
const NO_ROLE = { actions: [] };

describe('allows', () => {
  it('follows what the server says the user may do', () => {
    expect(allows(DESIGNER, 'edit_design')).toBe(true);
    expect(allows(OPERATOR, 'edit_design')).toBe(false);
    expect(allows(OPERATOR, 'deploy')).toBe(true);
    expect(allows(APPROVER, 'approve')).toBe(true);
    expect(allows(APPROVER, 'deploy')).toBe(false);
  });

  it('allows nothing without a user', () => {
    expect(allows(null, 'read')).toBe(false);
    expect(allows(NO_ROLE, 'read')).toBe(false);
  });
});

describe('accessOf', () => {
  it('calls a viewer read-only', () => {
    expect(accessOf(VIEWER)).toEqual({ readOnly: true, hint: 'You can read everything but change nothing.' });
  });

  it('does not call an operator read-only: they run labs and deploy, only designs are not theirs to edit', () => {
    const access = accessOf(OPERATOR);
    expect(access.readOnly).toBe(false);
    expect(access.hint).toMatch(/^You can deploy and run labs, run diagnostics and edit the inventory; you cannot edit designs/);
  });

  it('does not call an approver read-only either', () => {
    const access = accessOf(APPROVER);
    expect(access.readOnly).toBe(false);
    expect(access.hint).toContain('cannot edit designs');
  });

  it('tells a designer what they cannot do besides editing', () => {
    expect(accessOf(DESIGNER).hint).toBe(
      'You can edit designs; you cannot approve change requests, deploy and run labs, run diagnostics or edit the inventory.',
    );
  });

  it('has nothing to restrict for an admin', () => {
    expect(accessOf(ADMIN)).toEqual({ readOnly: false, hint: 'You can do everything.' });
  });

  it('does not call a user without a role read-only: they cannot even read', () => {
    expect(accessOf(NO_ROLE).readOnly).toBe(false);
  });
});
