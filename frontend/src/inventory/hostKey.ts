/** What the inventory pages say about a host's key, and what an operator may do about it. Pure, tested. */
import type { HostKeyState } from '../api/inventoryApi';

export interface KeyView {
  /** One line for the list and the detail page. */
  label: string;
  /** `ok`: connections allowed; `wait`: needs a confirmation; `stop`: stopped (changed key). */
  tone: 'ok' | 'wait' | 'stop';
  /** Which pin form the detail page shows. */
  action: 'none' | 'confirm' | 'repin';
}

/** How a host's key state reads, and which action the detail page offers for it. */
export function keyView(state: HostKeyState, pinnedFingerprint: string, offeredFingerprint: string): KeyView {
  switch (state) {
    case 'pinned':
      return { label: `Pinned ${pinnedFingerprint}`, tone: 'ok', action: 'none' };
    case 'offered':
      return { label: `Offered ${offeredFingerprint}: check it and confirm`, tone: 'wait', action: 'confirm' };
    case 'changed':
      return {
        label: `Host key changed: the host now offers ${offeredFingerprint || 'another key'}, not the pinned ${pinnedFingerprint}. Every connection to it is stopped.`,
        tone: 'stop',
        action: 'repin',
      };
    default:
      return { label: 'Not contacted yet: test the connection, or paste the host key', tone: 'wait', action: 'confirm' };
  }
}

/** A fingerprint as typed or pasted: trimmed, with the `SHA256:` prefix `ssh-keygen -l` prints added when left out. */
export function normaliseFingerprint(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  return /^(SHA256|MD5):/.test(trimmed) ? trimmed : `SHA256:${trimmed}`;
}

/** The facts worth a line each on the detail page, in the order an operator reads them. */
export function factLines(facts: unknown): [string, string][] {
  if (!facts || typeof facts !== 'object') return [];
  const f = facts as Record<string, unknown>;
  const lines: [string, string][] = [];
  if (typeof f.release === 'string' && f.release) lines.push(['Release', f.release]);
  if (typeof f.uname === 'string' && f.uname) lines.push(['uname -a', f.uname]);
  if (f.tools && typeof f.tools === 'object') lines.push(['Tools', Object.keys(f.tools).sort().join(', ') || 'none']);
  if (Array.isArray(f.missing_tools) && f.missing_tools.length) lines.push(['Missing', f.missing_tools.join(', ')]);
  if (Array.isArray(f.interfaces)) lines.push(['Interfaces', f.interfaces.join(' ')]);
  return lines;
}
