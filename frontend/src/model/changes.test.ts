import { describe, expect, it } from 'vitest';
import { auditQuery, canApprove, canDeploy, canReview, canSubmit, changeRequestQuery, fieldChanges, NO_AUDIT_FILTERS, NO_CHANGE_REQUEST_FILTERS, withParams } from './changes';

describe('change-request list filters', () => {
  it('sends nothing but the ordering without filters', () => {
    expect(changeRequestQuery(NO_CHANGE_REQUEST_FILTERS).toString()).toBe('ordering=-created');
  });

  it('sends mine, waiting for my review, several states and the design', () => {
    const query = changeRequestQuery({ mine: true, waitingForMe: true, states: ['submitted', 'approved'], design: ' s10 ' });
    expect(query.get('mine')).toBe('true');
    expect(query.get('waiting_for_me')).toBe('true');
    expect(query.getAll('state')).toEqual(['submitted', 'approved']);
    expect(query.get('design')).toBe('s10');
  });
});

describe('audit filters', () => {
  it('leaves out empty filters and pages', () => {
    expect(auditQuery(NO_AUDIT_FILTERS, { limit: 50, offset: 100 })).toEqual({ ordering: '-time', limit: 50, offset: 100 });
  });

  it('sends the time range as ISO instants', () => {
    const query = auditQuery({ ...NO_AUDIT_FILTERS, user: 'dana', object_type: 'jail', since: '2026-01-02T03:04' });
    expect(query.user).toBe('dana');
    expect(query.object_type).toBe('jail');
    expect(String(query.since)).toMatch(/^2026-01-0[12]T\d\d:04:00\.000Z$/);
    expect(query.until).toBeUndefined();
  });

  it('builds export links', () => {
    expect(withParams('/api/audit-entries/export/', { as: 'csv', user: 'dana', host: undefined })).toBe('/api/audit-entries/export/?as=csv&user=dana');
  });
});

describe('fieldChanges', () => {
  it('shows only changed fields of an update, without bookkeeping', () => {
    const changes = fieldChanges({ name: 'a', address: '10.1.1.1/24', version: 1 }, { name: 'a', address: '10.1.1.2/24', version: 2 });
    expect(changes).toEqual([{ field: 'address', before: '10.1.1.1/24', after: '10.1.1.2/24' }]);
  });

  it('shows every field of a create and of a delete', () => {
    expect(fieldChanges(null, { name: 'a', vnet: true })).toEqual([
      { field: 'name', before: undefined, after: 'a' },
      { field: 'vnet', before: undefined, after: 'true' },
    ]);
    expect(fieldChanges({ name: 'a' }, null)).toEqual([{ field: 'name', before: 'a', after: undefined }]);
  });

  it('names the objects reference fields point at, keeping the id', () => {
    const references = { host_id: { kind: 'host', id: 18, name: 'jailhost-a' }, switch_id: { kind: 'switch', id: 3, name: null } };
    expect(fieldChanges(null, { host_id: 18, switch_id: 3, name: 'vnet0' }, references)).toEqual([
      { field: 'host', before: undefined, after: 'jailhost-a (#18)' },
      { field: 'switch', before: undefined, after: '3' }, // deleted since: the id is all there is
      { field: 'name', before: undefined, after: 'vnet0' },
    ]);
  });
});

describe('who may do what', () => {
  const request = { author: 'dana', state: 'submitted', stale: false };
  it('never lets the author review their own request', () => {
    expect(canReview({ username: 'dana', actions: ['approve', 'edit_design', 'read'] }, request)).toBe(false);
    expect(canReview({ username: 'alex', actions: ['approve', 'read'] }, request)).toBe(true);
    expect(canReview({ username: 'vic', actions: ['read'] }, request)).toBe(false);
    expect(canReview({ username: 'alex', actions: ['approve', 'read'] }, { ...request, stale: true })).toBe(false);
  });

  it('never lets a contributor approve, but lets them request changes', () => {
    const changed = { ...request, contributors: ['dana', 'alex'] };
    expect(canReview({ username: 'alex', actions: ['approve', 'read'] }, changed)).toBe(true);
    expect(canApprove({ username: 'alex', actions: ['approve', 'read'] }, changed)).toBe(false);
    expect(canApprove({ username: 'sam', actions: ['approve', 'read'] }, changed)).toBe(true);
  });

  it('lets operators deploy approved, current requests', () => {
    expect(canDeploy({ username: 'olga', actions: ['deploy', 'diagnose', 'edit_inventory', 'read'] }, { ...request, state: 'approved' })).toBe(true);
    expect(canDeploy({ username: 'olga', actions: ['deploy', 'diagnose', 'edit_inventory', 'read'] }, request)).toBe(false);
    expect(canDeploy({ username: 'alex', actions: ['approve', 'read'] }, { ...request, state: 'approved' })).toBe(false);
  });

  it('lets designers submit drafts', () => {
    expect(canSubmit({ username: 'dana', actions: ['edit_design', 'read'] }, { ...request, state: 'draft' })).toBe(true);
    expect(canSubmit({ username: 'dana', actions: ['edit_design', 'read'] }, request)).toBe(false);
  });
});
