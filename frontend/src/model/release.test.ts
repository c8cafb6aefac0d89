import { describe, expect, it } from 'vitest';
import { CURRENT_RELEASE, endOfLifeNote } from './release';

describe('FreeBSD releases', () => {
  it('takes the current release from the model default', () => {
    expect(CURRENT_RELEASE).toMatch(/^\d+\.\d+-RELEASE$/);
  });

  it('says when a release is past its end of life, and what new designs run', () => {
    expect(endOfLifeNote('12.1-RELEASE', '15.1-RELEASE')).toBe(
      '12.1-RELEASE is past its end of life (FreeBSD supports 14.x and 15.x); new designs run 15.1-RELEASE.',
    );
    expect(endOfLifeNote('13.5-RELEASE-p2', '15.1-RELEASE')).toContain('past its end of life');
  });

  it('says nothing of supported or unreadable releases', () => {
    expect(endOfLifeNote('14.3-RELEASE', '15.1-RELEASE')).toBeNull();
    expect(endOfLifeNote('15.1-RELEASE', '15.1-RELEASE')).toBeNull();
    expect(endOfLifeNote('16.0-CURRENT', '15.1-RELEASE')).toBeNull();
    expect(endOfLifeNote('', '15.1-RELEASE')).toBeNull();
  });
});
