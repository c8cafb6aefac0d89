import { describe, expect, it } from 'vitest';
import { diffStats, fileLabel, parseUnifiedDiff, sideBySide } from './diff';

const HOST_DIFF = `--- a/alpha/etc/rc.conf
+++ b/alpha/etc/rc.conf
@@ -1,4 +1,4 @@
 hostname="alpha"
-ifconfig_em0="inet 10.1.1.1/24"
+ifconfig_em0="inet 10.1.1.2/24"
 gateway_enable="YES"
 pf_enable="YES"
--- /dev/null
+++ b/alpha/usr/local/etc/dnsmasq.conf
@@ -0,0 +1,2 @@
+interface=bridge0
+dhcp-range=10.1.1.100,10.1.1.199
\\ No newline at end of file
--- a/alpha#operator-script
+++ b/alpha#operator-script
@@ -10,3 +10,2 @@
 sysrc gateway_enable=YES
-sysrc old=1
-sysrc older=2
+sysrc new=1
`;

describe('parseUnifiedDiff', () => {
  const files = parseUnifiedDiff(HOST_DIFF);

  it('splits a host diff into its files', () => {
    expect(files).toHaveLength(3);
    expect(files[0].oldPath).toBe('alpha/etc/rc.conf');
    expect(files[1].oldPath).toBeNull();
    expect(files[1].newPath).toBe('alpha/usr/local/etc/dnsmasq.conf');
    expect(fileLabel(files[0], 'alpha')).toBe('/etc/rc.conf');
    expect(fileLabel(files[2], 'alpha')).toBe('operator script');
  });

  it('numbers old and new lines from the hunk header', () => {
    const lines = files[0].hunks[0].lines;
    expect(lines.map((l) => l.kind)).toEqual(['context', 'removed', 'added', 'context', 'context']);
    expect(lines[1]).toMatchObject({ oldNumber: 2, newNumber: null, text: 'ifconfig_em0="inet 10.1.1.1/24"' });
    expect(lines[2]).toMatchObject({ oldNumber: null, newNumber: 2 });
    expect(lines[4]).toMatchObject({ oldNumber: 4, newNumber: 4 });
    expect(files[2].hunks[0].lines[0]).toMatchObject({ oldNumber: 10, newNumber: 10 });
  });

  it('ignores the no-newline marker and counts changes', () => {
    expect(files[1].hunks[0].lines).toHaveLength(2);
    expect(diffStats(files[1])).toEqual({ added: 2, removed: 0 });
    expect(diffStats(files[2])).toEqual({ added: 1, removed: 2 });
  });

  it('returns nothing for an empty diff', () => {
    expect(parseUnifiedDiff('')).toEqual([]);
  });
});

describe('sideBySide', () => {
  it('pairs removed lines on the left with added lines on the right', () => {
    const rows = sideBySide(parseUnifiedDiff(HOST_DIFF)[0].hunks[0]);
    expect(rows).toHaveLength(4);
    expect(rows[1].left?.text).toContain('10.1.1.1');
    expect(rows[1].right?.text).toContain('10.1.1.2');
    expect(rows[0].left?.kind).toBe('context');
  });

  it('leaves a side empty where one side has more lines', () => {
    const rows = sideBySide(parseUnifiedDiff(HOST_DIFF)[2].hunks[0]);
    expect(rows).toHaveLength(3);
    expect(rows[1].right?.text).toBe('sysrc new=1');
    expect(rows[2].left?.text).toBe('sysrc older=2');
    expect(rows[2].right).toBeNull();
  });

  it('shows a new file on the right only', () => {
    const rows = sideBySide(parseUnifiedDiff(HOST_DIFF)[1].hunks[0]);
    expect(rows.every((r) => r.left === null && r.right?.kind === 'added')).toBe(true);
  });
});
