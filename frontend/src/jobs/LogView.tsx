import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { lineText, type LogLine } from './logLines';

const LINE_HEIGHT = 18;
const VIEW_HEIGHT = 420;
const OVERSCAN = 20;

/** A job's log: only the visible lines are in the page (a log of a million lines scrolls like one of ten), follow
 * (keeps the newest line in view), search (shows the lines that contain the text), download (the whole file). */
export const LogView = memo(function LogView({
  lines,
  version,
  downloadUrl,
}: {
  /** Every line so far; the array grows in place, `version` says when. */
  lines: readonly LogLine[];
  version: number;
  downloadUrl: string;
}) {
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const [scrollTop, setScrollTop] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const shown = useMemo(() => {
    void version; // recomputed when lines grow
    const needle = search.trim().toLowerCase();
    return needle ? lines.filter((line) => lineText(line).toLowerCase().includes(needle)) : [...lines];
  }, [lines, version, search]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [follow, shown.length]);

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((scrollTop + VIEW_HEIGHT) / LINE_HEIGHT) + OVERSCAN);
  return (
    <section className="job-log" aria-label="Log">
      <div className="job-log-bar">
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} data-testid="log-follow" /> Follow
        </label>
        <input
          type="search"
          placeholder="Search the log"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-label="Search the log"
          data-testid="log-search"
        />
        <span className="muted" data-testid="log-count">
          {search ? `${shown.length} of ${lines.length} lines` : `${lines.length} lines`}
        </span>
        <a href={downloadUrl} download data-testid="log-download">Download</a>
      </div>
      <div
        className="job-log-lines"
        ref={box}
        style={{ height: VIEW_HEIGHT }}
        onScroll={(e) => {
          const el = e.currentTarget;
          setScrollTop(el.scrollTop);
          // Scrolling up stops following; back at the bottom, it follows again.
          setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_HEIGHT);
        }}
        data-testid="job-log"
        data-lines={lines.length}
      >
        <div style={{ height: shown.length * LINE_HEIGHT, position: 'relative' }}>
          {shown.slice(first, last).map((line, i) => (
            <div
              key={first + i}
              className={`job-log-line job-log-${line.stream}`}
              style={{ position: 'absolute', top: (first + i) * LINE_HEIGHT, height: LINE_HEIGHT }}
            >
              {line.host && <span className="job-log-host">[{line.host}]</span>} {line.text}
            </div>
          ))}
        </div>
      </div>
    </section>
  );
});
