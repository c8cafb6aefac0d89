/**
 * Which kinds of switch a host can have, most likely first: a vm-bhyve switch where vm-bhyve is installed
 * (its VMs and jails share it), pot's bridge where pot is, a plain bridge everywhere. The kinds whose tool
 * the host lacks come last; choosing one declares the tool on the host (as adding a VM does).
 */
import type { Schemas } from '../api/types';

export type SwitchKind = Schemas['SwitchKindEnum'];

interface HostTools {
  has_vm_bhyve?: boolean;
  has_pot?: boolean;
}

/** The host flag a switch kind needs (null: none, a plain bridge). */
export function toolFlagFor(kind: string): 'has_vm_bhyve' | 'has_pot' | null {
  if (kind === 'vm-switch') return 'has_vm_bhyve';
  if (kind === 'pot-bridge') return 'has_pot';
  return null;
}

/** Every switch kind for `host`: those its tools allow first (the most likely first), then the others. */
export function switchKindsFor(host: HostTools | undefined): SwitchKind[] {
  const all: SwitchKind[] = ['vm-switch', 'pot-bridge', 'bridge'];
  const allowed = (kind: SwitchKind) => {
    const flag = toolFlagFor(kind);
    return flag === null || Boolean(host?.[flag]);
  };
  return [...all.filter(allowed), ...all.filter((k) => !allowed(k))];
}

/** The label of a kind in the choice list: says which tool choosing it adds to the host. */
export function switchKindLabel(host: HostTools | undefined, kind: string): string {
  const flag = toolFlagFor(kind);
  if (flag === null || host?.[flag]) return kind;
  return `${kind} (adds ${flag === 'has_vm_bhyve' ? 'vm-bhyve' : 'pot'} to the host)`;
}
