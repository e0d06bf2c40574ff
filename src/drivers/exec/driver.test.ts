import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arg } from '../../ops/args.js';
import type { TensorData } from '../../tensor/tensor.js';
import { PACKAGE_ROOT } from '../../version.js';
import type { ExecRequest, ExecResult, Session } from '../types.js';
import { WorkerError } from '../worker/process.js';
import type { WorkerOptions } from '../worker/session.js';
import { execDriver } from './driver.js';
import { userErrorOf as userError } from '../../testing/helpers.js';

const PY = process.env.ACCELCERT_TEST_PYTHON ?? 'python3';
const WORKERS = join(PACKAGE_ROOT, 'fixtures/workers');
const EXAMPLE = `${PY} ${join(WORKERS, 'example_worker.py')}`;
const misbehaving = (mode: string): string => `${PY} ${join(WORKERS, 'misbehaving_worker.py')} ${mode}`;

function f32(values: number[], shape: number[], strides: number[], offset = 0): TensorData {
  return { dtype: 'float32', shape, strides, offset, storage: new Uint8Array(new Float32Array(values).buffer) };
}
function i32(values: number[], shape: number[]): TensorData {
  return { dtype: 'int32', shape, strides: shape.length === 1 ? [1] : [], offset: 0, storage: new Uint8Array(new Int32Array(values).buffer) };
}
function outValues(r: ExecResult): number[] {
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  const t = r.outputs[0];
  if (!t) throw new Error('no output');
  const bytes = new Uint8Array(t.storage);
  return Array.from(t.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer));
}
function neg(caseId: string, x: number): ExecRequest {
  return { kind: 'op', caseId, op: 'aten.neg.default', args: [arg.tensor(0)], kwargs: {}, inputs: [f32([x], [1], [1])] };
}
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('exec driver with the example worker', () => {
  let session: Session;
  const log: string[] = [];
  beforeAll(async () => {
    session = await execDriver.open(undefined, { worker: EXAMPLE, log: (l) => log.push(l) });
  });
  afterAll(async () => {
    await session?.close();
  });

  it('opens the worker default device with its capabilities', () => {
    expect(session.device.device).toBe('example:0');
    expect(session.capabilities.dtypes).toEqual(['float32', 'float64', 'int32']);
    expect(session.capabilities.ops).toContain('aten.add.Tensor');
  });

  it('computes add on a transposed input broadcast against a row with an offset, rounded to float32', async () => {
    const a = f32([0.1, 1, 2, 3, 4, 5], [3, 2], [1, 3]);
    const b = f32([9, 0.2, 7, 100], [2], [2], 1);
    const r = await session.exec({ kind: 'op', caseId: 'x/add', op: 'aten.add.Tensor', args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, inputs: [a, b] });
    expect(r.ok && r.outputs[0]?.shape).toEqual([3, 2]);
    const f = Math.fround;
    expect(outValues(r)).toEqual([f(f(0.1) + f(0.2)), 103, f(1 + f(0.2)), 104, f(2 + f(0.2)), 105]);
  });

  it('wraps int32 arithmetic and answers unsupported for ops it lacks', async () => {
    const r = await session.exec({ kind: 'op', caseId: 'x/mul', op: 'aten.mul.Tensor', args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, inputs: [i32([2 ** 30, -3], [2]), i32([4, 5], [2])] });
    expect(outValues(r)).toEqual([0, -15]);
    const u = await session.exec({ kind: 'op', caseId: 'x/mm', op: 'aten.mm.default', args: [arg.tensor(0), arg.tensor(0)], kwargs: {}, inputs: [i32([1], [1])] });
    expect(u).toEqual({ ok: false, error: { kind: 'unsupported', message: 'the example device has no aten.mm.default' } });
  });

  it('keeps many requests in flight and matches each answer to its request by id', async () => {
    const rs = await Promise.all(Array.from({ length: 32 }, (_, i) => session.exec(neg(`x/p${i}`, i))));
    expect(rs.map((r) => outValues(r)[0])).toEqual(Array.from({ length: 32 }, (_, i) => (i === 0 ? -0 : -i)));
  });

  it('lists the worker devices', async () => {
    const devices = await execDriver.discover({ worker: EXAMPLE });
    expect(devices).toEqual([expect.objectContaining({ device: 'example:0' })]);
  });
});

describe('exec driver failure paths', () => {
  it('needs a worker command (usage)', async () => {
    const err = await userError(execDriver.open(undefined, {}));
    expect([err.exitCode, err.message]).toEqual([2, 'the exec driver needs a worker command: --worker "CMD ARGS"']);
    expect((await execDriver.availability({})).usable).toBe(false);
  });

  it('says when the worker command does not exist (usage)', async () => {
    const err = await userError(execDriver.open(undefined, { worker: '/no/such/worker --fast' }));
    expect([err.exitCode, err.message]).toEqual([2, 'the worker "/no/such/worker --fast" could not be started: /no/such/worker was not found']);
  });

  it('says when the worker exits at start-up, with its last stderr line', async () => {
    const cmd = misbehaving('exit-at-start');
    const err = await userError(execDriver.open(undefined, { worker: cmd }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(`the worker "${cmd}" exited with code 3 while starting up (its last stderr line: "example device: cannot open /dev/example0 (no such device)")`);
  });

  it('refuses a worker that speaks another protocol version', async () => {
    const cmd = misbehaving('wrong-version');
    const err = await userError(execDriver.open(undefined, { worker: cmd }));
    expect([err.exitCode, err.message]).toEqual([3, `the worker "${cmd}" speaks accelcert protocol version 99, but this accelcert speaks version 1`]);
  });

  it('names every missing or wrong field of a malformed hello, not only the first', async () => {
    const cmd = misbehaving('bad-hello');
    const err = await userError(execDriver.open(undefined, { worker: cmd }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(new RegExp(`^the worker "${cmd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" answered hello with an invalid message \\(worker: .*; frameworks: .*\\)$`));
  });

  it('refuses a worker that writes bytes that are not frames', async () => {
    const cmd = misbehaving('garbage-pipe');
    const err = await userError(execDriver.open(undefined, { worker: cmd }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(`the worker "${cmd}" broke the protocol: it sent bytes that are not an accelcert frame (expected magic "ACRT", got 0x48545450) while starting up`);
  });

  it('says plainly when the device does not exist', async () => {
    const err = await userError(execDriver.open('example:3', { worker: EXAMPLE }));
    expect([err.exitCode, err.message]).toEqual([2, `the worker "${EXAMPLE}" cannot open device "example:3": the example worker has only the device example:0`]);
  });

  it('ignores what the worker prints on stdout and forwards it to the log', async () => {
    const log: string[] = [];
    const s = await execDriver.open(undefined, { worker: misbehaving('garbage-stdout'), log: (l) => log.push(l) });
    try {
      expect(outValues(await s.exec(neg('g/1', 2)))).toEqual([-2]);
      expect(outValues(await s.exec(neg('g/2', 3)))).toEqual([-3]);
    } finally {
      await s.close();
    }
    expect(log).toContain('[worker stdout] loading example device firmware...');
    expect(log.filter((l) => l.includes('not a frame, just noise'))).toHaveLength(2);
  });

  it('with traceProtocol, writes every frame header both ways to the log, with the body\'s size only', async () => {
    const log: string[] = [];
    const s = await execDriver.open(undefined, { worker: EXAMPLE, log: (l) => log.push(l), traceProtocol: true });
    try {
      expect(outValues(await s.exec(neg('t/1', 2)))).toEqual([-2]);
    } finally {
      await s.close();
    }
    const trace = log.filter((l) => l.startsWith('[protocol '));
    expect(trace.map((l) => l.slice(0, 30))).toEqual([
      '[protocol →] {"type":"hello","',
      '[protocol ←] {"type":"hello","',
      '[protocol →] {"type":"open","d',
      '[protocol ←] {"type":"opened",',
      '[protocol →] {"type":"exec","c',
      '[protocol ←] {"type":"result",',
      '[protocol →] {"type":"close","',
      '[protocol ←] {"type":"closed",',
    ]);
    expect(trace[4]).toMatch(/"caseId":"t\/1".*"id":3\} \+ body 4 bytes$/);
    expect(trace[5]).toMatch(/"id":3.*\} \+ body 4 bytes$/);
    expect(trace[6]).toBe('[protocol →] {"type":"close","id":4}');
    // without the option, nothing of the protocol is logged
    const quiet: string[] = [];
    const q = await execDriver.open(undefined, { worker: EXAMPLE, log: (l) => quiet.push(l) });
    await q.close();
    expect(quiet.filter((l) => l.startsWith('[protocol '))).toEqual([]);
  });

  it('matches answers that arrive out of order to their requests by id', async () => {
    const s = await execDriver.open(undefined, { worker: misbehaving('reverse-pairs') });
    try {
      const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => s.exec(neg(`r/${i}`, i + 1))));
      expect(rs.map((r) => outValues(r)[0])).toEqual([-1, -2, -3, -4, -5, -6, -7, -8]);
    } finally {
      await s.close();
    }
  });

  it('charges a crash to the case the worker was running and aborts the ones queued behind it', async () => {
    const cmd = misbehaving('crash-on-exec');
    const s = await execDriver.open(undefined, { worker: cmd });
    const [before, crash, after] = await Promise.allSettled([s.exec(neg('c/ok', 1)), s.exec(neg('c/crash', 2)), s.exec(neg('c/after', 3))]);
    expect(before.status === 'fulfilled' && outValues(before.value)).toEqual([-1]);
    const crashErr = crash.status === 'rejected' ? (crash.reason as unknown) : null;
    expect(crashErr).toBeInstanceOf(WorkerError);
    expect((crashErr as WorkerError).kind).toBe('crash');
    expect((crashErr as WorkerError).message).toBe(`the worker "${cmd}" exited with code 7 while running case c/crash (its last stderr line: "example device: fatal fault in aten.neg.default")`);
    const afterErr = after.status === 'rejected' ? (after.reason as WorkerError) : null;
    expect(afterErr?.kind).toBe('aborted');
    const later = await rejection(s.exec(neg('c/later', 4)));
    expect(later instanceof WorkerError && later.kind).toBe('crash');
    await s.close();
  });

  it('times a hung case out, kills the worker and aborts what was queued', async () => {
    const cmd = misbehaving('hang-on-exec');
    const opts: WorkerOptions = { worker: cmd, timeoutMs: 400 };
    const s = await execDriver.open(undefined, opts);
    const started = Date.now();
    const [ok, hang, queued] = await Promise.allSettled([s.exec(neg('h/ok', 1)), s.exec(neg('h/hang', 2)), s.exec(neg('h/queued', 3))]);
    expect(ok.status).toBe('fulfilled');
    const err = hang.status === 'rejected' ? (hang.reason as WorkerError) : null;
    expect([err?.kind, err?.message]).toEqual(['timeout', `the worker "${cmd}" did not answer within 0.4 s while running case h/hang`]);
    expect(queued.status === 'rejected' && (queued.reason as WorkerError).kind).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(3000);
    await s.close();
  });
});
