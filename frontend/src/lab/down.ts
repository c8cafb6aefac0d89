/** Whether the Lab page offers Down, and why (or why not): its button's state and title. */
import type { LabDetail, LabLive } from '../api/labApi';

/** The Down button of a lab: `enabled` (unless an operation runs) and the `title` saying what it would do, or why
 * there is nothing for it to do. */
export interface DownOffer {
  enabled: boolean;
  title: string;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The namespaces and processes of the lab still on the machine, in words, or null when there are none. */
function leftoversOf(live: LabLive): string | null {
  const parts: string[] = [];
  if (live.namespaces_present > 0) parts.push(count(live.namespaces_present, 'namespace', 'namespaces'));
  if (live.processes > 0) parts.push(count(live.processes, 'process', 'processes'));
  return parts.length > 0 ? parts.join(' and ') : null;
}

/** Down is offered while there is something to tear down: a lab that is up, one whose up failed (down removes what it
 * left), and one recorded down of which something is still on the machine. A lab that is down and gone from the
 * machine has nothing to tear down; the title says so instead. */
/** `live` is missing where the lab came from the list (the machine was not asked). */
export function downOffer(lab: (Pick<LabDetail, 'state'> & { live?: LabLive }) | null): DownOffer {
  if (!lab) return { enabled: false, title: 'This design has no lab to tear down.' };
  if (lab.state === 'up') return { enabled: true, title: 'Tear the lab down; nothing of it is left on the machine' };
  if (lab.state === 'failed') {
    return { enabled: true, title: 'Tear down what the failed up left behind; nothing of it is left on the machine' };
  }
  const live = lab.live;
  // Without the machine's word, Down stays offered: it is harmless when nothing is there.
  if (!live) return { enabled: true, title: 'The lab is down; Down makes sure nothing of it is left on the machine' };
  const left = leftoversOf(live);
  if (left) return { enabled: true, title: `The lab is down but the machine still has ${left} of it: Down removes them` };
  if (live.state !== 'down') {
    // No namespace, no process, but the machine still keeps the lab's state (an interrupted down, say).
    return { enabled: true, title: `The lab is down but the machine says “${live.state}”: Down removes what is left of it` };
  }
  return { enabled: false, title: 'The lab is already down and nothing of it is left on the machine' };
}
