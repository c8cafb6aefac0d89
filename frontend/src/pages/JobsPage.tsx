import { useCallback, useEffect, useState } from 'react';
import { KIND_LABELS, jobApi, watchJobs, type Job, type JobFilters, type JobKind, type JobState } from '../api/jobApi';
import { Header } from '../components/Header';
import { JobStateBadge, JobView } from '../jobs/JobView';
import '../jobs.css';

const STATES: JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'];

function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Jobs, newest first, filtered by kind, design, state and who asked; rows change state live. */
function JobsList() {
  const [filters, setFilters] = useState<JobFilters>({});
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [count, setCount] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const page = await jobApi.list(filters);
      setJobs(page.results);
      setCount(page.count);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [filters]);
  useEffect(() => {
    void load();
  }, [load]);
  // A job that starts or changes state: reload the page of the list (it may now match the filters or not).
  useEffect(() => watchJobs(() => void load()), [load]);
  const set = (key: keyof JobFilters, value: string) => setFilters((f) => ({ ...f, [key]: value }));
  return (
    <main className="lab-page">
      <h1>Jobs</h1>
      <div className="jobs-filters" role="group" aria-label="Filters">
        <select value={filters.kind ?? ''} onChange={(e) => set('kind', e.target.value as JobKind)} aria-label="Kind">
          <option value="">every kind</option>
          {(Object.keys(KIND_LABELS) as JobKind[]).map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
        </select>
        <select value={filters.state ?? ''} onChange={(e) => set('state', e.target.value as JobState)} aria-label="State">
          <option value="">every state</option>
          {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        <input placeholder="design name" value={filters.design ?? ''} onChange={(e) => set('design', e.target.value)} aria-label="Design" />
        <input placeholder="asked by" value={filters.requested_by ?? ''} onChange={(e) => set('requested_by', e.target.value)} aria-label="Asked by" />
        <span className="muted">{count} jobs</span>
      </div>
      {error && <div className="form-error" role="alert">{error}</div>}
      {jobs === null ? (
        <p>Loading…</p>
      ) : (
        <table className="jobs-table" data-testid="jobs-table">
          <thead>
            <tr><th>Job</th><th>Kind</th><th>Design</th><th>State</th><th>Asked by</th><th>Created</th><th>Message</th></tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id}>
                <td><a href={`#/jobs/${job.id}`}>{job.id}</a></td>
                <td>{KIND_LABELS[job.kind]}</td>
                <td>{job.design ? <a href={`#/designs/${job.design}/lab`}>{job.design_name}</a> : job.design_name}</td>
                <td><JobStateBadge state={job.state} /></td>
                <td>{job.requested_by_name || <span className="muted">a command</span>}</td>
                <td>{when(job.created)}</td>
                <td className="muted">{job.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

/** `#/jobs`: the jobs list; `#/jobs/<id>`: one job with its progress and log. */
export function JobsPage({ jobId }: { jobId?: number }) {
  return (
    <div className="page">
      <Header>{jobId !== undefined && <a href="#/jobs">Jobs</a>}</Header>
      {jobId === undefined ? (
        <JobsList />
      ) : (
        <main className="lab-page">
          <JobView key={jobId} jobId={jobId} />
        </main>
      )}
    </div>
  );
}
