import type { z } from 'zod';
import { firstIssue, issueText, UserError } from '../../errors.js';
import { ProtocolError, type Frame } from '../../protocol/frame.js';
import {
  DevicesReplySchema,
  ErrorReplySchema,
  HelloReplySchema,
  OpenedReplySchema,
  PROTOCOL_VERSION,
  ResultReplySchema,
  TimingReplySchema,
  type HelloReply,
  type WireTensor,
} from '../../protocol/messages.js';
import { packInputs, unpackOutputs } from '../../protocol/tensors.js';
import { HARNESS_VERSION } from '../../version.js';
import type { Capabilities, DeviceInfo } from '../../device/device.js';
import type { Driver, ExecRequest, ExecResult, OpenOptions, Session } from '../types.js';
import { WorkerError, WorkerProcess, type RequestHeader, type WorkerSpec } from './process.js';

/** Open options a worker driver understands beyond the common ones. */
export interface WorkerOptions extends OpenOptions {
  /** per-exec time limit in ms (0 or absent: none); a worker that exceeds it is killed */
  timeoutMs?: number;
  /** time limit for start-up, discovery and opening a device (default 120 s: framework imports are slow) */
  startupTimeoutMs?: number;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 120_000;

function numberOption(opts: OpenOptions, key: 'timeoutMs' | 'startupTimeoutMs' | 'frameStallMs'): number | undefined {
  const v: unknown = (opts as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** A started worker that has said hello in our protocol version; discovers devices or opens one. */
export class WorkerClient {
  private constructor(
    private readonly proc: WorkerProcess,
    private readonly spec: WorkerSpec,
    readonly hello: HelloReply,
    private readonly startupTimeoutMs: number,
    private readonly execTimeoutMs: number,
  ) {}

  /**
   * Spawns the worker and checks its hello. Every way this can fail is one sentence in a UserError:
   * exit code 2 when the command itself is wrong (not found), 3 when the worker cannot start or speaks
   * another protocol (infrastructure).
   */
  static async start(spec: WorkerSpec, opts: OpenOptions = {}): Promise<WorkerClient> {
    const startupTimeoutMs = numberOption(opts, 'startupTimeoutMs') ?? DEFAULT_STARTUP_TIMEOUT_MS;
    const stall = numberOption(opts, 'frameStallMs');
    const trace = opts.traceProtocol === true ? opts.log : undefined;
    const proc = new WorkerProcess({ ...spec, ...(stall !== undefined ? { frameStallMs: stall } : {}), ...(trace ? { trace } : {}) });
    let frame: Frame;
    try {
      frame = await proc.request(
        { type: 'hello', protocol: PROTOCOL_VERSION, harness: { name: 'accelcert', version: HARNESS_VERSION } },
        [],
        { timeoutMs: startupTimeoutMs, what: 'starting up' },
      );
    } catch (err) {
      throw asUserError(err, proc.spawnFailed ? 2 : 3);
    }
    const fail = async (sentence: string): Promise<never> => {
      await proc.close();
      throw new UserError(sentence, 3);
    };
    const h = frame.header;
    if (h.type === 'error') {
      const e = ErrorReplySchema.safeParse(h);
      return fail(`${spec.label} refused to start: ${e.success ? e.data.message : 'it sent an invalid error reply'}`);
    }
    if (h.type === 'hello' && typeof h.protocol === 'number' && h.protocol !== PROTOCOL_VERSION) {
      return fail(`${spec.label} speaks accelcert protocol version ${h.protocol}, but this accelcert speaks version ${PROTOCOL_VERSION}`);
    }
    const hello = HelloReplySchema.safeParse(h);
    if (!hello.success) return fail(`${spec.label} answered hello with an invalid message (${hello.error.issues.map(issueText).join('; ')})`);
    return new WorkerClient(proc, spec, hello.data, startupTimeoutMs, numberOption(opts, 'timeoutMs') ?? 0);
  }

  /** The devices the worker sees, with their fingerprints. */
  async discover(): Promise<DeviceInfo[]> {
    const frame = await this.control({ type: 'discover' }, 'listing devices');
    return this.expect(frame, DevicesReplySchema, 'devices').devices;
  }

  /** Opens a device (undefined = the worker's default) and hands the worker over to the returned session. */
  async open(device: string | undefined): Promise<Session> {
    const frame = await this.control({ type: 'open', device: device ?? null }, `opening device ${device ?? '(default)'}`);
    if (frame.header.type === 'error') {
      const e = ErrorReplySchema.safeParse(frame.header);
      if (e.success && e.data.kind === 'invalid_device') {
        await this.close();
        throw new UserError(`${this.spec.label} cannot open device ${JSON.stringify(device ?? '(default)')}: ${e.data.message}`, 2);
      }
    }
    const opened = this.expect(frame, OpenedReplySchema, 'opened');
    return new WorkerSession(this.proc, this.spec, opened.device, opened.capabilities, this.execTimeoutMs);
  }

  /** Whether the worker is still there to be asked (a spare may have died while it waited). */
  get alive(): boolean {
    return this.proc.alive;
  }

  close(): Promise<void> {
    return this.proc.close();
  }

  private async control(header: { type: 'discover' } | { type: 'open'; device: string | null }, what: string): Promise<Frame> {
    try {
      return await this.proc.request(header, [], { timeoutMs: this.startupTimeoutMs, what });
    } catch (err) {
      throw asUserError(err, 3);
    }
  }

  /** Validates a control reply; an error reply or a malformed one ends the worker with one sentence. */
  private expect<T>(frame: Frame, schema: z.ZodType<T>, type: string): T {
    const h = frame.header;
    if (h.type === 'error') {
      const e = ErrorReplySchema.safeParse(h);
      this.proc.kill();
      throw new UserError(`${this.spec.label} failed: ${e.success ? e.data.message : 'it sent an invalid error reply'}`, 3);
    }
    const parsed = schema.safeParse(h);
    if (!parsed.success) {
      this.proc.kill();
      throw new UserError(`${this.spec.label} sent an invalid "${type}" reply (${firstIssue(parsed.error)})`, 3);
    }
    return parsed.data;
  }
}

/** An open device behind a worker: exec requests are pipelined; close ends the worker. */
class WorkerSession implements Session {
  constructor(
    private readonly proc: WorkerProcess,
    private readonly spec: WorkerSpec,
    readonly device: DeviceInfo,
    readonly capabilities: Capabilities,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Runs one case on the device. Resolves with outputs or a typed error the worker reported; rejects with a
   * WorkerError (crash, timeout, protocol, aborted) when the worker itself failed. A malformed reply is a broken
   * protocol: a worker that sends one is confused, and a fresh one runs the cases behind it.
   */
  async exec(req: ExecRequest): Promise<ExecResult> {
    const packed = packInputs(req.inputs);
    const frame = await this.proc.request(requestHeader(req, packed.headers), packed.chunks, {
      timeoutMs: this.timeoutMs,
      what: `running case ${req.caseId}`,
    });
    try {
      return toExecResult(frame);
    } catch (err) {
      if (err instanceof ProtocolError) throw this.proc.brokeProtocol(`its reply to case ${req.caseId} is ${err.message}`);
      throw err;
    }
  }

  close(): Promise<void> {
    return this.proc.close();
  }
}

/** The frame header that carries a request of its workload kind (docs/driver-protocol.md). */
export function requestHeader(req: ExecRequest, inputs: WireTensor[]): RequestHeader {
  switch (req.kind) {
    case 'op':
      return { type: 'exec', caseId: req.caseId, op: req.op, args: req.args, kwargs: req.kwargs, inputs };
    case 'graph':
      return { type: 'graph', caseId: req.caseId, graph: req.graph, mode: req.mode, intermediates: req.intermediates, inputs };
    case 'bench':
      return { type: 'bench', caseId: req.caseId, bench: req.bench, inputs };
    case 'collective':
      return { type: 'collective', caseId: req.caseId, collective: req.collective, inputs };
  }
}

/**
 * Turns an exec reply into an ExecResult. A malformed reply throws a ProtocolError whose message completes "its reply
 * is …": an error reply, timing or result that does not match its schema, or outputs that do not fit the frame body.
 */
export function toExecResult(frame: Frame): ExecResult {
  const h = frame.header;
  if (h.type === 'error') {
    const e = ErrorReplySchema.safeParse(h);
    if (!e.success) throw new ProtocolError(`an invalid error reply (${firstIssue(e.error)})`);
    const { kind, message } = e.data;
    if (kind === 'unsupported' || kind === 'runtime' || kind === 'out_of_memory') return { ok: false, error: { kind, message } };
    return { ok: false, error: { kind: 'runtime', message: `${kind}: ${message}` } };
  }
  if (h.type === 'timing') {
    const t = TimingReplySchema.safeParse(h);
    if (!t.success) throw new ProtocolError(`an invalid timing (${firstIssue(t.error)})`);
    const { type: _type, id: _id, ...timing } = t.data;
    return { ok: true, outputs: [], timing };
  }
  const r = ResultReplySchema.safeParse(h);
  if (!r.success) throw new ProtocolError(`an invalid result (${firstIssue(r.error)})`);
  try {
    const outputs = unpackOutputs(r.data.outputs, frame.body);
    const t = r.data.deviceTimeNs;
    const note = r.data.note;
    return { ok: true, outputs, ...(typeof t === 'number' ? { deviceTimeNs: t } : {}), ...(note !== undefined ? { note } : {}) };
  } catch (err) {
    if (err instanceof ProtocolError) throw new ProtocolError(`an invalid result: ${err.message}`);
    throw err;
  }
}


function asUserError(err: unknown, exitCode: 2 | 3): unknown {
  return err instanceof WorkerError ? new UserError(err.message, exitCode) : err;
}

/**
 * A worker driver's discover and open: start a worker per call; discovery closes it, a session keeps it. With a spare
 * in the options, open takes the spare when there is one and starts the next spare once the device is open.
 */
export function workerDriverMethods(start: (opts: OpenOptions) => Promise<WorkerClient>): Pick<Driver, 'discover' | 'open'> {
  return {
    async discover(opts) {
      const worker = await start(opts);
      try {
        return await worker.discover();
      } finally {
        await worker.close();
      }
    },
    async open(device, opts) {
      const spare = await opts.spare?.take();
      if (spare && !(spare instanceof WorkerClient)) await spare.close();
      const worker = spare instanceof WorkerClient ? spare : await start(opts);
      const session = await worker.open(device);
      opts.spare?.refill(() => start(opts));
      return session;
    },
  };
}
