/**
 * The tab's one websocket to `/ws/events/`, shared by every subscription: watched designs, the user's
 * notifications, followed jobs, the jobs list.
 *
 * It holds: it reconnects after any drop (backoff up to 30 s, for as long as anyone subscribes), and after a
 * reconnect it subscribes again, asking each followed job for what follows the last chunk it received
 * (`since`), so nothing stored is missed and nothing is received twice. The server sends a heartbeat every
 * 25 s; a socket silent for much longer is taken for dead and replaced. Events of the tab's groups (notifications,
 * watched designs, the jobs list) are numbered (`seq`) and stored by the server: after a reconnect the tab asks for
 * those after the last number it saw (`resume`), so an event published while it was away (or while Redis was
 * down) still arrives, and one that arrives twice is shown once. A close for a logout or a lost role
 * (4401) or a refusal (4403) is final: the app goes back to its login page.
 */

import type { Schemas } from './types';

export type JobSummary = Pick<
  Schemas['Job'],
  'id' | 'kind' | 'design' | 'design_name' | 'state' | 'message' | 'requested_by_name' | 'created' | 'started_at' | 'finished_at' | 'last_seq' | 'result'
>;
export type JobStepEvent = Schemas['JobStep'];
export type OutputChunk = Schemas['JobOutputChunk'];

/** Frames the server sends (see executors/consumers.py). */
export type ServerFrame =
  | { type: 'hello'; user: string; events?: number }
  | { type: 'resumed'; since: number; count: number }
  | { type: 'heartbeat' | 'pong' | 'watched_jobs' }
  | { type: 'error'; detail: string; job?: number }
  | { type: 'session.closed'; detail: string }
  | { type: 'watched' | 'unwatched'; design: number }
  | { type: 'followed'; job: number; since: number; state: JobSummary & { steps: JobStepEvent[] } }
  | { type: 'unfollowed'; job: number }
  | { type: 'job.output'; job: number; chunks: OutputChunk[]; steps?: JobStepEvent[] | null }
  | { type: 'job.state'; job: JobSummary }
  | { type: 'design.changed'; design: number; user?: string; action?: string; object_type?: string; object_id?: number }
  | { type: 'change_request.review_requested' | 'change_request.state'; [key: string]: unknown };

type Listener = (frame: ServerFrame) => void;

/** Something with the parts of `WebSocket` this module uses (tests pass a fake). */
export interface SocketLike {
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}

const OPEN = 1;
const MAX_DELAY_MS = 30_000;
const SILENCE_LIMIT_MS = 70_000; // the server's heartbeat comes every 25 s
const SEEN_EVENTS = 2000; // numbers of events received remembered, so that none is shown twice
export const FINAL_CLOSE_CODES = new Set([4401, 4403]);

function defaultFactory(): SocketLike | null {
  if (typeof WebSocket === 'undefined' || typeof window === 'undefined') return null;
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return new WebSocket(`${scheme}://${window.location.host}/ws/events/`) as unknown as SocketLike;
}

/** One shared, self-healing websocket and its subscriptions (use the exported `liveSocket`). */
export class LiveSocket {
  private socket: SocketLike | null = null;
  private ready = false;
  private listeners = new Set<Listener>();
  private designs = new Map<number, number>();
  private jobs = new Map<number, { since: number; refs: number }>();
  private jobWatchers = 0;
  private retries = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;
  /** The highest event number received (or announced by the first socket's hello); -1: none yet. */
  private eventSince = -1;
  /** The last event number when the tab's first socket opened: nothing before it is asked for again. */
  private eventFloor = 0;
  private seenEvents = new Set<number>();
  /** Set after a final close (logged out, refused): no more reconnects. */
  ended = false;
  /** How many sockets this tab has opened (one, plus one per reconnect). */
  opened = 0;

  constructor(
    private readonly factory: () => SocketLike | null = defaultFactory,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Receive every frame; returns a function that stops. The socket opens with the first subscriber. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    this.ensureOpen();
    return () => {
      this.listeners.delete(listener);
      this.closeIfUnused();
    };
  }

  /** Follow changes of a design while the returned function is not called. */
  watchDesign(designId: number): () => void {
    this.designs.set(designId, (this.designs.get(designId) ?? 0) + 1);
    if (this.designs.get(designId) === 1) this.send({ action: 'watch', design: designId });
    this.ensureOpen();
    return () => {
      const refs = (this.designs.get(designId) ?? 1) - 1;
      if (refs > 0) this.designs.set(designId, refs);
      else {
        this.designs.delete(designId);
        this.send({ action: 'unwatch', design: designId });
      }
      this.closeIfUnused();
    };
  }

  /** Follow a job's output after `since` (the last sequence number already shown), then live. */
  followJob(jobId: number, since: number): () => void {
    const current = this.jobs.get(jobId);
    if (current) current.refs += 1;
    else {
      this.jobs.set(jobId, { since, refs: 1 });
      this.send({ action: 'follow', job: jobId, since });
    }
    this.ensureOpen();
    return () => {
      const entry = this.jobs.get(jobId);
      if (entry && --entry.refs <= 0) {
        this.jobs.delete(jobId);
        this.send({ action: 'unfollow', job: jobId });
      }
      this.closeIfUnused();
    };
  }

  /** Every job's state changes, for lists of jobs. */
  watchJobs(): () => void {
    this.jobWatchers += 1;
    if (this.jobWatchers === 1) this.send({ action: 'watch_jobs' });
    this.ensureOpen();
    return () => {
      this.jobWatchers -= 1;
      this.closeIfUnused();
    };
  }

  /** The last sequence number received of a followed job. */
  sinceOf(jobId: number): number | undefined {
    return this.jobs.get(jobId)?.since;
  }

  private send(frame: object) {
    if (this.socket && this.ready && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private inUse(): boolean {
    return this.listeners.size > 0 || this.designs.size > 0 || this.jobs.size > 0 || this.jobWatchers > 0;
  }

  private closeIfUnused() {
    if (this.inUse()) return;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    socket?.close();
  }

  private ensureOpen() {
    if (this.socket || this.ended || this.timer !== undefined) return;
    const socket = this.factory();
    if (!socket) return;
    this.socket = socket;
    this.opened += 1;
    this.lastFrameAt = this.now();
    socket.onmessage = (message) => this.receive(socket, message.data);
    socket.onclose = (event) => this.closed(socket, event.code);
    if (this.watchdog === undefined && typeof setInterval !== 'undefined') {
      this.watchdog = setInterval(() => this.checkSilence(), 10_000);
    }
  }

  /** A socket that has heard nothing (not even a heartbeat) for too long is dead: replace it. */
  checkSilence() {
    if (this.socket && this.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
      const socket = this.socket;
      this.closed(socket, 4000);
      socket.close();
    }
  }

  private receive(socket: SocketLike, data: unknown) {
    if (socket !== this.socket) return;
    this.lastFrameAt = this.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(data)) as ServerFrame;
    } catch {
      return;
    }
    const seq = (frame as { seq?: unknown }).seq;
    if (typeof seq === 'number' && frame.type !== 'job.output') {
      if (this.seenEvents.has(seq)) return; // sent live and read back after a reconnect: shown once
      this.seenEvents.add(seq);
      if (this.seenEvents.size > SEEN_EVENTS) this.seenEvents.delete(this.seenEvents.values().next().value as number);
      this.eventSince = Math.max(this.eventSince, seq);
    }
    if (frame.type === 'hello') {
      this.ready = true;
      this.retries = 0;
      // (Re)subscribe: a new socket knows nothing of this tab's subscriptions.
      for (const designId of this.designs.keys()) this.send({ action: 'watch', design: designId });
      for (const [jobId, entry] of this.jobs) this.send({ action: 'follow', job: jobId, since: entry.since });
      if (this.jobWatchers > 0) this.send({ action: 'watch_jobs' });
      // Then what the tab missed while it had no socket (the first socket starts from now).
      if (this.eventSince >= 0) this.send({ action: 'resume', since: this.eventSince, floor: this.eventFloor });
      else this.eventSince = this.eventFloor = frame.events ?? 0;
    } else if (frame.type === 'job.output') {
      const entry = this.jobs.get(frame.job);
      const chunks = frame.chunks ?? [];
      if (entry && chunks.length > 0) {
        // The server sends each chunk once per socket; after a reconnect it starts after `since`.
        const fresh = chunks.filter((c) => c.seq > entry.since);
        if (fresh.length === 0 && !frame.steps?.length) return;
        if (fresh.length > 0) entry.since = fresh[fresh.length - 1].seq;
        frame = { ...frame, chunks: fresh };
      }
    }
    for (const listener of [...this.listeners]) listener(frame);
  }

  private closed(socket: SocketLike, code: number) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = false;
    if (FINAL_CLOSE_CODES.has(code)) {
      // Logged out, roles taken, or refused: reconnecting would be refused too (a logout says so in a frame first).
      this.ended = true;
      return;
    }
    if (!this.inUse()) return;
    const delay = Math.min(MAX_DELAY_MS, 500 * 2 ** Math.min(this.retries, 6)) * (0.75 + Math.random() * 0.5);
    this.retries += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ensureOpen();
    }, delay);
  }

  /** After a new login: sockets may open again. */
  reset() {
    this.ended = false;
    this.retries = 0;
    this.ensureOpen();
  }
}

/** The tab's socket. */
export const liveSocket = new LiveSocket();
