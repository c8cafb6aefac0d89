import type { CheckReport, LabState } from '../api/labApi';
import { earlierRun } from '../lab/lastCheck';
import { ReachabilityMatrix } from './ReachabilityMatrix';

/** The lab's last check: when it was measured, whether the lab it measured is still up, and its matrix. */
export function LastCheck({ report, state }: { report: CheckReport; state: LabState }) {
  const earlier = earlierRun(state);
  return (
    <section className={`lab-last-check${earlier ? ' lab-earlier' : ''}`} aria-label="Last check" data-testid="lab-report" data-earlier={earlier ? 'true' : 'false'}>
      <p className="lab-report-when" data-testid="lab-report-when">
        Last check <time dateTime={report.checked_at}>{new Date(report.checked_at).toLocaleString()}</time>
        {earlier && <strong className="lab-warn"> — from an earlier run: {earlier}.</strong>}
      </p>
      <ReachabilityMatrix report={report} />
    </section>
  );
}
