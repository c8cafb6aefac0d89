import { describe, expect, it } from 'vitest';
import { earlierRun, lastCheckAction } from './lastCheck';

const CHECKED_AT = '2026-11-27T06:00:00.123456Z';

describe('lastCheckAction', () => {
  it('fetches the last check on load, when the page holds none', () => {
    expect(lastCheckAction({ last_check_at: CHECKED_AT }, null)).toBe('fetch');
  });

  it('keeps the report of the check just made instead of fetching it again', () => {
    expect(lastCheckAction({ last_check_at: CHECKED_AT }, { checked_at: CHECKED_AT })).toBe('keep');
    // The same instant written with an offset is the same check.
    expect(lastCheckAction({ last_check_at: CHECKED_AT }, { checked_at: '2026-11-27T07:00:00.123456+01:00' })).toBe('keep');
  });

  it('fetches a newer check made meanwhile (by a colleague)', () => {
    expect(lastCheckAction({ last_check_at: '2026-11-27T06:05:00Z' }, { checked_at: CHECKED_AT })).toBe('fetch');
  });

  it('drops the report when the lab has no check: never checked, brought up again, or no lab at all', () => {
    expect(lastCheckAction({ last_check_at: null }, { checked_at: CHECKED_AT })).toBe('drop');
    expect(lastCheckAction({ last_check_at: null }, null)).toBe('drop');
    expect(lastCheckAction(null, { checked_at: CHECKED_AT })).toBe('drop');
  });
});

describe('earlierRun', () => {
  it('says nothing while the lab that was measured is up', () => {
    expect(earlierRun('up')).toBeNull();
  });

  it('says the lab is down (or failed) when it is no longer up', () => {
    expect(earlierRun('down')).toMatch(/the lab is down now/);
    expect(earlierRun('failed')).toMatch(/the lab is failed now/);
  });
});
