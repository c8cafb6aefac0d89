import { describe, expect, it } from 'vitest';
import { currentSections } from './Header';

describe('currentSections', () => {
  it('marks exactly one section current on every page', () => {
    expect(currentSections('#/')).toEqual(['Designs']);
    expect(currentSections('#/designs/10')).toEqual(['Designs']);
    expect(currentSections('#/designs/10/history')).toEqual(['Designs']);
    // A design's lab is the Lab section (it was marked as both Designs and Lab).
    expect(currentSections('#/designs/10/lab')).toEqual(['Lab']);
    expect(currentSections('#/lab')).toEqual(['Lab']);
    expect(currentSections('#/jobs/5')).toEqual(['Jobs']);
    expect(currentSections('#/change-requests/1')).toEqual(['Change requests']);
  });
});
