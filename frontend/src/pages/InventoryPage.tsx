import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import {
  inventoryApi,
  type ContactResult,
  type Credential,
  type CredentialKind,
  type HostInput,
  type ManagedHost,
} from '../api/inventoryApi';
import type { JobSummary } from '../api/socket';
import { Header } from '../components/Header';
import { JobView } from '../jobs/JobView';
import { factLines, keyView, normaliseFingerprint } from '../inventory/hostKey';
import { allows } from '../model/roles';
import { useSessionStore } from '../store/sessionStore';
import '../inventory.css';

function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = Object.entries(error.fieldErrors).map(([f, m]) => `${f}: ${m.join(' ')}`);
    return fields.length ? fields.join('; ') : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function KeyBadge({ host }: { host: ManagedHost }) {
  const view = keyView(host.host_key_state, host.host_key_fingerprint, host.offered_fingerprint);
  return <span className={`key-badge key-${view.tone}`} data-testid="key-state" title={view.label}>{host.host_key_state}</span>;
}

/** Registered hosts: name, address, key state, release, last contact. */
function HostList({ canEdit }: { canEdit: boolean }) {
  const [hosts, setHosts] = useState<ManagedHost[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    inventoryApi.hosts().then(setHosts, (e: unknown) => setError(messageOf(e)));
  }, []);
  return (
    <section className="inventory-page">
      <div className="inventory-title">
        <h1>Hosts</h1>
        {canEdit && <a className="button" href="#/inventory/new">Register a host</a>}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {hosts === null ? <p>Loading…</p> : hosts.length === 0 ? <p>No host is registered yet.</p> : (
        <table className="inventory-table">
          <thead><tr><th>Name</th><th>Address</th><th>SSH user</th><th>Host key</th><th>Release</th><th>Last contact</th></tr></thead>
          <tbody>
            {hosts.map((h) => (
              <tr key={h.id} data-testid="host-row">
                <td><a href={`#/inventory/${h.id}`}>{h.name}</a></td>
                <td>{h.management_address}:{h.ssh_port ?? 22}</td>
                <td>{h.credential?.display ?? '—'}</td>
                <td><KeyBadge host={h} /></td>
                <td>{h.freebsd_release || (h.facts as { release?: string } | null)?.release || '—'}</td>
                <td>{h.last_contact_error ? <span className="error">{h.last_contact_error}</span> : when(h.last_contact_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Create or edit a host; a new credential (its secret write-only) can be made in place. */
function HostForm({ host, onSaved }: { host: ManagedHost | null; onSaved: (h: ManagedHost) => void }) {
  const [credentials, setCredentials] = useState<Credential[]>([]);
  const [input, setInput] = useState<HostInput>({
    name: host?.name ?? '',
    management_address: host?.management_address ?? '',
    ssh_port: host?.ssh_port ?? 22,
    credential: host?.credential?.id ?? null,
  });
  const [newCredential, setNewCredential] = useState(false);
  const [cred, setCred] = useState({ name: '', kind: 'private-key' as CredentialKind, username: 'root', secret: '' });
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    inventoryApi.credentials().then(setCredentials, (e: unknown) => setError(messageOf(e)));
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      let credential = input.credential;
      if (newCredential) credential = (await inventoryApi.createCredential(cred)).id;
      const body = { ...input, credential };
      const saved = host ? await inventoryApi.updateHost(host.id, host.version ?? 1, body) : await inventoryApi.createHost(body);
      setCred((c) => ({ ...c, secret: '' }));
      onSaved(saved);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="inventory-form" onSubmit={(e) => void submit(e)} aria-label={host ? 'Edit host' : 'Register a host'}>
      <label>Name <input required value={input.name} onChange={(e) => setInput({ ...input, name: e.target.value })} /></label>
      <label>Address <input required value={input.management_address} onChange={(e) => setInput({ ...input, management_address: e.target.value })} /></label>
      <label>SSH port <input type="number" min={1} max={65535} value={input.ssh_port} onChange={(e) => setInput({ ...input, ssh_port: Number(e.target.value) })} /></label>
      {!newCredential ? (
        <label>Credential (SSH user and key or password)
          <select value={input.credential ?? ''} onChange={(e) => setInput({ ...input, credential: e.target.value ? Number(e.target.value) : null })}>
            <option value="">— none —</option>
            {credentials.map((c) => <option key={c.id} value={c.id}>{c.name} ({c.username}, {c.kind})</option>)}
          </select>
          <button type="button" onClick={() => setNewCredential(true)}>New credential…</button>
        </label>
      ) : (
        <fieldset>
          <legend>New credential (the secret is stored encrypted and never shown again)</legend>
          <label>Name <input required value={cred.name} onChange={(e) => setCred({ ...cred, name: e.target.value })} /></label>
          <label>SSH user <input required value={cred.username} onChange={(e) => setCred({ ...cred, username: e.target.value })} /></label>
          <label>Kind
            <select value={cred.kind} onChange={(e) => setCred({ ...cred, kind: e.target.value as CredentialKind })}>
              <option value="private-key">SSH private key</option>
              <option value="password">Password</option>
            </select>
          </label>
          <label>{cred.kind === 'password' ? 'Password' : 'Private key'}
            {cred.kind === 'password'
              ? <input type="password" autoComplete="new-password" required value={cred.secret} onChange={(e) => setCred({ ...cred, secret: e.target.value })} />
              : <textarea rows={5} autoComplete="off" spellCheck={false} required value={cred.secret} onChange={(e) => setCred({ ...cred, secret: e.target.value })} />}
          </label>
          <button type="button" onClick={() => setNewCredential(false)}>Use an existing credential</button>
        </fieldset>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit" disabled={saving}>{saving ? 'Saving…' : host ? 'Save' : 'Register'}</button>
    </form>
  );
}

/** Confirm the offered key by its fingerprint, paste a key got out of band, or re-pin (with a reason). */
function PinKey({ host, onPinned }: { host: ManagedHost; onPinned: (h: ManagedHost) => void }) {
  const view = keyView(host.host_key_state, host.host_key_fingerprint, host.offered_fingerprint);
  const [fingerprint, setFingerprint] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (view.action === 'none') return null;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      onPinned(await inventoryApi.pinKey(host.id, { fingerprint: normaliseFingerprint(fingerprint), public_key: publicKey, reason }));
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <form className="inventory-form pin-form" onSubmit={(e) => void submit(e)} aria-label="Pin host key">
      <p>{view.action === 'repin'
        ? 'Check the new key on the host’s console (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) before re-pinning it.'
        : 'Compare the fingerprint with the host’s own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on its console), then type it here, or paste the public key.'}</p>
      <label>Fingerprint <input value={fingerprint} placeholder="SHA256:…" onChange={(e) => setFingerprint(e.target.value)} /></label>
      <label>or the public key <textarea rows={2} spellCheck={false} value={publicKey} onChange={(e) => setPublicKey(e.target.value)} /></label>
      {view.action === 'repin' && <label>Reason (kept in the audit history) <input required value={reason} onChange={(e) => setReason(e.target.value)} /></label>}
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit">{view.action === 'repin' ? 'Re-pin' : 'Confirm and pin'}</button>
    </form>
  );
}

/** One host: key trust, Test connection, facts, edit. */
function HostDetail({ hostId, canEdit }: { hostId: number; canEdit: boolean }) {
  const [host, setHost] = useState<ManagedHost | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [testing, setTesting] = useState(false);
  const [jobId, setJobId] = useState<number | null>(null);
  const [result, setResult] = useState<ContactResult | null>(null);
  // A refused or failed test request (no job started): said next to the button, the host's detail stays.
  const [testError, setTestError] = useState<string | null>(null);
  const load = useCallback(() => inventoryApi.host(hostId).then(setHost, (e: unknown) => setError(messageOf(e))), [hostId]);
  useEffect(() => {
    void load();
  }, [load]);
  if (error) return <section className="inventory-page"><p className="error" role="alert">{error}</p></section>;
  if (!host) return <section className="inventory-page"><p>Loading…</p></section>;
  const view = keyView(host.host_key_state, host.host_key_fingerprint, host.offered_fingerprint);
  const test = async () => {
    setTesting(true);
    setResult(null);
    setTestError(null);
    try {
      setJobId((await inventoryApi.testConnection(host.id)).id);
    } catch (e) {
      setTestError(messageOf(e));
      setTesting(false);
    }
  };
  // The test runs as a job on the host-work queue: its log streams below; once it ends, the host is read again.
  const ended = (job: JobSummary) => {
    setTesting(false);
    const found = job.result as Partial<ContactResult> | undefined;
    setResult({ ok: Boolean(found?.ok), host_key_state: found?.host_key_state ?? '', offered_fingerprint: found?.offered_fingerprint ?? '',
      facts: found?.facts ?? {}, error: found?.error ?? (job.state === 'succeeded' ? '' : job.message) });
    void load();
  };
  return (
    <section className="inventory-page">
      <div className="inventory-title">
        <h1>{host.name}</h1>
        <a href="#/inventory">All hosts</a>
      </div>
      <dl className="inventory-facts">
        <dt>Address</dt><dd>{host.management_address}:{host.ssh_port ?? 22}</dd>
        <dt>Credential</dt><dd>{host.credential?.display ?? '— none —'}</dd>
        <dt>Host key</dt><dd className={`key-${view.tone}`} data-testid="key-line">{view.label}</dd>
        <dt>Pinned</dt><dd>{when(host.host_key_pinned_at)}</dd>
        <dt>Last contact</dt><dd>{when(host.last_contact_at)}{host.last_contact_error && <span className="error" data-testid="contact-error"> — {host.last_contact_error}</span>}</dd>
        {factLines(host.facts).map(([k, v]) => <FactRow key={k} name={k} value={v} />)}
        <dt>Facts from</dt><dd>{when(host.facts_gathered_at)}</dd>
      </dl>
      {canEdit && (
        <div className="inventory-actions">
          <button onClick={() => void test()} disabled={testing || host.host_key_state === 'changed'}
            title={host.host_key_state === 'changed' ? 'Re-pin the key first: connections to this host are stopped' : undefined}>
            {testing ? 'Testing…' : 'Test connection'}
          </button>
          <button onClick={() => setEditing(!editing)}>{editing ? 'Close' : 'Edit'}</button>
          {testError && <span className="error" role="alert" data-testid="test-error">{testError}</span>}
        </div>
      )}
      {jobId !== null && <JobView key={jobId} jobId={jobId} onEnded={ended} compact />}
      {result && (
        <p className={result.ok ? 'ok' : result.error ? 'error' : ''} data-testid="contact-result">
          {result.ok ? 'Logged in; facts gathered.' : result.error || `The host offers ${result.offered_fingerprint}. Check it and confirm below.`}
        </p>
      )}
      {canEdit && <PinKey host={host} onPinned={(h) => { setHost(h); setResult(null); }} />}
      {canEdit && editing && <HostForm host={host} onSaved={(h) => { setHost(h); setEditing(false); }} />}
    </section>
  );
}

function FactRow({ name, value }: { name: string; value: string }) {
  return <><dt>{name}</dt><dd>{value}</dd></>;
}

/** The inventory: `#/inventory` the list, `#/inventory/new` registration, `#/inventory/<id>` one host. */
export function InventoryPage({ hostId, creating }: { hostId?: number; creating?: boolean }) {
  const me = useSessionStore((s) => s.me);
  const canEdit = allows(me, 'edit_inventory');
  return (
    <div className="app">
      <Header />
      {creating ? (
        <section className="inventory-page">
          <h1>Register a host</h1>
          {canEdit ? <HostForm host={null} onSaved={(h) => { window.location.hash = `#/inventory/${h.id}`; }} />
            : <p>Registering hosts needs the operator or admin role.</p>}
        </section>
      ) : hostId !== undefined ? <HostDetail key={hostId} hostId={hostId} canEdit={canEdit} /> : <HostList canEdit={canEdit} />}
    </div>
  );
}
