/** What a user's roles let them do. The server decides it (`project/roles.py`) and says it in `/api/me/`
 * (`actions`): the API enforces it, the UI only offers what will be allowed and says what will not. */
import type { Schemas } from '../api/types';

/** The actions the server checks a role for; `/api/me/` lists the ones the user's roles allow. */
export type RoleAction = Schemas['ActionsEnum'];

/** The actions beyond reading, in the user's words, in the order a hint lists them (`plan_deploy` comes with
 * approving or deploying and is not named on its own). */
const ACTING: readonly [Exclude<RoleAction, 'read'>, string][] = [
  ['edit_design', 'edit designs'],
  ['approve', 'approve change requests'],
  ['deploy', 'deploy and run labs'],
  ['diagnose', 'run diagnostics'],
  ['edit_inventory', 'edit the inventory'],
];

/** Whether the user (their `actions` from `/api/me/`) may perform `action`. */
export function allows(me: { actions: readonly string[] } | null | undefined, action: RoleAction): boolean {
  return Boolean(me?.actions.includes(action));
}

/** How the header describes a user's access: `readOnly` for whoever may read but do nothing else (a viewer), and a
 * `hint` saying what the roles allow and, when it matters, what they do not. */
export interface Access {
  readOnly: boolean;
  hint: string;
}

function list(words: string[], conjunction: 'and' | 'or'): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1]}`;
}

/** The access of a user (their `actions`): read-only only when they may read and nothing more; an operator or an
 * approver acts (on labs, deployments, reviews) and is told only what they cannot do. */
export function accessOf(me: { actions: readonly string[] }): Access {
  if (!allows(me, 'read')) return { readOnly: false, hint: 'No role: ask an admin for one to see designs.' };
  const can = ACTING.filter(([action]) => allows(me, action)).map(([, words]) => words);
  const cannot = ACTING.filter(([action]) => !allows(me, action)).map(([, words]) => words);
  if (can.length === 0) return { readOnly: true, hint: 'You can read everything but change nothing.' };
  if (cannot.length === 0) return { readOnly: false, hint: 'You can do everything.' };
  return { readOnly: false, hint: `You can ${list(can, 'and')}; you cannot ${list(cannot, 'or')}.` };
}
