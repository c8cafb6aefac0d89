import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { changeRequestsApi } from '../api/changeApi';
import type { ChangeRequestComment, ChangeRequestDetail, HostDiff, ReviewDecision, ValidationReport } from '../api/types';
import { canApprove, canDeploy, canReview, canSubmit, stateLabel } from '../model/changes';
import { allows } from '../model/roles';
import { useNotificationStore } from '../store/notificationStore';
import { canEditDesigns, useSessionStore } from '../store/sessionStore';
import { Header } from './Header';
import { SideBySideDiff } from './SideBySideDiff';
import { DeploymentPanel } from './DeploymentPanel';
import { DeployPlanPanel } from './DeployPlanPanel';

function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = Object.entries(error.fieldErrors).map(([k, v]) => `${k}: ${v.join(' ')}`);
    return fields.length && error.status === 400 ? fields.join('; ') : error.message;
  }
  return String(error);
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`state state-${state}`} data-testid="state">{stateLabel(state)}</span>;
}

function when(time: string): string {
  return new Date(time).toLocaleString();
}

function Comments({ comments, onAdd, testId }: { comments: ChangeRequestComment[]; onAdd(body: string): Promise<void>; testId: string }) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await onAdd(body);
      setBody('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="comments" data-testid={testId}>
      {comments.map((c) => (
        <div key={c.id} className="comment">
          <strong>{c.user}</strong> <span className="muted">{when(c.created)}{c.line ? ` · line ${c.line}` : ''}</span>
          <p>{c.body}</p>
        </div>
      ))}
      <form onSubmit={submit} className="comment-form">
        <textarea aria-label="Comment" placeholder="Write a comment…" value={body} onChange={(e) => setBody(e.target.value)} rows={2} />
        <button type="submit" disabled={!body.trim() || busy}>Comment</button>
      </form>
    </div>
  );
}

function HostPanel({ request, hostName, onComment }: { request: ChangeRequestDetail; hostName: string; onComment(body: string, host: string, line: number | null): Promise<void> }) {
  const [host, setHost] = useState<HostDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [line, setLine] = useState<number | null>(null);
  useEffect(() => {
    let current = true;
    setHost(null);
    changeRequestsApi.host(request.id, hostName).then(
      (h) => current && setHost(h),
      (e: unknown) => current && setError(errorText(e)),
    );
    return () => {
      current = false;
    };
  }, [request.id, request.content_hash, hostName]);
  const comments = request.comments.filter((c) => c.host_name === hostName);
  return (
    <div className="host-panel" data-testid={`host-diff-${hostName}`}>
      {error && <div className="form-error">{error}</div>}
      {!host ? (
        !error && <p className="muted">Loading…</p>
      ) : (
        <SideBySideDiff diff={host.diff ?? ''} hostName={hostName} rightTitle={`this request (#${request.number})`} leftTitle={request.base_revision ? 'deployed' : 'deployed (nothing yet)'} onCommentLine={(_, n) => setLine(n)} />
      )}
      <h4>Comments on {hostName}{line ? <> — line {line} <button className="link" onClick={() => setLine(null)}>(whole host)</button></> : null}</h4>
      <Comments comments={comments} testId="host-comments" onAdd={(body) => onComment(body, hostName, line)} />
    </div>
  );
}

interface TimelineItem {
  time: string;
  key: string;
  text: string;
  detail?: string;
  kind: string;
}

function timelineOf(request: ChangeRequestDetail): TimelineItem[] {
  const items: TimelineItem[] = [];
  request.transitions.forEach((t, i) =>
    items.push({ time: t.time, key: `t${i}`, kind: "transition", text: `${t.user_name || "system"}: ${stateLabel(t.from_state)} → ${stateLabel(t.to_state)}`, detail: t.reason }),
  );
  request.approvals.forEach((a, i) =>
    items.push({
      time: a.created,
      key: `a${i}`,
      kind: `review ${a.decision}${a.voided ? ' voided' : ''}`,
      text: `${a.user} ${a.decision === 'approve' ? 'approved' : a.decision === 'reject' ? 'rejected' : 'requested changes'}${a.voided ? ' (voided by a later edit)' : ''}`,
      detail: a.comment,
    }),
  );
  return items.sort((a, b) => a.time.localeCompare(b.time));
}

/** One change request: its hosts' diffs side by side, validation, review, deploy, timeline and comments. */
export function ChangeRequestPage({ requestId }: { requestId: number }) {
  const me = useSessionStore((s) => s.me);
  const [request, setRequest] = useState<ChangeRequestDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [hostName, setHostName] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [tab, setTab] = useState<'hosts' | 'validation' | 'timeline' | 'comments'>('hosts');

  const load = useCallback(() => {
    changeRequestsApi.get(requestId).then(setRequest, (e: unknown) => setError(errorText(e)));
  }, [requestId]);
  useEffect(load, [load]);
  // Live: a notification about this request (a review, a state change) reloads it.
  const lastEvent = useNotificationStore((s) => s.lastEvent);
  useEffect(() => {
    if (lastEvent && lastEvent.id === requestId) load();
  }, [lastEvent, requestId, load]);

  const act = async (call: () => Promise<ChangeRequestDetail>) => {
    setBusy(true);
    setActionError(null);
    try {
      setRequest(await call());
      setComment('');
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const addComment = async (body: string, host = '', line: number | null = null) => {
    try {
      await changeRequestsApi.comment(requestId, body, host, line);
      load();
    } catch (e) {
      setActionError(errorText(e));
      throw e;
    }
  };

  const hosts = useMemo(() => request?.hosts ?? [], [request]);
  const shownHost = hostName ?? hosts.find((h) => h.changed)?.host_name ?? hosts[0]?.host_name ?? null;
  if (error) return <div className="page"><Header /><main className="content"><div className="form-error">{error}</div></main></div>;
  if (!request) return <div className="page"><Header /><main className="content"><p>Loading…</p></main></div>;

  const review = (decision: ReviewDecision) => act(() => changeRequestsApi.review(request.id, decision, comment));
  const validation = (request.validation ?? { findings: [] }) as ValidationReport;
  const isAuthor = me?.username === request.author;
  const isApprover = allows(me, 'approve');
  const timeline = timelineOf(request);

  return (
    <div className="page">
      <Header>
        <a href="#/change-requests">Change requests</a> / <a href={`#/designs/${request.design}`}>{request.design_name}</a> / <strong>#{request.number}</strong>
      </Header>
      <main className="content wide" data-testid="change-request">
        <div className="cr-title">
          <h1>
            <span className="muted">{request.design_name} #{request.number}</span> {request.title}
          </h1>
          <StateBadge state={request.state} />
          {request.stale && <span className="tag stale" data-testid="stale">stale</span>}
        </div>
        <p className="cr-meta">
          by <strong data-testid="author">{request.author}</strong> · {when(request.created)} · approvals{' '}
          <strong data-testid="approvals">{request.approvals_count}/{request.required_approvals}</strong> · {request.changed_hosts} changed host
          {request.changed_hosts === 1 ? '' : 's'} · <a href={`#/designs/${request.design}/history`}>design history</a>
        </p>
        <p className="cr-meta" data-testid="contributors">
          changed since the last deployment by{' '}
          {request.contributors.length ? <strong>{request.contributors.join(', ')}</strong> : <em>nobody (recorded)</em>}
          <span className="hint"> — none of them may approve it</span>
        </p>
        {request.description && <p className="cr-description">{request.description}</p>}

        {request.stale && (
          <div className="banner error" data-testid="stale-banner">
            The design changed after this request was frozen: what you see is not what would be deployed. Approvals were voided.
            {canEditDesigns(me) && <button disabled={busy} onClick={() => void act(() => changeRequestsApi.refresh(request.id))}>Refresh from the design</button>}
          </div>
        )}

        <div className="cr-actions" data-testid="cr-actions">
          {canSubmit(me, request) && (
            <button disabled={busy} onClick={() => void act(() => changeRequestsApi.submit(request.id))}>Submit for review</button>
          )}
          {canReview(me, request) && (
            <div className="review-box" data-testid="review-box">
              <textarea aria-label="Review comment" placeholder="Review comment (why)…" value={comment} onChange={(e) => setComment(e.target.value)} rows={2} />
              <div className="form-buttons">
                {canApprove(me, request) && <button className="approve" disabled={busy} onClick={() => void review('approve')}>Approve</button>}
                <button disabled={busy} onClick={() => void review('request_changes')}>Request changes</button>
                <button className="danger" disabled={busy} onClick={() => void review('reject')}>Reject</button>
              </div>
            </div>
          )}
          {canReview(me, request) && !canApprove(me, request) && (
            <p className="muted" data-testid="contributor-note">You changed this design since its last deployment: someone who did not approves it.</p>
          )}
          {isAuthor && isApprover && request.state === 'submitted' && (
            <p className="muted" data-testid="author-note">You wrote this request: someone else reviews it.</p>
          )}
          {(request.state === 'submitted' || request.state === 'approved') && (
            <DeployPlanPanel requestId={request.id} canPlan={allows(me, 'plan_deploy')} />
          )}
          <DeploymentPanel requestId={request.id} designId={request.design} canDeploy={canDeploy(me, request)} onChanged={load} />
          {actionError && <div className="form-error" role="alert" data-testid="action-error">{actionError}</div>}
        </div>

        <nav className="tabs page-tabs" role="tablist">
          <button role="tab" aria-selected={tab === 'hosts'} onClick={() => setTab('hosts')}>Hosts ({hosts.length})</button>
          <button role="tab" aria-selected={tab === 'validation'} onClick={() => setTab('validation')}>
            Validation{validation.findings.length > 0 && <span className={`count ${request.error_count ? 'error' : 'warning'}`}>{validation.findings.length}</span>}
          </button>
          <button role="tab" aria-selected={tab === 'timeline'} onClick={() => setTab('timeline')}>Timeline ({timeline.length})</button>
          <button role="tab" aria-selected={tab === 'comments'} onClick={() => setTab('comments')}>Comments ({request.comments.filter((c) => !c.host_name).length})</button>
        </nav>

        {tab === 'hosts' && (
          <div className="cr-hosts">
            <ul className="host-list">
              {hosts.map((h) => (
                <li key={h.host_name}>
                  <button aria-pressed={h.host_name === shownHost} onClick={() => setHostName(h.host_name)} data-testid={`host-${h.host_name}`}>
                    {h.host_name} {h.changed ? <span className="tag changed">changed</span> : <span className="muted">unchanged</span>}
                  </button>
                </li>
              ))}
            </ul>
            {shownHost && <HostPanel request={request} hostName={shownHost} onComment={addComment} />}
          </div>
        )}
        {tab === 'validation' && (
          <div data-testid="cr-validation">
            {validation.findings.length === 0 ? (
              <p className="ok">No findings when the request was frozen.</p>
            ) : (
              <ul className="findings">
                {validation.findings.map((f, i) => (
                  <li key={i} className={`finding ${f.severity}`}>
                    <div className="finding-row"><span className="severity">{f.severity}</span> <code>{f.code}</code> {f.message}
                      {f.objects.length > 0 && <span className="finding-objects">{f.objects.map((o) => o.path).join(', ')}</span>}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {tab === 'timeline' && (
          <ol className="timeline" data-testid="timeline">
            {timeline.map((item) => (
              <li key={item.key} className={item.kind}>
                <span className="muted">{when(item.time)}</span> {item.text}
                {item.detail && <blockquote>{item.detail}</blockquote>}
              </li>
            ))}
          </ol>
        )}
        {tab === 'comments' && <Comments comments={request.comments.filter((c) => !c.host_name)} testId="request-comments" onAdd={(body) => addComment(body)} />}
      </main>
    </div>
  );
}
