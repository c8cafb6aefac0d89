/**
 * A small unified-diff parser for the per-host diffs of change requests and revisions, and the rows
 * of a side-by-side view (left: before, right: after). Removed and added lines of one change block
 * are paired row by row, as a reviewer reads them.
 */

export type DiffLineKind = 'context' | 'removed' | 'added';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  oldNumber: number | null;
  newNumber: number | null;
}

export interface DiffHunk {
  header: string;
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

export interface DiffFile {
  /** Path before (`null` when the file is new). */
  oldPath: string | null;
  /** Path after (`null` when the file was removed). */
  newPath: string | null;
  hunks: DiffHunk[];
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

function pathOf(header: string): string | null {
  // "--- a/host/etc/rc.conf\t2024-…": the name ends at a tab (difflib puts dates there when given).
  const name = header.slice(4).split('\t')[0].trim();
  if (name === '/dev/null') return null;
  return name.replace(/^[ab]\//, '');
}

/** Parse a unified diff (several files, several hunks each); text outside files and hunks is ignored. */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffHunk | null = null;
  let oldLine = 0;
  let newLine = 0;
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('--- ') && i + 1 < lines.length && lines[i + 1].startsWith('+++ ')) {
      file = { oldPath: pathOf(line), newPath: pathOf(lines[i + 1]), hunks: [] };
      files.push(file);
      hunk = null;
      i++;
      continue;
    }
    const header = HUNK_HEADER.exec(line);
    if (header && file) {
      oldLine = Number(header[1]);
      newLine = Number(header[3]);
      hunk = { header: line, oldStart: oldLine, newStart: newLine, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (!hunk) continue;
    if (line.startsWith('\\')) continue; // "\ No newline at end of file"
    const mark = line[0];
    const body = line.slice(1);
    if (mark === '-') hunk.lines.push({ kind: 'removed', text: body, oldNumber: oldLine++, newNumber: null });
    else if (mark === '+') hunk.lines.push({ kind: 'added', text: body, oldNumber: null, newNumber: newLine++ });
    else hunk.lines.push({ kind: 'context', text: mark === ' ' ? body : line, oldNumber: oldLine++, newNumber: newLine++ });
  }
  return files;
}

export interface SideBySideCell {
  number: number;
  text: string;
  kind: DiffLineKind;
}

export interface SideBySideRow {
  left: SideBySideCell | null;
  right: SideBySideCell | null;
}

/** Rows of a side-by-side view of one hunk: context on both sides, removed left, added right, paired. */
export function sideBySide(hunk: DiffHunk): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  let removed: DiffLine[] = [];
  let added: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      const l = removed[i];
      const r = added[i];
      rows.push({
        left: l ? { number: l.oldNumber!, text: l.text, kind: 'removed' } : null,
        right: r ? { number: r.newNumber!, text: r.text, kind: 'added' } : null,
      });
    }
    removed = [];
    added = [];
  };
  for (const line of hunk.lines) {
    if (line.kind === 'removed') {
      if (added.length) flush();
      removed.push(line);
    } else if (line.kind === 'added') added.push(line);
    else {
      flush();
      rows.push({
        left: { number: line.oldNumber!, text: line.text, kind: 'context' },
        right: { number: line.newNumber!, text: line.text, kind: 'context' },
      });
    }
  }
  flush();
  return rows;
}

/** How many lines a file's diff adds and removes. */
export function diffStats(file: DiffFile): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const hunk of file.hunks)
    for (const line of hunk.lines) {
      if (line.kind === 'added') added++;
      else if (line.kind === 'removed') removed++;
    }
  return { added, removed };
}

/** A file's display name inside a host diff: `host/etc/rc.conf` → `/etc/rc.conf`, `host#operator-script` → operator script. */
export function fileLabel(file: DiffFile, hostName: string): string {
  const path = file.newPath ?? file.oldPath ?? '';
  const inside = path.startsWith(hostName) ? path.slice(hostName.length) : path;
  return inside === '#operator-script' ? 'operator script' : inside;
}
