import { firstIssue, firstLine } from '../errors.js';
import { arg } from '../ops/args.js';
import { ProtocolError, type Frame } from '../protocol/frame.js';
import { DevicesReplySchema, ErrorReplySchema, HelloReplySchema, OpenedReplySchema, PROTOCOL_VERSION, type WireTensor } from '../protocol/messages.js';
import { packInputs } from '../protocol/tensors.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import { encodeValues } from '../tensor/codec.js';
import { fromValues, toRef, validateView } from '../tensor/materialize.js';
import type { TensorData } from '../tensor/tensor.js';
import { HARNESS_VERSION } from '../version.js';
import type { Capabilities } from '../device/device.js';
import { referenceExec } from './reference/driver.js';
import type { ExecRequest, ExecResult, Session } from './types.js';
import { WorkerProcess, type WorkerSpec } from './worker/process.js';
import { requestHeader, toExecResult } from './worker/session.js';

/*
 * `accelcert driver-check`: the driver itself, checked before any certification case, as a checklist a vendor can
 * run in their own CI. Worker drivers are probed at the protocol level (ids, pipelining, malformed requests, close,
 * end of input); module drivers through their session.
 */

/** One line of the checklist: `ok` true (passed), false (failed) or null (not applicable to this device). */
export interface Check {
  name: string;
  ok: boolean | null;
  detail: string;
}

export interface CheckOptions {
  /** the device to open (undefined: the driver's default) */
  device?: string | undefined;
  /** ms the worker may take for one request */
  timeoutMs: number;
}

const PROBE_OPS = ['aten.add.Tensor', 'aten.mul.Tensor', 'aten.neg.default', 'aten.relu.default'] as const;
type ProbeOp = (typeof PROBE_OPS)[number];
const BINARY: readonly ProbeOp[] = ['aten.add.Tensor', 'aten.mul.Tensor'];
const NO_SUCH_OP = 'aten.accelcert_no_such_op.default';
const PIPELINED = 16;

/** The probe op the device lists in float32, if any. */
function probeOp(caps: Capabilities): ProbeOp | null {
  if (!caps.dtypes.includes('float32')) return null;
  return PROBE_OPS.find((op) => caps.ops === null || caps.ops.includes(op)) ?? null;
}

function request(op: string, caseId: string, inputs: TensorData[]): ExecRequest & { kind: 'op' } {
  const args = (BINARY as readonly string[]).includes(op) ? [arg.tensor(0), arg.tensor(1)] : [arg.tensor(0)];
  return { kind: 'op', caseId, op, args, kwargs: {}, inputs: inputs.slice(0, args.length) };
}

/** Why the device's answer differs from the reference's, or null when every value is the same. */
function wrongAnswer(req: ExecRequest, got: ExecResult): string | null {
  if (!got.ok) return `it answered ${got.error.kind}: ${got.error.message}`;
  const want = referenceExec(req);
  if (!want.ok) return `the reference cannot compute it: ${want.error.message}`;
  const [out] = got.outputs;
  const [exp] = want.outputs;
  if (!out || !exp) return `it answered ${got.outputs.length} outputs, expected ${want.outputs.length}`;
  const bad = validateView(out);
  if (bad) return `its output is malformed: ${bad}`;
  if (out.dtype !== exp.dtype) return `its output has dtype ${out.dtype}, expected ${exp.dtype}`;
  if (out.shape.join() !== exp.shape.join()) return `its output has shape [${out.shape.join(', ')}], expected [${exp.shape.join(', ')}]`;
  const a = toRef(out).values;
  const b = toRef(exp).values;
  const i = a.findIndex((v, k) => !Object.is(v, b[k]));
  return i < 0 ? null : `element ${i} is ${a[i]}, expected ${b[i]}`;
}

const f32 = (shape: number[], values: number[]): TensorData => fromValues('float32', shape, values);

/** The cases every device is asked, with the inputs that make each one a probe. */
function probes(op: ProbeOp): { name: string; what: string; req: ExecRequest }[] {
  const a = f32([2, 3], [1.5, -2, 0.25, 3, -0.5, 8]);
  const b = f32([2, 3], [0.5, 4, -1, 2, 1.25, -3]);
  // a [3, 2] view, transposed and offset by one element, with poison around it
  const storage = encodeValues('float32', [Number.NaN, 1, 2, 3, 4, 5, 6, Number.NaN]);
  const transposed: TensorData = { dtype: 'float32', shape: [3, 2], strides: [1, 3], offset: 1, storage };
  const empty = f32([0, 3], []);
  return [
    { name: 'exec', what: `${op} on two contiguous float32 [2, 3] tensors`, req: request(op, 'driver-check/exec', [a, b]) },
    { name: 'non-contiguous inputs', what: `${op} on a transposed, offset [3, 2] view (poison outside it)`, req: request(op, 'driver-check/non-contiguous', [transposed, transposed]) },
    { name: 'zero-size tensors', what: `${op} on [0, 3] tensors`, req: request(op, 'driver-check/zero-size', [empty, empty]) },
  ];
}

function errorKind(frame: Frame): string | null {
  const e = ErrorReplySchema.safeParse(frame.header);
  return e.success ? e.data.kind : null;
}

/** A worker under check: started, said hello, its device open; replaced by a fresh one when a probe kills it. */
class Probe {
  proc: WorkerProcess;
  caps: Capabilities | null = null;

  constructor(
    private readonly spec: WorkerSpec,
    private readonly opts: CheckOptions,
  ) {
    this.proc = new WorkerProcess(spec);
  }

  ask(header: Readonly<Record<string, unknown>>, body: readonly Uint8Array[] = [], what = 'answering driver-check'): Promise<Frame> {
    return this.proc.requestUnchecked(header, body, { timeoutMs: this.opts.timeoutMs, what });
  }

  hello(): Promise<Frame> {
    return this.ask({ type: 'hello', protocol: PROTOCOL_VERSION, harness: { name: 'accelcert', version: HARNESS_VERSION } }, [], 'starting up');
  }

  open(device: string | null): Promise<Frame> {
    return this.ask({ type: 'open', device }, [], `opening ${device ?? 'its default device'}`);
  }

  /** A worker with its device open, for the probes after one that killed the last. */
  async ready(): Promise<void> {
    if (this.proc.alive) return;
    this.proc = new WorkerProcess(this.spec);
    await this.hello();
    const opened = OpenedReplySchema.safeParse((await this.open(this.opts.device ?? null)).header);
    if (!opened.success) throw new Error('the worker no longer opens its device');
  }

  async exec(req: ExecRequest & { kind: 'op' }): Promise<ExecResult> {
    const packed = packInputs(req.inputs);
    const frame = await this.proc.request(requestHeader(req, packed.headers), packed.chunks, { timeoutMs: this.opts.timeoutMs, what: `running ${req.caseId}` });
    try {
      return toExecResult(frame);
    } catch (err) {
      // as in a run: a worker that sends a reply it cannot read is confused, and the next probe gets a fresh one
      if (err instanceof ProtocolError) throw this.proc.brokeProtocol(`its reply to ${req.caseId} is ${err.message}`);
      throw err;
    }
  }
}

/** Runs every check against a worker; never throws for what the worker does, and leaves no worker behind. */
export async function checkWorker(spec: WorkerSpec, opts: CheckOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const p = new Probe(spec, opts);
  try {
    await runChecks(p, spec, opts, checks);
  } finally {
    await p.proc.close();
  }
  return checks;
}

async function runChecks(p: Probe, spec: WorkerSpec, opts: CheckOptions, checks: Check[]): Promise<void> {
  const record = (name: string, ok: boolean | null, detail: string): void => void checks.push({ name, ok, detail });
  const attempt = async (name: string, body: () => Promise<string | null>, onFail?: (why: string) => string): Promise<boolean> => {
    try {
      const problem = await body();
      if (problem === null) return true;
      record(name, false, onFail ? onFail(problem) : problem);
    } catch (err) {
      record(name, false, firstLine(err));
    }
    return false;
  };

  // start-up: hello, discover (on a worker of its own, as the harness does), open
  let started = false;
  await attempt('hello', async () => {
    const h = HelloReplySchema.safeParse((await p.hello()).header);
    if (!h.success) return `the hello reply is invalid: ${firstIssue(h.error)}`;
    if (h.data.protocol !== PROTOCOL_VERSION) return `it speaks protocol version ${h.data.protocol}, this accelcert ${PROTOCOL_VERSION}`;
    const fw = Object.entries(h.data.frameworks).map(([k, v]) => `${k} ${v}`).join(', ') || 'no frameworks';
    record('hello', true, `protocol ${h.data.protocol}; ${h.data.worker.name} ${h.data.worker.version}; ${fw}`);
    started = true;
    return null;
  });
  if (!started) return;
  await checkDiscover(spec, opts, attempt, record);
  const opened = await attempt('open', async () => {
    const o = OpenedReplySchema.safeParse((await p.open(opts.device ?? null)).header);
    if (!o.success) return `the opened reply is invalid: ${firstIssue(o.error)}`;
    p.caps = o.data.capabilities;
    const c = o.data.capabilities;
    const ops = c.ops === null ? 'any op' : `${c.ops.length} ops`;
    const kinds = Object.entries(c.workloads ?? { op: 1 }).map(([k, v]) => `${k} ${v}`).join(', ');
    record('open', true, `${o.data.device.device}: ${c.dtypes.join(' ')}; ${ops}; workloads ${kinds}`);
    return null;
  });
  await checkInvalidDevice(spec, opts, attempt, record);
  if (!opened || !p.caps) return;
  const caps = p.caps;

  const op = probeOp(caps);
  for (const probe of op ? probes(op) : []) {
    await attempt(probe.name, async () => {
      await p.ready();
      const why = wrongAnswer(probe.req, await p.exec(probe.req as ExecRequest & { kind: 'op' }));
      if (why === null) record(probe.name, true, probe.what);
      return why === null ? null : `${probe.what}: ${why}`;
    });
  }
  if (op) {
    await attempt('pipelining', async () => {
      await p.ready();
      // every request written before any answer is read; each answer must be its own request's
      const reqs = Array.from({ length: PIPELINED }, (_, k) => request(op, `driver-check/pipelined/${k}`, [f32([4], [k, -k, k + 0.5, 1]), f32([4], [1, 2, 3, k])]));
      const answers = await Promise.all(reqs.map((r) => p.exec(r)));
      const k = answers.findIndex((a, i) => wrongAnswer(reqs[i] as ExecRequest, a) !== null);
      if (k >= 0) return `${PIPELINED} requests in flight: the answer to request ${k} is not its own: ${wrongAnswer(reqs[k] as ExecRequest, answers[k] as ExecResult) ?? ''}`;
      record('pipelining', true, `${PIPELINED} requests in flight, each answered by id with its own result`);
      return null;
    });
  } else {
    record('exec', null, 'not applicable: the device lists none of add, mul, neg, relu in float32');
  }

  await attempt('unknown op', async () => {
    await p.ready();
    const r = await p.exec(request(NO_SUCH_OP, 'driver-check/unknown-op', [f32([2], [1, 2])]));
    if (r.ok || r.error.kind !== 'unsupported') return `${NO_SUCH_OP} must be answered unsupported; it answered ${r.ok ? 'a result' : r.error.kind}`;
    record('unknown op', true, `${NO_SUCH_OP}: unsupported ("${r.error.message}")`);
    return null;
  });
  const unlisted = DTYPES.find((d) => !caps.dtypes.includes(d) && d !== 'bool');
  if (op && unlisted) {
    await attempt('unlisted dtype', async () => {
      await p.ready();
      const t = fromValues(unlisted as DType, [2], [1, 0]);
      const req = request(op, 'driver-check/unlisted-dtype', [t, t]);
      const r = await p.exec(req);
      if (!r.ok && r.error.kind === 'unsupported') {
        record('unlisted dtype', true, `${op} in ${unlisted}, which its capabilities leave out: unsupported`);
        return null;
      }
      const why = wrongAnswer(req, r);
      if (why === null) record('unlisted dtype', true, `${op} in ${unlisted}, which its capabilities leave out: a correct answer`);
      return why === null ? null : `${op} in ${unlisted} (not in its capabilities) must be answered unsupported or correctly: ${why}`;
    });
  }
  await attempt('malformed request', async () => {
    await p.ready();
    // an input whose bytes lie beyond the frame body: the worker must refuse it and keep serving
    const bad: WireTensor = { dtype: 'float32', shape: [4], strides: [1], offset: 0, byteOffset: 0, byteLength: 16 };
    const { args } = request(op ?? 'aten.neg.default', 'driver-check/malformed', []);
    const frame = await p.ask({ type: 'exec', caseId: 'driver-check/malformed', op: op ?? 'aten.neg.default', args, kwargs: {}, inputs: args.map(() => bad) }, [new Uint8Array(8)]);
    const kind = errorKind(frame);
    if (kind === null) return `an input that lies beyond the frame body must get an error reply; it answered ${String(frame.header.type)}`;
    await p.ask({ type: 'accelcert-unknown-request' });
    record('malformed request', true, `an input beyond the frame body: error ${kind}; the worker goes on serving`);
    return null;
  });
  await attempt('unknown request type', async () => {
    await p.ready();
    const frame = await p.ask({ type: 'accelcert-unknown-request' });
    const kind = errorKind(frame);
    if (kind === null) return `a request of an unknown type must get an error reply; it answered ${String(frame.header.type)}`;
    record('unknown request type', true, `error ${kind}`);
    return null;
  });
  await attempt('close', async () => {
    await p.ready();
    const frame = await p.ask({ type: 'close' }, [], 'closing');
    if (frame.header.type !== 'closed') return `close must be answered closed; it answered ${String(frame.header.type)}`;
    const exited = await p.proc.endRequests(5000);
    const status = p.proc.exitStatus;
    if (!exited) return 'it answered closed but did not exit within 5 s';
    if (status?.code !== 0) return `it exited with ${status?.signal ?? `code ${String(status?.code)}`} after close`;
    record('close', true, 'closed, then exited with code 0');
    return null;
  });
  await attempt('end of requests', async () => {
    const q = new Probe(spec, opts);
    const exited = await q.hello().then(
      () => q.proc.endRequests(5000),
      async (err: unknown) => {
        await q.proc.close();
        throw err;
      },
    );
    if (!exited) return 'it did not exit within 5 s of its request pipe (fd 3) closing, as when the harness dies';
    record('end of requests', true, 'exits when fd 3 reaches end of file');
    return null;
  });
}

type Attempt = (name: string, body: () => Promise<string | null>) => Promise<boolean>;
type Recorder = (name: string, ok: boolean | null, detail: string) => void;

async function checkDiscover(spec: WorkerSpec, opts: CheckOptions, attempt: Attempt, record: Recorder): Promise<void> {
  const q = new Probe(spec, opts);
  await attempt('discover', async () => {
    await q.hello();
    const d = DevicesReplySchema.safeParse((await q.ask({ type: 'discover' })).header);
    if (!d.success) return `the devices reply is invalid: ${firstIssue(d.error)}`;
    if (d.data.devices.length === 0) return 'it lists no device';
    record('discover', true, d.data.devices.map((x) => `${x.device} (${x.fingerprint.model})`).join(', '));
    return null;
  });
  await q.proc.close();
}

async function checkInvalidDevice(spec: WorkerSpec, opts: CheckOptions, attempt: Attempt, record: Recorder): Promise<void> {
  const q = new Probe(spec, opts);
  const name = 'accelcert-no-such-device:99';
  await attempt('invalid device', async () => {
    await q.hello();
    const frame = await q.open(name);
    const kind = errorKind(frame);
    if (kind !== 'invalid_device') return `open of ${name} must be answered with error invalid_device; it answered ${kind ?? String(frame.header.type)}`;
    record('invalid device', true, `open ${name}: invalid_device`);
    return null;
  });
  await q.proc.close();
}

/** The session-level checks of a driver that is not a worker (a module driver): open, exec probes, close. */
export async function checkSession(open: () => Promise<Session>): Promise<Check[]> {
  const checks: Check[] = [];
  let session: Session;
  try {
    session = await open();
    checks.push({ name: 'open', ok: true, detail: `${session.device.device}: ${session.capabilities.dtypes.join(' ')}` });
  } catch (err) {
    return [{ name: 'open', ok: false, detail: firstLine(err) }];
  }
  const op = probeOp(session.capabilities);
  for (const probe of op ? probes(op) : []) {
    try {
      const why = wrongAnswer(probe.req, await session.exec(probe.req));
      checks.push({ name: probe.name, ok: why === null, detail: why === null ? probe.what : `${probe.what}: ${why}` });
    } catch (err) {
      checks.push({ name: probe.name, ok: false, detail: `${probe.what}: it threw: ${firstLine(err)}` });
    }
  }
  if (!op) checks.push({ name: 'exec', ok: null, detail: 'not applicable: the device lists none of add, mul, neg, relu in float32' });
  const r = await session.exec(request(NO_SUCH_OP, 'driver-check/unknown-op', [f32([2], [1, 2])])).catch((err: unknown) => ({ ok: false as const, error: { kind: 'runtime' as const, message: `it threw: ${firstLine(err)}` } }));
  const unsupported = !r.ok && r.error.kind === 'unsupported';
  checks.push({ name: 'unknown op', ok: unsupported, detail: unsupported ? `${NO_SUCH_OP}: unsupported` : `${NO_SUCH_OP} must be answered unsupported; it answered ${r.ok ? 'a result' : `${r.error.kind}: ${r.error.message}`}` });
  await session.close();
  checks.push({ name: 'close', ok: true, detail: 'closed' });
  return checks;
}
