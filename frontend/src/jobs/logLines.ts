/** Cutting a job's output chunks into lines: a chunk may end in the middle of a line, and hosts interleave. */
import type { OutputChunk } from '../api/socket';

export interface LogLine {
  seq: number;
  host: string;
  stream: string;
  text: string;
}

/** Lines of a job's log, built from its chunks in sequence order (each chunk taken once, whatever arrives twice). */
export class LogLines {
  readonly lines: LogLine[] = [];
  /** Sequence number of the last chunk taken. */
  last = 0;
  private partial = new Map<string, { seq: number; text: string }>();

  /** Take chunks (in order); chunks at or before `last` are ignored. Returns how many lines were completed. */
  add(chunks: readonly OutputChunk[]): number {
    const before = this.lines.length;
    for (const chunk of chunks) {
      if (chunk.seq <= this.last) continue;
      this.last = chunk.seq;
      const key = `${chunk.host}\u0000${chunk.stream}`;
      const pending = this.partial.get(key);
      const text = (pending?.text ?? '') + chunk.data;
      const parts = text.split('\n');
      const rest = parts.pop() ?? '';
      for (const part of parts) this.lines.push({ seq: pending?.seq ?? chunk.seq, host: chunk.host, stream: chunk.stream, text: part });
      if (rest) this.partial.set(key, { seq: chunk.seq, text: rest });
      else this.partial.delete(key);
    }
    return this.lines.length - before;
  }

  /** Lines not ended by a newline yet (shown at the end, as a terminal shows them). */
  pending(): LogLine[] {
    return [...this.partial.entries()].map(([key, p]) => {
      const [host, stream] = key.split('\u0000');
      return { seq: p.seq, host, stream, text: p.text };
    });
  }
}

/** The plain text of a line as the log file has it, with its host in brackets. */
export function lineText(line: LogLine): string {
  return line.host ? `[${line.host}] ${line.text}` : line.text;
}
