import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { designsApi } from '../api/designApi';
import { ENDED_STATES, jobApi, type JobsAvailability } from '../api/jobApi';
import { labApi, type CheckReport, type Lab, type LabDetail } from '../api/labApi';
import type { Design, Me } from '../api/types';
import { Header } from '../components/Header';
import { LastCheck } from '../components/LastCheck';
import { JobView } from '../jobs/JobView';
import { downOffer } from '../lab/down';
import { lastCheckAction } from '../lab/lastCheck';
import { allows } from '../model/roles';
import { useSessionStore } from '../store/sessionStore';
import '../lab.css';

/** Whether `me` may run a lab (the API's `deploy` action: an operator or an admin); the API enforces it anyway. */
export function canRunLabs(me: Me | null): boolean {
  return allows(me, 'deploy');
}

type Operation = 'up' | 'check' | 'down';

function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

function StateBadge({ state }: { state: string }) {
  const symbol = state === 'up' ? '●' : state === 'failed' ? '✗' : '○';
  return <span className={`lab-state lab-state-${state}`} data-testid="lab-state">{symbol} {state}</span>;
}

interface Refusal {
  status: number;
  message: string;
}

function refusalOf(error: unknown): Refusal {
  if (error instanceof ApiError) {
    if (error.status === 403) return { status: 403, message: 'Your roles do not allow this: running a lab needs the operator or admin role.' };
    return { status: error.status, message: error.message };
  }
  return { status: 0, message: error instanceof Error ? error.message : String(error) };
}

/** The lab of one design: its state, Up / Check / Down for operators, and the reachability matrix of the last check
 * (kept by the server: a reload, or a colleague opening the page, shows it too). */
function DesignLab({ designId }: { designId: number }) {
  const me = useSessionStore((s) => s.me);
  const canRun = canRunLabs(me);
  const [design, setDesign] = useState<Design | null>(null);
  const [lab, setLab] = useState<LabDetail | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [starting, setStarting] = useState<Operation | null>(null);
  // The design's current (or last) job: its progress and log are shown here; busy while it runs.
  const [jobId, setJobId] = useState<number | null>(null);
  const [jobActive, setJobActive] = useState(false);
  const [availability, setAvailability] = useState<JobsAvailability | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [report, setReport] = useState<CheckReport | null>(null);
  // The report shown, for `load` to tell whether it is still the lab's last check without depending on it.
  const shownReport = useRef<CheckReport | null>(null);
  const busy = starting !== null || jobActive;

  const showReport = useCallback((next: CheckReport | null) => {
    shownReport.current = next;
    setReport(next);
  }, []);

  const load = useCallback(async () => {
    try {
      const [d, labs] = await Promise.all([designsApi.get(designId), labApi.list()]);
      setDesign(d);
      const row = labs.find((l) => l.design === designId) ?? null;
      const held = shownReport.current;
      const action = lastCheckAction(row, held);
      const [detail, last] = await Promise.all([
        row ? labApi.get(row.id) : null,
        action === 'fetch' && row ? labApi.lastCheck(row.id) : action === 'keep' ? held : null,
      ]);
      setLab(detail);
      showReport(last);
      setLoadError(null);
    } catch (error) {
      setLoadError(refusalOf(error).message);
    } finally {
      setLoaded(true);
    }
  }, [designId, showReport]);
  useEffect(() => {
    void load();
  }, [load]);

  // The design's newest job (a reload during a job shows it running), and whether a worker can run lab jobs.
  useEffect(() => {
    let stale = false;
    jobApi.list({ design_id: designId }, 1).then(
      (page) => {
        const newest = page.results[0];
        if (stale || !newest) return;
        setJobId(newest.id);
        setJobActive(!ENDED_STATES.has(newest.state));
      },
      () => {},
    );
    jobApi.availability().then((a) => !stale && setAvailability(a), () => {});
    return () => {
      stale = true;
    };
  }, [designId]);

  const run = async (operation: Operation) => {
    if (busy) return;
    setStarting(operation);
    setRefusal(null);
    try {
      const job =
        operation === 'up' ? await labApi.up(designId) : lab ? await (operation === 'check' ? labApi.check(lab.id) : labApi.down(lab.id)) : null;
      if (job) {
        // Up makes the server forget the last check (it measured the lab up replaces); after down it stays.
        if (operation === 'up') showReport(null);
        setJobId(job.id);
        setJobActive(true);
      }
    } catch (error) {
      setRefusal(refusalOf(error));
    } finally {
      setStarting(null);
    }
  };

  const jobEnded = useCallback(() => {
    setJobActive(false);
    void load();
  }, [load]);

  const state = lab?.state ?? 'down';
  const notes = lab?.notes ?? [];
  const live = lab?.live;
  const labsOff = availability !== null && !availability.available;
  const down = downOffer(lab);
  return (
    <main className="lab-page">
      <h1>
        Lab of <a href={`#/designs/${designId}`} data-testid="lab-design-name">{design?.name ?? `design ${designId}`}</a>
      </h1>
      {loadError && <div className="form-error" role="alert">{loadError}</div>}
      <section className="lab-status" aria-label="Lab state">
        <div className="lab-status-line">
          <StateBadge state={state} />
          {canRun && (
            <div className="lab-actions" role="group" aria-label="Lab operations">
              <button onClick={() => void run('up')} disabled={!loaded || busy || labsOff} data-testid="lab-up" title="Bring the lab up on network namespaces (an earlier one is torn down first)">Up</button>
              <button onClick={() => void run('check')} disabled={!lab || state !== 'up' || busy || labsOff || live?.design_changed} data-testid="lab-check" title={live?.design_changed ? 'The design changed since the lab was brought up: bring it up again first' : 'Measure reachability against what the design promises'}>Check</button>
              <button className="danger" onClick={() => void run('down')} disabled={!down.enabled || busy || labsOff} data-testid="lab-down" title={down.title}>Down</button>
            </div>
          )}
          {!canRun && <span className="muted" data-testid="lab-read-only">Operators and admins run the lab; you see its state.</span>}
        </div>
        {labsOff && availability && (
          <div className="lab-refusal" role="note" data-testid="lab-off">
            <strong>Lab operations are off:</strong> {availability.reason}
          </div>
        )}
        {busy && (
          <div className="lab-progress" role="status" data-testid="lab-progress">
            <span className="lab-spinner" aria-hidden="true" /> {starting ? 'Starting the job…' : 'A job runs on this design: its progress and log are below.'}
          </div>
        )}
        {state === 'up' && live?.design_changed && (
          <div className="lab-refusal" role="note" data-testid="lab-stale">
            <strong>The design changed since this lab was brought up.</strong> A check would measure the old design.
            {canRun && !busy && !labsOff && <button onClick={() => void run('up')} data-testid="lab-up-again">Bring it up again</button>}
          </div>
        )}
        {refusal && (
          <div className="lab-refusal" role="alert" data-testid="lab-refusal">
            <strong>{refusal.status === 409 ? 'The server refused:' : refusal.status === 403 ? 'Not allowed:' : 'The request failed:'}</strong> {refusal.message}
            {/needs root/i.test(refusal.message) && (
              <p className="hint">The lab creates network namespaces, so the jailnet server must run as root on a Linux machine. The design itself is not affected.</p>
            )}
          </div>
        )}
        {!loaded ? (
          <p>Loading…</p>
        ) : !lab ? (
          <p className="muted" data-testid="lab-never">This design has no lab yet{canRun ? ': Up brings it up.' : '.'}</p>
        ) : (
          <dl className="lab-facts">
            <dt>Namespaces prefix</dt>
            <dd><code>{lab.lab_id}</code></dd>
            <dt>Started</dt>
            <dd>{when(lab.started_at)}{lab.up_seconds != null && ` (up in ${lab.up_seconds.toFixed(1)} s)`}</dd>
            <dt>Last up/down finished</dt>
            <dd>{when(lab.finished_at)}</dd>
            {live && (
              <>
                <dt>On the machine</dt>
                <dd data-testid="lab-live">
                  {live.namespaces_present}/{live.namespaces_expected} namespaces, {live.processes} processes, {live.sshd_alive} sshd alive
                  {live.state !== state && <span className="lab-warn"> — the machine says “{live.state}”</span>}
                  {live.error && <span className="lab-warn"> — {live.error}</span>}
                </dd>
              </>
            )}
            {lab.message && (
              <>
                <dt>{state === 'failed' ? 'Why it failed' : 'Message'}</dt>
                <dd><pre className="lab-message">{lab.message}</pre></dd>
              </>
            )}
            <dt>Last check</dt>
            <dd data-testid="lab-last-check">
              {lab.last_check_at
                ? `${when(lab.last_check_at)}: ${lab.check_matched}/${lab.check_total} as expected, ${lab.check_mismatched} mismatched (${lab.check_seconds ?? '?'} s)`
                : 'never'}
            </dd>
            {notes.length > 0 && (
              <>
                <dt>Not emulated</dt>
                <dd>
                  <details open={notes.length <= 4}>
                    <summary>{notes.length} note{notes.length === 1 ? '' : 's'}: what of the design this lab does not reproduce</summary>
                    <ul className="lab-notes" data-testid="lab-notes">
                      {notes.map((note, i) => <li key={i}>{note}</li>)}
                    </ul>
                  </details>
                </dd>
              </>
            )}
          </dl>
        )}
      </section>
      {jobId !== null && <JobView key={jobId} jobId={jobId} onEnded={jobEnded} compact />}
      {report ? (
        <LastCheck report={report} state={state} />
      ) : (
        lab?.last_check_at && (
          // A check made before the server kept cells: its counts are above, its matrix is gone.
          <p className="muted" data-testid="lab-report-missing">
            The cells of the last check were not kept{state === 'up' && canRun ? ': Check measures the matrix again.' : '.'}
          </p>
        )
      )}
    </main>
  );
}

/** Every design with the state of its lab. */
function LabOverview() {
  const [designs, setDesigns] = useState<Design[] | null>(null);
  const [labs, setLabs] = useState<Lab[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([designsApi.list(), labApi.list()]).then(
      ([d, l]) => {
        setDesigns(d);
        setLabs(l);
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  const labOf = new Map(labs.map((l) => [l.design, l]));
  return (
    <main className="lab-page">
      <h1>Labs</h1>
      <p className="muted">A lab brings a design up on Linux network namespaces on the server and measures reachability against what the design promises.</p>
      {error && <div className="form-error" role="alert">{error}</div>}
      {designs === null ? (
        <p>Loading…</p>
      ) : (
        <table className="lab-overview" data-testid="lab-overview">
          <thead>
            <tr><th>Design</th><th>Lab</th><th>Last check</th></tr>
          </thead>
          <tbody>
            {designs.map((d) => {
              const lab = labOf.get(d.id);
              return (
                <tr key={d.id}>
                  <td><a href={`#/designs/${d.id}/lab`}>{d.name}</a></td>
                  <td><StateBadge state={lab?.state ?? 'down'} /></td>
                  <td>{lab?.last_check_at ? `${lab.check_matched}/${lab.check_total} as expected, ${lab.check_mismatched} mismatched` : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </main>
  );
}

/** `#/lab`: every design's lab; `#/designs/<id>/lab`: the lab of one design. */
export function LabPage({ designId }: { designId?: number }) {
  return (
    <div className="page">
      <Header>
        {designId !== undefined && (
          <>
            <a href="#/lab">Labs</a> / <a href={`#/designs/${designId}`}>Designer</a>
          </>
        )}
      </Header>
      {designId === undefined ? <LabOverview /> : <DesignLab key={designId} designId={designId} />}
    </div>
  );
}
