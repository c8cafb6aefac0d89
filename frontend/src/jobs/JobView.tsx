import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { ENDED_STATES, KIND_LABELS, followJob, jobApi, type Job, type JobStep } from '../api/jobApi';
import type { JobSummary } from '../api/socket';
import { allows } from '../model/roles';
import { useSessionStore } from '../store/sessionStore';
import { LogLines } from './logLines';
import { LogView } from './LogView';
import '../jobs.css';

function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleTimeString() : '—';
}

function seconds(from: string | null | undefined, to: string | null | undefined): string {
  if (!from) return '';
  const end = to ? new Date(to).getTime() : Date.now();
  return `${((end - new Date(from).getTime()) / 1000).toFixed(1)} s`;
}

export function JobStateBadge({ state }: { state: string }) {
  return <span className={`job-state job-state-${state}`} data-testid="job-state">{state}</span>;
}

/** Per-host progress: one bar per step, `done` of `total`, its state and timings. */
function Steps({ steps }: { steps: JobStep[] }) {
  if (steps.length === 0) return null;
  return (
    <table className="job-steps" aria-label="Progress per host">
      <tbody>
        {steps.map((step) => {
          const percent = step.total > 0 ? Math.round((100 * step.done) / step.total) : step.state === 'succeeded' ? 100 : 0;
          return (
            <tr key={step.name} data-testid="job-step" data-host={step.name} data-done={step.done} data-total={step.total} data-state={step.state}>
              <th scope="row">{step.name}</th>
              <td className="job-step-bar">
                <progress max={100} value={percent} aria-label={`${step.name}: ${percent}%`} className={`job-step-${step.state}`} />
              </td>
              <td>{step.total > 0 ? `${step.done}/${step.total}` : ''}</td>
              <td><JobStateBadge state={step.state} /></td>
              <td className="muted">{seconds(step.started_at, step.finished_at)} {step.message}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A job as it runs: what it is, its state, progress per host, and its log; history over REST, then live from the
 * last chunk shown. `onEnded` is told once the job has ended (the Lab page reloads the lab then). */
export function JobView({ jobId, onEnded, compact = false }: { jobId: number; onEnded?: (job: JobSummary) => void; compact?: boolean }) {
  const me = useSessionStore((s) => s.me);
  const [job, setJob] = useState<Job | JobSummary | null>(null);
  const [steps, setSteps] = useState<Map<string, JobStep>>(new Map());
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const log = useRef(new LogLines());
  // For whoever checks that progress is live: how many output and step updates arrived before the job ended.
  const updatesBeforeEnd = useRef({ output: 0, steps: 0, ended: false });
  const endedReported = useRef(false);
  const onEndedRef = useRef(onEnded);
  onEndedRef.current = onEnded;

  const takeSteps = useCallback((incoming: JobStep[]) => {
    if (!updatesBeforeEnd.current.ended) updatesBeforeEnd.current.steps += 1;
    setSteps((previous) => {
      const next = new Map(previous);
      for (const step of incoming) next.set(step.name, { ...next.get(step.name), ...step });
      return next;
    });
  }, []);

  const takeState = useCallback((summary: JobSummary) => {
    setJob((previous) => ({ ...(previous ?? {}), ...summary }) as Job);
    if (ENDED_STATES.has(summary.state)) {
      updatesBeforeEnd.current.ended = true;
      if (!endedReported.current) {
        endedReported.current = true;
        onEndedRef.current?.(summary);
      }
    }
  }, []);

  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    log.current = new LogLines();
    (async () => {
      try {
        const loaded = await jobApi.get(jobId);
        if (cancelled) return;
        setJob(loaded);
        takeSteps(loaded.steps);
        // History first (REST), then the socket from the last chunk we have.
        let page = await jobApi.output(jobId, 0);
        for (;;) {
          if (cancelled) return;
          log.current.add(page.chunks);
          if (!page.more) break;
          page = await jobApi.output(jobId, page.last);
        }
        setVersion((v) => v + 1);
        if (ENDED_STATES.has(loaded.state)) takeState(loaded);
        stop = followJob(jobId, log.current.last, {
          output: (chunks) => {
            if (!updatesBeforeEnd.current.ended) updatesBeforeEnd.current.output += 1;
            if (log.current.add(chunks) > 0 || chunks.length > 0) setVersion((v) => v + 1);
          },
          steps: takeSteps,
          state: takeState,
        });
      } catch (e) {
        if (!cancelled) setError(e instanceof ApiError ? e.message : String(e));
      }
    })();
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [jobId, takeSteps, takeState]);

  const cancel = async () => {
    try {
      setJob(await jobApi.cancel(jobId));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  if (error) return <div className="form-error" role="alert">{error}</div>;
  if (!job) return <p>Loading job {jobId}…</p>;
  const active = !ENDED_STATES.has(job.state);
  const lines = log.current.lines;
  const pending = log.current.pending();
  return (
    <section
      className={`job-view${compact ? ' job-view-compact' : ''}`}
      aria-label={`Job ${jobId}`}
      data-testid="job-view"
      data-job={jobId}
      data-state={job.state}
      data-output-updates-before-end={updatesBeforeEnd.current.output}
      data-step-updates-before-end={updatesBeforeEnd.current.steps}
    >
      <div className="job-head">
        <strong>
          <a href={`#/jobs/${jobId}`}>Job {jobId}</a>: {KIND_LABELS[job.kind]} of {job.design_name}
        </strong>
        <JobStateBadge state={job.state} />
        <span className="muted">
          asked by {job.requested_by_name || 'a command'} at {when(job.created)}
          {job.started_at && `, ran ${seconds(job.started_at, job.finished_at)}`}
        </span>
        {active && allows(me, 'deploy') && (
          <button className="danger" onClick={() => void cancel()} data-testid="job-cancel">Cancel</button>
        )}
      </div>
      {job.message && <p className={`job-message job-message-${job.state}`} data-testid="job-message">{job.message}</p>}
      <Steps steps={[...steps.values()].sort((a, b) => a.position - b.position)} />
      <LogView lines={pending.length ? [...lines, ...pending] : lines} version={version} downloadUrl={jobApi.logUrl(jobId)} />
    </section>
  );
}
