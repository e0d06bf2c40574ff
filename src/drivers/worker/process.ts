import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Readable, Writable } from 'node:stream';
import { DEFAULT_FRAME_LIMITS, encodeFrame, FrameDecoder, ProtocolError, type Frame, type FrameLimits } from '../../protocol/frame.js';
import type { Request } from '../../protocol/messages.js';
import { SessionLostError, type SessionLostKind } from '../types.js';

/** How a worker process is started and named. */
export interface WorkerSpec {
  /** program and arguments */
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** how sentences name the worker, e.g. `the worker "python3 w.py"` */
  label: string;
  /** short tag for forwarded output lines, e.g. `pytorch` */
  tag: string;
  /** receives every line the worker prints on stdout/stderr (they belong in the run log) */
  log?: (line: string) => void;
  limits?: FrameLimits;
  /** ms a reply frame, once begun, may go without its next byte before the worker broke the protocol (default 10 s) */
  frameStallMs?: number;
  /** receives a line per frame in either direction: its header, and its body's size (`--trace-protocol`) */
  trace?: (line: string) => void;
}

/** Why a request to a worker did not get an answer (see `SessionLostError`). */
export type WorkerFailureKind = SessionLostKind;

export class WorkerError extends SessionLostError {
  constructor(kind: WorkerFailureKind, message: string) {
    super(kind, message);
    this.name = 'WorkerError';
  }
}

export interface RequestOptions {
  /** ms the worker may spend on this request, counted from when it reaches the head of the queue; 0 = none */
  timeoutMs: number;
  /** what the worker was doing, for messages: "running case core/…", "starting up" */
  what: string;
}

interface Pending {
  what: string;
  timeoutMs: number;
  resolve: (frame: Frame) => void;
  reject: (err: Error) => void;
}

/** A request without its id: the process numbers each request it sends. */
export type RequestHeader = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

// workers must not outlive the harness, whatever way it exits
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const STDERR_TAIL_LINES = 20;
// after the worker exits, how long its last replies may take to drain from the pipe; after a pipe closes, how long
// the worker has to exit before a worker that lives on without it broke the protocol
const DRAIN_MS = 500;
// a worker writes a frame in one go; one that stops halfway and stays silent is stuck, and its stream can never resync
export const DEFAULT_FRAME_STALL_MS = 10_000;
// SIGKILL that the harness did not send: on Linux most often the kernel's out-of-memory killer
const OUTSIDE_SIGKILL = ' (a SIGKILL the harness did not send: most often the out-of-memory killer, see dmesg)';

/**
 * One worker process speaking the accelcert protocol on fds 3 (requests in) and 4 (replies out). Requests
 * are pipelined: each is written at once and answered by id, so the worker never waits for the harness.
 * A worker handles requests in order, so the oldest unanswered request is the one it is working on: that
 * one carries the timeout, and a crash is charged to it.
 */
export class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly toWorker: Writable;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private readonly stderrTail: string[] = [];
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private failure: WorkerError | null = null;
  private closing = false;
  private readonly exited: Promise<void>;
  /** set once the worker could not even be spawned (program missing or not executable) */
  spawnFailed = false;

  constructor(private readonly spec: WorkerSpec) {
    const [program, ...args] = spec.argv;
    if (program === undefined) throw new Error('empty worker command');
    this.decoder = new FrameDecoder(spec.limits ?? DEFAULT_FRAME_LIMITS);
    // Its own process group: a Ctrl-C at the terminal interrupts the run (which then closes the worker),
    // not the worker in the middle of a case, which would be recorded as a crash.
    this.child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], env: spec.env ?? process.env, detached: true });
    live.add(this.child);
    const toWorker = this.child.stdio[3];
    const fromWorker = this.child.stdio[4];
    if (!(toWorker instanceof Writable) || !(fromWorker instanceof Readable)) throw new Error('worker pipes were not created');
    this.toWorker = toWorker;

    for (const [stream, name] of [
      [this.child.stdout, 'stdout'],
      [this.child.stderr, 'stderr'],
    ] as const) {
      if (!stream) continue;
      stream.on('error', () => undefined);
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        if (name === 'stderr') {
          this.stderrTail.push(line);
          if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
        }
        spec.log?.(`[${spec.tag} ${name}] ${line}`);
      });
    }
    // A dead peer shows up as EPIPE/ECONNRESET here and as 'exit' below; the exit carries the story. A worker that
    // closes a pipe and lives on can never answer again: it broke the protocol.
    toWorker.on('error', () => this.pipeClosed('closed its request pipe (fd 3)'));
    // fd 3 is a socket: when the worker closes its end, ours reads end-of-file at once, before any write fails
    if (toWorker instanceof Readable) {
      toWorker.on('end', () => this.pipeClosed('closed its request pipe (fd 3)'));
      toWorker.resume();
    }
    fromWorker.on('error', () => undefined);
    fromWorker.on('data', (chunk: Buffer) => this.onData(chunk));
    fromWorker.on('end', () => this.pipeClosed('closed its reply pipe (fd 4)'));
    const drained = new Promise<void>((resolve) => fromWorker.once('close', () => resolve()));

    this.exited = new Promise<void>((resolve) => {
      this.child.once('error', (err: NodeJS.ErrnoException) => {
        live.delete(this.child);
        const why = err.code === 'ENOENT' ? `${program} was not found` : err.code === 'EACCES' ? `${program} is not executable` : err.message;
        this.fail('crash', `could not be started: ${why}`, err.code === 'ENOENT' || err.code === 'EACCES' ? 'spawn' : undefined);
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        const killedByUs = this.failure !== null;
        void settlesWithin(drained, DRAIN_MS).then(() => {
          const cut = this.decoder.midFrame ? ` in the middle of a reply (after ${this.decoder.describePartial()})` : '';
          const how = signal ? `was killed by ${signal}${cut}${signal === 'SIGKILL' && !killedByUs ? OUTSIDE_SIGKILL : ''}` : `exited with code ${code ?? '?'}${cut}`;
          if (this.closing && this.pending.size === 0) this.failure ??= new WorkerError('crash', `${spec.label} has been closed`);
          else this.fail('crash', how);
          resolve();
        });
      });
    });
  }

  /** The worker's last stderr line, if any (start-up failures are usually explained there). */
  get lastStderrLine(): string | undefined {
    for (let i = this.stderrTail.length - 1; i >= 0; i--) {
      const line = this.stderrTail[i]?.trim();
      if (line) return line;
    }
    return undefined;
  }

  get alive(): boolean {
    return this.failure === null;
  }

  /** Sends a request at once (pipelined behind any in flight) and resolves with the reply frame. */
  request(header: RequestHeader, body: readonly Uint8Array[], opts: RequestOptions): Promise<Frame> {
    return this.send(header, body, opts);
  }

  /** Sends a header the protocol need not define (`driver-check` probes a worker with malformed requests). */
  requestUnchecked(header: Readonly<Record<string, unknown>>, body: readonly Uint8Array[], opts: RequestOptions): Promise<Frame> {
    return this.send(header, body, opts);
  }

  /** How the process ended (null while it runs). */
  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.child.exitCode === null && this.child.signalCode === null ? null : { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** Ends the request pipe, as a harness that goes away does, and says whether the worker exited within `ms`. */
  async endRequests(ms: number): Promise<boolean> {
    this.closing = true;
    this.toWorker.end();
    const exited = await settlesWithin(this.exited, ms);
    if (!exited) await this.exitedOrKill();
    return exited;
  }

  private send(header: object, body: readonly Uint8Array[], opts: RequestOptions): Promise<Frame> {
    if (this.failure) {
      // a request sent after a hang or a protocol break never ran: it runs again on a fresh worker
      const kind = this.failure.kind === 'timeout' || this.failure.kind === 'protocol' ? 'aborted' : 'crash';
      return Promise.reject(new WorkerError(kind, this.failure.message));
    }
    const id = this.nextId++;
    const chunks = encodeFrame({ ...header, id }, body, this.spec.limits ?? DEFAULT_FRAME_LIMITS);
    if (this.spec.trace) this.spec.trace(traceLine('→', { ...header, id }, body.reduce((n, c) => n + c.byteLength, 0)));
    return new Promise<Frame>((resolve, reject) => {
      this.pending.set(id, { what: opts.what, timeoutMs: opts.timeoutMs, resolve, reject });
      if (this.pending.size === 1) this.armTimer();
      this.toWorker.cork();
      for (const c of chunks) this.toWorker.write(c);
      this.toWorker.uncork();
    });
  }

  /** Asks the worker to close, then makes sure the process is gone. */
  async close(): Promise<void> {
    if (this.failure) return this.exitedOrKill();
    this.closing = true;
    try {
      await this.request({ type: 'close' }, [], { timeoutMs: 5000, what: 'closing' });
    } catch {
      // a worker that cannot close cleanly is killed below
    }
    this.toWorker.end();
    await this.exitedOrKill();
  }

  /** Stops the worker at once; requests in flight fail with `aborted`. */
  kill(reason = 'was stopped by the harness'): void {
    this.fail('aborted', reason);
  }

  /**
   * The worker answered a request it was sent with a reply that breaks the protocol (`what` says how): it is
   * killed, the requests behind are aborted (they run again elsewhere), and the error to throw for this one returned.
   */
  brokeProtocol(what: string): WorkerError {
    const message = `${this.spec.label} broke the protocol: ${what}`;
    this.fail('protocol', `broke the protocol: ${what}`, 'answered');
    return new WorkerError('protocol', message);
  }

  private async exitedOrKill(): Promise<void> {
    const done = await settlesWithin(this.exited, 5000);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let frames: Frame[] = [];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
    for (const frame of frames) {
      if (this.spec.trace) this.spec.trace(traceLine('←', frame.header, frame.body.byteLength));
      const id = frame.header.id;
      const p = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (!p) {
        const why = Number.isSafeInteger(id)
          ? `it answered request id ${String(id)}, which is not awaiting an answer`
          : `it sent a reply whose id is ${id === undefined ? 'missing' : JSON.stringify(id)} (a reply's id is the integer id of its request)`;
        this.fail('protocol', `broke the protocol: ${why}`);
        return;
      }
      this.pending.delete(id as number);
      this.armTimer();
      p.resolve(frame);
    }
    // the replies before a break count; the break is charged to the request it was the answer to
    const broken = this.decoder.failure;
    if (broken) this.fail('protocol', `broke the protocol: it sent ${broken.message}`);
    else this.armStallTimer();
  }

  /** While a reply frame is half received, its next bytes must come within the stall limit. */
  private armStallTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    if (!this.decoder.midFrame) return;
    const ms = this.spec.frameStallMs ?? DEFAULT_FRAME_STALL_MS;
    this.stallTimer = setTimeout(() => {
      this.fail('protocol', `broke the protocol: it sent a truncated frame (${this.decoder.describePartial()}, then nothing for ${formatSeconds(ms)})`);
    }, ms);
  }

  /** A pipe closed: a worker that exits now is told by its exit; one that lives on without the pipe broke the protocol. */
  private pipeClosed(what: string): void {
    if (this.failure || this.closing) return;
    void settlesWithin(this.exited, DRAIN_MS).then((exited) => {
      if (!exited) this.fail('protocol', `broke the protocol: it ${what} but kept running`);
    });
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const head = this.pending.values().next().value;
    if (!head || head.timeoutMs <= 0) return;
    this.timer = setTimeout(() => this.fail('timeout', `did not answer within ${formatSeconds(head.timeoutMs)}`), head.timeoutMs);
  }

  /**
   * Kills the worker and fails every request in flight: the head with `kind`, the rest as `aborted`; every one as
   * `aborted` when the failure belongs to a request already answered (`answered`).
   */
  private fail(kind: WorkerFailureKind, reason: string, cause?: 'spawn' | 'answered'): void {
    if (this.failure) return;
    if (cause === 'spawn') this.spawnFailed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    const tail = this.lastStderrLine;
    const why = tail && kind === 'crash' && cause !== 'spawn' ? ` (its last stderr line: ${JSON.stringify(tail)})` : '';
    const requests = [...this.pending.values()];
    this.pending.clear();
    const head = cause === 'answered' ? undefined : requests[0];
    const message = head && cause !== 'spawn' ? `${this.spec.label} ${reason} while ${head.what}${why}` : `${this.spec.label} ${reason}${why}`;
    this.failure = new WorkerError(kind, message);
    head?.reject(this.failure);
    for (const p of head ? requests.slice(1) : requests) {
      p.reject(new WorkerError('aborted', `${this.spec.label} was stopped before ${p.what}, because it ${reason}${head ? ` while ${head.what}` : ''}`));
    }
  }
}


// a header is written whole up to this many characters (a graph request's can be large), then cut
const TRACE_HEADER_CHARS = 16_384;

/** One line of the protocol trace: direction, the header as JSON, and the body's size (its bytes are not written). */
export function traceLine(direction: '→' | '←', header: object, bodyBytes: number): string {
  const json = JSON.stringify(header);
  const shown = json.length > TRACE_HEADER_CHARS ? `${json.slice(0, TRACE_HEADER_CHARS)}… (${json.length - TRACE_HEADER_CHARS} more characters)` : json;
  return `[protocol ${direction}] ${shown}${bodyBytes > 0 ? ` + body ${bodyBytes} bytes` : ''}`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Whether `p` settles within `ms`; the timer is cleared as soon as it does, so it never keeps the harness alive. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}
