import { describe, expect, it } from 'vitest';
import type { LabLive } from '../api/labApi';
import { downOffer } from './down';

function live(overrides: Partial<LabLive> = {}): LabLive {
  return {
    design: 's06',
    lab_id: 'jn1a2b3c',
    state: 'down',
    namespaces_expected: 0,
    namespaces_present: 0,
    processes: 0,
    sshd_alive: 0,
    started: null,
    error: null,
    built_from: '',
    design_changed: false,
    recorded_state: 'down',
    ...overrides,
  };
}

describe('downOffer', () => {
  it('is disabled when the lab is down and nothing of it is left on the machine, and says so', () => {
    const offer = downOffer({ state: 'down', live: live() });
    expect(offer.enabled).toBe(false);
    expect(offer.title).toMatch(/already down and nothing of it is left/);
  });

  it('tears down a lab that is up', () => {
    const up = live({ state: 'up', namespaces_expected: 3, namespaces_present: 3, processes: 2, sshd_alive: 1, recorded_state: 'up' });
    expect(downOffer({ state: 'up', live: up }).enabled).toBe(true);
  });

  it('stays enabled when the up failed, even with nothing on the machine: down cleans up after it', () => {
    const offer = downOffer({ state: 'failed', live: live({ recorded_state: 'failed' }) });
    expect(offer.enabled).toBe(true);
    expect(offer.title).toMatch(/failed up/);
  });

  it('stays enabled when a lab recorded down left namespaces or processes behind, naming them', () => {
    const namespaces = downOffer({ state: 'down', live: live({ state: 'up', namespaces_present: 2 }) });
    expect(namespaces.enabled).toBe(true);
    expect(namespaces.title).toContain('2 namespaces');
    const process = downOffer({ state: 'down', live: live({ processes: 1 }) });
    expect(process.enabled).toBe(true);
    expect(process.title).toContain('1 process of it');
  });

  it('stays enabled when the machine still keeps the state of a lab recorded down', () => {
    const offer = downOffer({ state: 'down', live: live({ state: 'up' }) });
    expect(offer.enabled).toBe(true);
    expect(offer.title).toContain('the machine says “up”');
  });

  it('stays enabled for a lab recorded down when the machine was not asked: down is harmless', () => {
    expect(downOffer({ state: 'down' }).enabled).toBe(true);
  });

  it('is disabled when the design has no lab', () => {
    expect(downOffer(null)).toEqual({ enabled: false, title: 'This design has no lab to tear down.' });
  });
});
