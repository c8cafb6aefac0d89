/** FreeBSD releases: which one new designs get, and whether a design's is still supported. Pure. */
import { GENERATED_KINDS } from './kinds.generated';

/** The release a new design defaults to (the server's model default: the newest supported FreeBSD). */
export const CURRENT_RELEASE = String(GENERATED_KINDS.design.fields.find((f) => f.name === 'default_release')?.default ?? '');

function major(release: string): number | null {
  const m = /^(\d{1,2})(\.\d{1,2})?-/.exec(release.trim());
  return m ? Number(m[1]) : null;
}

/**
 * A note for a release older than FreeBSD still supports (it keeps two major branches: the current one and the
 * one before), or null. The article's examples run 12.1-RELEASE, long past its end of life.
 */
export function endOfLifeNote(release: string, current: string = CURRENT_RELEASE): string | null {
  const wanted = major(release);
  const newest = major(current);
  if (wanted === null || newest === null || wanted >= newest - 1) return null;
  return `${release.trim()} is past its end of life (FreeBSD supports ${newest - 1}.x and ${newest}.x); new designs run ${current}.`;
}
