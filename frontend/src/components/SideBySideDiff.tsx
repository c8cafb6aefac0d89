import { memo, useMemo } from 'react';
import { diffStats, fileLabel, parseUnifiedDiff, sideBySide, type SideBySideCell } from '../model/diff';

function Cell({ cell, side }: { cell: SideBySideCell | null; side: 'left' | 'right' }) {
  if (!cell) return <><td className="ln empty" /><td className={`code empty ${side}`} /></>;
  return (
    <>
      <td className="ln">{cell.number}</td>
      <td className={`code ${cell.kind} ${side}`} data-side={side}>
        <span className="mark">{cell.kind === 'removed' ? '−' : cell.kind === 'added' ? '+' : ' '}</span>
        {cell.text}
      </td>
    </>
  );
}

/**
 * A unified diff shown side by side, file by file: left what is deployed (or the older revision),
 * right what this request (or the newer revision) brings. `hostName` shortens the file names.
 */
export const SideBySideDiff = memo(function SideBySideDiff({
  diff,
  hostName = '',
  leftTitle = 'deployed',
  rightTitle = 'this request',
  onCommentLine,
  label,
}: {
  diff: string;
  /** The name shown above a single-file diff (default: the file's path). */
  label?: string;
  hostName?: string;
  leftTitle?: string;
  rightTitle?: string;
  onCommentLine?: (file: string, line: number) => void;
}) {
  const files = useMemo(() => parseUnifiedDiff(diff), [diff]);
  if (!files.length) return <p className="muted" data-testid="no-diff">No change.</p>;
  return (
    <div className="diff" data-testid="side-by-side-diff">
      {files.map((file, index) => {
        const name = label ?? fileLabel(file, hostName);
        const stats = diffStats(file);
        return (
          <section key={index} className="diff-file">
            <h4>
              <code>{name}</code>
              {file.oldPath === null && <span className="tag added">new</span>}
              {file.newPath === null && <span className="tag removed">removed</span>}
              <span className="diff-stats"><span className="plus">+{stats.added}</span> <span className="minus">−{stats.removed}</span></span>
            </h4>
            <table className="diff-table">
              <colgroup><col className="ln-col" /><col /><col className="ln-col" /><col /></colgroup>
              <thead>
                <tr><th colSpan={2}>{leftTitle}</th><th colSpan={2}>{rightTitle}</th></tr>
              </thead>
              {file.hunks.map((hunk, h) => (
                <tbody key={h}>
                  <tr className="hunk"><td colSpan={4}>{hunk.header}</td></tr>
                  {sideBySide(hunk).map((row, r) => (
                    <tr
                      key={r}
                      onDoubleClick={onCommentLine && row.right ? () => onCommentLine(name, row.right!.number) : undefined}
                      title={onCommentLine && row.right ? 'Double-click to comment on this line' : undefined}
                    >
                      <Cell cell={row.left} side="left" />
                      <Cell cell={row.right} side="right" />
                    </tr>
                  ))}
                </tbody>
              ))}
            </table>
          </section>
        );
      })}
    </div>
  );
});
