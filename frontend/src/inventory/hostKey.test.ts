import { describe, expect, it } from 'vitest';
import { factLines, keyView, normaliseFingerprint } from './hostKey';

describe('keyView', () => {
  it('offers a confirmation for an offered key, showing its fingerprint', () => {
    expect(keyView('offered', '', 'SHA256:abc')).toEqual({
      label: 'Offered SHA256:abc: check it and confirm',
      tone: 'wait',
      action: 'confirm',
    });
  });
  it('stops a host whose key changed and offers a re-pin naming both keys', () => {
    const view = keyView('changed', 'SHA256:old', 'SHA256:new');
    expect(view.tone).toBe('stop');
    expect(view.action).toBe('repin');
    expect(view.label).toContain('SHA256:new');
    expect(view.label).toContain('SHA256:old');
  });
  it('offers nothing for a pinned key', () => {
    expect(keyView('pinned', 'SHA256:k', '').action).toBe('none');
  });
});

describe('normaliseFingerprint', () => {
  it('adds the SHA256 prefix ssh-keygen prints and trims', () => {
    expect(normaliseFingerprint('  abc ')).toBe('SHA256:abc');
    expect(normaliseFingerprint('SHA256:abc')).toBe('SHA256:abc');
    expect(normaliseFingerprint(' ')).toBe('');
  });
});

describe('factLines', () => {
  it('lists release, uname, tools, missing tools and interfaces', () => {
    const lines = factLines({
      release: '14.1-RELEASE',
      uname: 'FreeBSD jh 14.1-RELEASE',
      tools: { vm: '/usr/local/sbin/vm', iocage: '/usr/local/bin/iocage' },
      missing_tools: ['pot'],
      interfaces: ['em0', 'lo0'],
    });
    expect(lines).toEqual([
      ['Release', '14.1-RELEASE'],
      ['uname -a', 'FreeBSD jh 14.1-RELEASE'],
      ['Tools', 'iocage, vm'],
      ['Missing', 'pot'],
      ['Interfaces', 'em0 lo0'],
    ]);
  });
  it('is empty without facts', () => {
    expect(factLines({})).toEqual([]);
    expect(factLines(null)).toEqual([]);
  });
});
