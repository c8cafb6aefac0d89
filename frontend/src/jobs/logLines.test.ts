import { describe, expect, it } from 'vitest';
import { LogLines, lineText } from './logLines';

const chunk = (seq: number, data: string, host = 'h1', stream = 'stdout') => ({ seq, host, stream: stream as 'stdout', data, t: 0 });

describe('LogLines', () => {
  it('joins a line cut between two chunks and keeps hosts apart', () => {
    const log = new LogLines();
    log.add([chunk(1, 'one\ntw'), chunk(2, 'x\n', 'h2'), chunk(3, 'o\nthree')]);
    expect(log.lines.map(lineText)).toEqual(['[h1] one', '[h2] x', '[h1] two']);
    expect(log.pending().map((l) => l.text)).toEqual(['three']);
  });

  it('takes each chunk once, whatever arrives twice', () => {
    const log = new LogLines();
    log.add([chunk(1, 'a\n'), chunk(2, 'b\n')]);
    log.add([chunk(2, 'b\n'), chunk(3, 'c\n')]);
    expect(log.lines.map((l) => l.text)).toEqual(['a', 'b', 'c']);
    expect(log.last).toBe(3);
  });
});
