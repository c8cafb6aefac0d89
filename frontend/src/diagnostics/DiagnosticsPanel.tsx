import { useCallback, useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ApiError } from '../api/client';
import { diagnosticsApi, type CatalogueEntry, type DiagnosticRun, type DiagnosticRunDetail, type DriftFinding } from '../api/diagnosticsApi';
import { JobView } from '../jobs/JobView';
import { useDiagnosticsStore } from './diagnosticsStore';
import { RecordsTable } from './RecordsTable';
import { comparedWith } from './targets';
import type { RecordRow } from './records';
import './diagnostics.css';

type Values = Record<string, string>;

function defaults(entry: CatalogueEntry | undefined, iface: string | undefined): Values {
  const values: Values = {};
  for (const p of entry?.parameters ?? []) {
    if (p.name === 'interface' && iface) values.interface = iface;
    if (p.kind === 'capture-format') values[p.name] = 'pcap';
  }
  return values;
}

function parameters(entry: CatalogueEntry, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of entry.parameters) {
    const value = (values[p.name] ?? '').trim();
    if (!value) continue;
    out[p.name] = p.default !== undefined && /^[0-9]+$/.test(value) ? Number(value) : value;
  }
  return out;
}

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

/** One run: its live output (the jobs' terminal view), Stop, then its parsed records and pcap download. */
function RunView({ run, onEnded }: { run: DiagnosticRun; onEnded: () => void }) {
  const [detail, setDetail] = useState<DiagnosticRunDetail | null>(null);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setDetail(await diagnosticsApi.get(run.id));
    } catch (e) {
      setError(message(e));
    }
  }, [run.id]);
  const stop = async () => {
    try {
      await diagnosticsApi.stop(run.id);
    } catch (e) {
      setError(message(e));
    }
  };
  const unparsed = (detail?.unparsed ?? []) as [number, string][];
  return (
    <section className="diag-run" data-testid="diag-run" data-run={run.id}>
      <div className="diag-run-head">
        <code data-testid="diag-command">{run.host}$ {run.command}</code>
        {!ended && (
          <button className="danger" onClick={() => void stop()} data-testid="diag-stop">
            Stop
          </button>
        )}
        {ended && detail && detail.pcap_bytes > 0 && (
          <a href={diagnosticsApi.pcapUrl(run.id)} download data-testid="diag-pcap">
            Download pcap ({detail.pcap_packets} packets, {detail.pcap_bytes} bytes)
          </a>
        )}
      </div>
      {error && <div className="form-error" role="alert">{error}</div>}
      <JobView
        jobId={run.id}
        compact
        onEnded={() => {
          setEnded(true);
          void load();
          onEnded();
        }}
      />
      {detail && <RecordsTable records={detail.records as RecordRow[]} total={detail.records_total} />}
      {unparsed.length > 0 && (
        <details>
          <summary>{unparsed.length} lines no parser read</summary>
          <pre>{unparsed.map(([n, text]) => `${n}: ${text}`).join('\n')}</pre>
        </details>
      )}
    </section>
  );
}

/** "Check drift": every host of the design at once; findings listed here and badged on the diagram. */
function DriftView({ designId }: { designId: number }) {
  const { drift, setDrift } = useDiagnosticsStore(useShallow((s) => ({ drift: s.drift, setDrift: s.setDrift })));
  const [run, setRun] = useState<DiagnosticRun | null>(null);
  const [checked, setChecked] = useState(false);
  const [compared, setCompared] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const start = async () => {
    setError(null);
    try {
      setRun(await diagnosticsApi.drift(designId));
      setChecked(false);
    } catch (e) {
      setError(message(e));
    }
  };
  const ended = async (id: number) => {
    try {
      const detail = await diagnosticsApi.get(id);
      setDrift(detail.findings as DriftFinding[]);
      setCompared(comparedWith(detail.parameters));
      setChecked(true);
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <section className="diag-drift" aria-label="Drift">
      <button onClick={() => void start()} data-testid="drift-check">
        Check drift
      </button>
      {error && <div className="form-error" role="alert">{error}</div>}
      {run && <JobView key={run.id} jobId={run.id} compact onEnded={() => void ended(run.id)} />}
      {(checked || drift.length > 0) && (
        <ul className="diag-findings" data-testid="drift-findings" data-count={drift.length}>
          {compared.length > 0 && (
            <li className="muted" data-testid="drift-compared">
              Compared with {compared.join('; ')}
            </li>
          )}
          {drift.length === 0 && <li className="muted">No drift: every host is as deployed.</li>}
          {drift.map((f, i) => (
            <li key={i} className={`finding ${f.severity}`}>
              <strong>{f.host}</strong> {f.message}{' '}
              <span className="muted">
                ({f.object.path}
                {f.compared ? `, ${f.compared.label}` : ''})
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The diagnostics panel of a design: opened from the diagram's context menu (a host: its catalogue; a switch or a
 * VXLAN segment: a capture, with the hosts it is on to pick from) or from the toolbar. */
export function DiagnosticsPanel({ designId }: { designId: number }) {
  const { target, close } = useDiagnosticsStore(useShallow((s) => ({ target: s.target, close: s.close })));
  const [catalogue, setCatalogue] = useState<CatalogueEntry[]>([]);
  const [choice, setChoice] = useState(0);
  const [diagnostic, setDiagnostic] = useState('interfaces');
  const [values, setValues] = useState<Values>({});
  const [confirmed, setConfirmed] = useState(false);
  const [run, setRun] = useState<DiagnosticRun | null>(null);
  const [history, setHistory] = useState<DiagnosticRun[]>([]);
  const [error, setError] = useState<string | null>(null);
  const host = target?.hosts[choice];
  const entry = useMemo(() => catalogue.find((d) => d.id === diagnostic), [catalogue, diagnostic]);

  useEffect(() => {
    // Another design: its own panel and findings.
    useDiagnosticsStore.getState().close();
    useDiagnosticsStore.getState().setDrift([]);
  }, [designId]);
  useEffect(() => {
    diagnosticsApi.catalogue().then((c) => setCatalogue(c.diagnostics), (e: unknown) => setError(message(e)));
  }, []);
  useEffect(() => {
    setChoice(0);
    setRun(null);
    setError(null);
    setDiagnostic(target?.diagnostic ?? 'interfaces');
  }, [target]);
  useEffect(() => {
    setValues(defaults(entry, host?.interface));
    setConfirmed(false);
  }, [entry, host]);
  const loadHistory = useCallback(() => {
    if (!host) return;
    diagnosticsApi.list(designId, { host: host.host, limit: 10 }).then((page) => setHistory(page.results), () => setHistory([]));
  }, [designId, host]);
  useEffect(loadHistory, [loadHistory]);

  if (!target) return null;
  const start = async () => {
    if (!entry || !host) return;
    setError(null);
    try {
      setRun(await diagnosticsApi.start({ design: designId, host: host.host, diagnostic: entry.id, parameters: parameters(entry, values), jail: '', confirm: confirmed }));
      loadHistory();
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <div className="diagnostics-panel" role="dialog" aria-label={target.title} data-testid="diagnostics-panel">
      <div className="diag-head">
        <strong>{target.title}</strong>
        <button onClick={close} aria-label="Close diagnostics" data-testid="diag-close">
          ×
        </button>
      </div>
      <div className="diag-form">
        <label>
          Host{' '}
          <select value={choice} onChange={(e) => setChoice(Number(e.target.value))} data-testid="diag-host">
            {target.hosts.map((h, i) => (
              <option key={`${h.host}-${h.interface ?? ''}`} value={i}>
                {h.host}
                {h.interface ? ` (${h.interface})` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Diagnostic{' '}
          <select value={diagnostic} onChange={(e) => setDiagnostic(e.target.value)} data-testid="diag-diagnostic">
            {catalogue.map((d) => (
              <option key={d.id} value={d.id}>
                {d.title}
                {d.mutates ? ' (changes the host)' : ''}
              </option>
            ))}
          </select>
        </label>
        {entry && <p className="muted">{entry.description}</p>}
        {entry?.parameters.map((p) => (
          <label key={p.name}>
            {p.name}
            {p.unit ? ` (${p.unit})` : ''}{' '}
            {p.kind === 'capture-format' ? (
              <select value={values[p.name] ?? 'pcap'} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })} data-testid={`diag-param-${p.name}`}>
                <option value="pcap">lines and a pcap file</option>
                <option value="text">lines only</option>
              </select>
            ) : (
              <input
                value={values[p.name] ?? ''}
                placeholder={p.default !== undefined ? `default ${p.default}` : p.help}
                onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}
                data-testid={`diag-param-${p.name}`}
              />
            )}
          </label>
        ))}
        {entry?.mutates && (
          <label className="diag-confirm">
            <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} data-testid="diag-confirm" /> {entry.confirmation}
          </label>
        )}
        <button className="primary" onClick={() => void start()} disabled={!entry || !host || (entry.mutates && !confirmed)} data-testid="diag-start">
          {entry?.streams ? 'Start capture' : 'Run'}
        </button>
        {error && (
          <div className="form-error" role="alert" data-testid="diag-error">
            {error}
          </div>
        )}
      </div>
      {run && <RunView key={run.id} run={run} onEnded={loadHistory} />}
      {history.length > 0 && (
        <details className="diag-history">
          <summary>Earlier runs on {host?.host}</summary>
          <ul>
            {history.map((r) => (
              <li key={r.id}>
                <button className="link" onClick={() => setRun(r)}>
                  {r.title}
                </button>{' '}
                <span className="muted">
                  {r.state}, {r.requested_by_name || 'a command'}, {new Date(r.created).toLocaleString()}
                </span>
              </li>
            ))}
          </ul>
        </details>
      )}
      <DriftView designId={designId} />
    </div>
  );
}
