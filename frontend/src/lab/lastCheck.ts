/** The lab's last check as the Lab page shows it: which report to hold, and whether it still describes the lab. */
import type { CheckReport, Lab, LabState } from '../api/labApi';

/** What the page does with the report it holds once it has (re)loaded the lab. */
export type LastCheckAction = 'keep' | 'fetch' | 'drop';

function sameInstant(a: string, b: string): boolean {
  return Date.parse(a) === Date.parse(b);
}

/** `keep` the report held when it is the lab's last check (e.g. the answer of the Check just made), `fetch` the
 * lab's last check when it is another one (reload, or a colleague checked meanwhile), `drop` it when the lab has
 * none (never checked, or brought up again since: a new lab has not been checked). */
export function lastCheckAction(lab: Pick<Lab, 'last_check_at'> | null, held: Pick<CheckReport, 'checked_at'> | null): LastCheckAction {
  if (!lab?.last_check_at) return 'drop';
  return held && sameInstant(held.checked_at, lab.last_check_at) ? 'keep' : 'fetch';
}

/** Why a kept check no longer describes a running lab (it is from an earlier run), or null while its lab is up. */
export function earlierRun(state: LabState): string | null {
  return state === 'up' ? null : `the lab is ${state} now, so this matrix may no longer hold`;
}
