import { describe, expect, it, vi } from 'vitest';
import { LiveSocket, type SocketLike } from './socket';

class FakeSocket implements SocketLike {
  readyState = 1;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  sent: unknown[] = [];
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  frame(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  let now = 0;
  const live = new LiveSocket(() => {
    const socket = new FakeSocket();
    sockets.push(socket);
    return socket;
  }, () => now);
  return { live, sockets, advance: (ms: number) => (now += ms) };
}

describe('LiveSocket', () => {
  it('shares one socket between a watched design, a followed job and a listener', () => {
    const { live, sockets } = harness();
    live.listen(() => {});
    live.watchDesign(7);
    live.followJob(3, 0);
    expect(sockets).toHaveLength(1);
    sockets[0].frame({ type: 'hello', user: 'u' });
    expect(sockets[0].sent).toEqual([{ action: 'watch', design: 7 }, { action: 'follow', job: 3, since: 0 }]);
  });

  it('after a drop, reconnects and follows each job from the last chunk it received', () => {
    vi.useFakeTimers();
    const { live, sockets } = harness();
    const seen: number[] = [];
    live.listen((frame) => {
      if (frame.type === 'job.output') seen.push(...frame.chunks.map((c) => c.seq));
    });
    live.followJob(3, 0);
    sockets[0].frame({ type: 'hello', user: 'u' });
    sockets[0].frame({ type: 'job.output', job: 3, chunks: [{ seq: 1, host: '', stream: 'step', data: 'a\n', t: 0 }, { seq: 2, host: '', stream: 'step', data: 'b\n', t: 0 }] });
    sockets[0].onclose?.({ code: 1006 });
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
    sockets[1].frame({ type: 'hello', user: 'u' });
    expect(sockets[1].sent).toEqual([{ action: 'follow', job: 3, since: 2 }, { action: 'resume', since: 0, floor: 0 }]);
    // A chunk the server sends again is not passed on twice.
    sockets[1].frame({ type: 'job.output', job: 3, chunks: [{ seq: 2, host: '', stream: 'step', data: 'b\n', t: 0 }, { seq: 3, host: '', stream: 'step', data: 'c\n', t: 0 }] });
    expect(seen).toEqual([1, 2, 3]);
    vi.useRealTimers();
  });

  it('after a drop, resumes events from the last number it saw and passes each event on once', () => {
    vi.useFakeTimers();
    const { live, sockets } = harness();
    const seen: number[] = [];
    live.listen((frame) => {
      if (frame.type === 'design.changed') seen.push((frame as unknown as { seq: number }).seq);
    });
    live.watchDesign(7);
    sockets[0].frame({ type: 'hello', user: 'u', events: 40 });
    expect(sockets[0].sent).toEqual([{ action: 'watch', design: 7 }]); // the first socket starts from now
    sockets[0].frame({ type: 'design.changed', design: 7, seq: 41 });
    sockets[0].onclose?.({ code: 1006 });
    vi.advanceTimersByTime(1000);
    sockets[1].frame({ type: 'hello', user: 'u', events: 45 });
    expect(sockets[1].sent).toEqual([{ action: 'watch', design: 7 }, { action: 'resume', since: 41, floor: 40 }]);
    // What the server reads back may overlap what arrived live: each event once.
    sockets[1].frame({ type: 'design.changed', design: 7, seq: 41 });
    sockets[1].frame({ type: 'design.changed', design: 7, seq: 43 });
    sockets[1].frame({ type: 'design.changed', design: 7, seq: 43 });
    expect(seen).toEqual([41, 43]);
    vi.useRealTimers();
  });

  it('replaces a socket that heard nothing for too long, and stops for good after a logout close', () => {
    vi.useFakeTimers();
    const { live, sockets, advance } = harness();
    live.listen(() => {});
    sockets[0].frame({ type: 'hello', user: 'u' });
    advance(71_000);
    live.checkSilence();
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
    sockets[1].onclose?.({ code: 4401 });
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
    expect(live.ended).toBe(true);
    vi.useRealTimers();
  });
});
