import type { CaseResult } from './result.js';

/**
 * Progress on stderr: a redrawn bar on a TTY; plain lines (every 10 % and at the end) when stderr is
 * not a TTY or `CI` is set, so CI logs stay readable.
 */
export class Progress {
  private done = 0;
  private failed = 0;
  private lastDecile = -1;
  private lastDraw = 0;
  private readonly start = performance.now();
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI;
  }

  /** One line of its own on the same stream: on a TTY it replaces the bar, which the next tick redraws below it. */
  note(line: string): void {
    this.stream.write(this.tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  tick(r: CaseResult): void {
    this.done++;
    if (r.status !== 'pass' && r.status !== 'waived' && r.status !== 'skip') this.failed++;
    if (this.tty) {
      // redraw at most every 50 ms: a terminal is slower than the cases
      const now = performance.now();
      if (now - this.lastDraw < 50 && this.done !== this.total) return;
      this.lastDraw = now;
      const width = 30;
      const filled = Math.round((this.done / this.total) * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      this.stream.write(`\r${this.label} ${bar} ${this.done}/${this.total}  not passed: ${this.failed}  ${truncate(r.id, 60)}\x1b[K`);
      if (this.done === this.total) this.stream.write('\n');
      return;
    }
    const decile = Math.floor((this.done / this.total) * 10);
    if (decile !== this.lastDecile || this.done === this.total) {
      this.lastDecile = decile;
      const secs = ((performance.now() - this.start) / 1000).toFixed(1);
      this.stream.write(`${this.label}: ${this.done}/${this.total} cases, ${this.failed} not passed, ${secs} s\n`);
    }
  }
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `…${s.slice(s.length - n + 1)}`;
}
