import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arg } from '../../ops/args.js';
import type { TensorData } from '../../tensor/tensor.js';
import type { Graph, GraphMode } from '../../workload/graph.js';
import type { ExecRequest, ExecResult, Session } from '../types.js';
import { pytorchDriver } from './driver.js';
import { findPython } from './python.js';
import { userErrorOf as userError } from '../../testing/helpers.js';

// Debian's python3 carries torch 1.13 here; the python3 first on PATH has none
const TORCH_PYTHON = process.env.ACCELCERT_TEST_TORCH_PYTHON ?? '/usr/bin/python3';

function f32(values: number[], shape: number[], strides?: number[], offset = 0): TensorData {
  return { dtype: 'float32', shape, strides: strides ?? contiguous(shape), offset, storage: new Uint8Array(new Float32Array(values).buffer) };
}
function contiguous(shape: number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i] ?? 1;
  }
  return s;
}
function values(r: ExecResult, index = 0): { dtype: string; shape: number[]; values: number[] } {
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  const t = r.outputs[index];
  if (!t) throw new Error('missing output');
  const copy = t.storage.slice();
  const arr = t.dtype === 'float32' ? new Float32Array(copy.buffer) : t.dtype === 'int64' ? Array.from(new BigInt64Array(copy.buffer), Number) : new Float64Array(copy.buffer);
  return { dtype: t.dtype, shape: t.shape, values: Array.from(arr) };
}

describe('pytorch driver on a real PyTorch (cpu)', () => {
  let session: Session;
  const log: string[] = [];

  beforeAll(async () => {
    session = await pytorchDriver.open('cpu', { python: TORCH_PYTHON, log: (l) => log.push(l) });
  });
  afterAll(async () => {
    await session?.close();
  });

  it('opens cpu with a fingerprint that records torch and the numerics modes', () => {
    expect(session.device.device).toBe('cpu');
    const fp = session.device.fingerprint;
    expect(fp.framework?.name).toBe('torch');
    expect(fp.framework?.version).toMatch(/^\d+\.\d+/);
    expect(fp.memoryBytes).toBeGreaterThan(0);
    expect(fp.extra['float32_matmul_precision']).toBe('highest');
    expect(fp.extra['cuda.matmul.allow_tf32']).toBe('False');
    expect(session.capabilities.dtypes).toEqual(expect.arrayContaining(['float32', 'bfloat16', 'int64', 'bool']));
    expect(session.capabilities.workloads).toEqual({ op: 1, graph: 1, bench: 1, collective: 1 });
    // gloo processes on a CPU, 4 unless ACCELCERT_CPU_RANKS says otherwise
    expect(session.capabilities.collectives).toMatchObject({ backend: 'gloo', maxRanks: Number(process.env.ACCELCERT_CPU_RANKS ?? 4) });
  });

  // x [2,3] · w [3,2] (w a transposed view) → relu → layer norm over the last dim (out, mean, rstd) → sum of the mean;
  // then an int64 node (argmin) and a factory node (arange, which must land on the device under test)
  const mlp: Graph = {
    name: 'tiny-mlp',
    nodes: [
      { name: 'mm', op: 'aten.mm.default', args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, outputs: 1 },
      { name: 'relu', op: 'aten.relu.default', args: [arg.tensor(2)], kwargs: {}, outputs: 1 },
      { name: 'ln', op: 'aten.native_layer_norm.default', args: [arg.tensor(3), arg.ints([2]), arg.none(), arg.none(), arg.float(1e-5)], kwargs: {}, outputs: 3 },
      { name: 'total', op: 'aten.sum.dim_IntList', args: [arg.tensor(5), arg.ints([0])], kwargs: {}, outputs: 1 },
      { name: 'amin', op: 'aten.argmin.default', args: [arg.tensor(2), arg.int(1)], kwargs: {}, outputs: 1 },
      { name: 'ar', op: 'aten.arange.start', args: [arg.int(0), arg.int(3)], kwargs: {}, outputs: 1 },
    ],
    outputs: [7, 4, 6],
  };
  const mlpInputs = (): TensorData[] => [f32([1, 2, 3, 4, 5, 6], [2, 3]), f32([1, 0, 1, -1, -1, 0], [3, 2], [1, 3])];
  // by hand: x·w = [[4, -3], [10, -9]]; relu = [[4, 0], [10, 0]]; row means 2 and 5, biased variances 4 and 25
  const rstd = [1 / Math.sqrt(4 + 1e-5), 1 / Math.sqrt(25 + 1e-5)];
  const lnOut = [2 * rstd[0]!, -2 * rstd[0]!, 5 * rstd[1]!, -5 * rstd[1]!];
  const graphReq = (graph: Graph, inputs: TensorData[], over: Partial<{ mode: GraphMode; intermediates: boolean }> = {}): ExecRequest => ({
    kind: 'graph',
    caseId: `t/graph/${graph.name}`,
    graph,
    mode: over.mode ?? 'eager',
    intermediates: over.intermediates ?? false,
    inputs,
  });
  const close = (actual: number[], expected: number[]) => {
    expect(actual).toHaveLength(expected.length);
    actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 6));
  };

  it('runs a graph eagerly and returns its outputs', async () => {
    const r = await session.exec(graphReq(mlp, mlpInputs()));
    expect(r.ok && r.outputs.length).toBe(3);
    expect(values(r, 0)).toEqual({ dtype: 'float32', shape: [1], values: [7] });
    const out = values(r, 1);
    expect(out.shape).toEqual([2, 2]);
    close(out.values, lnOut);
    close(values(r, 2).values, rstd);
    expect(values(r, 2).shape).toEqual([2, 1]);
    expect(r.ok && typeof r.deviceTimeNs).toBe('number');
  });

  it('returns every node value in value order with intermediates', async () => {
    const r = await session.exec(graphReq(mlp, mlpInputs(), { intermediates: true }));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.outputs.map((t) => [t.dtype, t.shape])).toEqual([
      ['float32', [2, 2]],
      ['float32', [2, 2]],
      ['float32', [2, 2]],
      ['float32', [2, 1]],
      ['float32', [2, 1]],
      ['float32', [1]],
      ['int64', [2]],
      ['int64', [3]],
    ]);
    expect(values(r, 0).values).toEqual([4, -3, 10, -9]);
    expect(values(r, 1).values).toEqual([4, 0, 10, 0]);
    close(values(r, 2).values, lnOut);
    expect(values(r, 3).values).toEqual([2, 5]);
    close(values(r, 4).values, rstd);
    expect(values(r, 5).values).toEqual([7]);
    expect(values(r, 6).values).toEqual([1, 1]);
    expect(values(r, 7).values).toEqual([0, 1, 2]);
  });

  it('runs a compiled graph only where torch.compile exists (PyTorch 2 and later)', async () => {
    const version = session.device.fingerprint.framework?.version ?? '';
    const r = await session.exec(graphReq(mlp, mlpInputs(), { mode: 'compiled' }));
    if (Number.parseInt(version, 10) < 2) {
      expect(r).toEqual({ ok: false, error: { kind: 'unsupported', message: `PyTorch ${version} has no torch.compile` } });
    } else if (r.ok) {
      expect(values(r, 0).values).toEqual([7]);
      close(values(r, 1).values, lnOut);
    } else {
      // a machine without the compiler's toolchain (inductor needs a C++ compiler on the CPU)
      expect(r.error).toEqual({ kind: 'unsupported', message: expect.stringMatching(/^torch\.compile cannot compile this graph: /) });
    }
  });

  it('names the node that raised, and keeps serving', async () => {
    const bad: Graph = {
      name: 'bad',
      nodes: [
        { name: 'neg', op: 'aten.neg.default', args: [arg.tensor(0)], kwargs: {}, outputs: 1 },
        { name: 'mm', op: 'aten.mm.default', args: [arg.tensor(1), arg.tensor(0)], kwargs: {}, outputs: 1 },
      ],
      outputs: [2],
    };
    const r = await session.exec(graphReq(bad, [f32([1, 2, 3, 4, 5, 6], [2, 3])]));
    expect(r).toEqual({ ok: false, error: { kind: 'runtime', message: expect.stringMatching(/^node mm \(aten\.mm\.default\): mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)$/) } });
    const missing: Graph = { name: 'missing', nodes: [{ name: 'nope', op: 'aten.no_such_op.default', args: [], kwargs: {}, outputs: 1 }], outputs: [0] };
    const u = await session.exec(graphReq(missing, []));
    expect(u).toEqual({ ok: false, error: { kind: 'unsupported', message: expect.stringMatching(/^node nope: PyTorch .* has no operator aten\.no_such_op\.default$/) } });
    const after = await session.exec(graphReq(mlp, mlpInputs()));
    expect(values(after, 0).values).toEqual([7]);
  });

  it('is a runtime error naming the node when a node yields another number of tensors than the graph says', async () => {
    const wrong: Graph = { name: 'wrong', nodes: [{ name: 'max_1', op: 'aten.max.dim', args: [arg.tensor(0), arg.int(1)], kwargs: {}, outputs: 1 }], outputs: [1] };
    const r = await session.exec(graphReq(wrong, [f32([1, 5, 2, 7], [2, 2])]));
    expect(r).toEqual({ ok: false, error: { kind: 'runtime', message: 'node max_1 (aten.max.dim) returned 2 tensors, the graph says 1' } });
  });

  it('adds a transposed input to an input with a storage offset, reading both views exactly', async () => {
    // a: storage [0..5] viewed as the transpose of a 2x3 matrix -> 3x2 [[0,3],[1,4],[2,5]]
    const a = f32([0, 1, 2, 3, 4, 5], [3, 2], [1, 3]);
    // b: storage [100, 10, 20, 30, 40, 50, 60] viewed from offset 1 as 3x2
    const b = f32([100, 10, 20, 30, 40, 50, 60], [3, 2], [2, 1], 1);
    const r = await session.exec({ kind: 'op', caseId: 't/add', op: 'aten.add.Tensor', args: [arg.tensor(0), arg.tensor(1)], kwargs: { alpha: arg.int(2) }, inputs: [a, b] });
    expect(values(r)).toEqual({ dtype: 'float32', shape: [3, 2], values: [20, 43, 61, 84, 102, 125] });
    expect(r.ok && r.outputs[0]?.strides).toEqual([2, 1]);
    expect(r.ok && typeof r.deviceTimeNs).toBe('number');
  });

  it('passes a tensor list and an int dim to aten.cat.default', async () => {
    const r = await session.exec({
      kind: 'op',
      caseId: 't/cat',
      op: 'aten.cat.default',
      args: [arg.tensors([0, 1]), arg.int(1)],
      kwargs: {},
      inputs: [f32([1, 2], [2, 1]), f32([3, 4, 5, 6], [2, 2])],
    });
    expect(values(r)).toEqual({ dtype: 'float32', shape: [2, 3], values: [1, 3, 4, 2, 5, 6] });
  });

  it('keeps int and float scalars apart (type promotion differs)', async () => {
    const x: TensorData = { dtype: 'int64', shape: [2], strides: [1], offset: 0, storage: new Uint8Array(new BigInt64Array([3n, 4n]).buffer) };
    const asInt = await session.exec({ kind: 'op', caseId: 't/i', op: 'aten.mul.Scalar', args: [arg.tensor(0), arg.int(2)], kwargs: {}, inputs: [x] });
    const asFloat = await session.exec({ kind: 'op', caseId: 't/f', op: 'aten.mul.Scalar', args: [arg.tensor(0), arg.float(2)], kwargs: {}, inputs: [x] });
    expect(values(asInt)).toEqual({ dtype: 'int64', shape: [2], values: [6, 8] });
    expect(values(asFloat).dtype).toBe('float32');
    const inf = await session.exec({ kind: 'op', caseId: 't/inf', op: 'aten.add.Scalar', args: [arg.tensor(0), arg.float(-Infinity)], kwargs: {}, inputs: [f32([1], [1])] });
    expect(values(inf).values).toEqual([-Infinity]);
  });

  it('returns every output of a multi-output op', async () => {
    const r = await session.exec({ kind: 'op', caseId: 't/max', op: 'aten.max.dim', args: [arg.tensor(0), arg.int(1)], kwargs: {}, inputs: [f32([1, 5, 2, 7, 3, 0], [2, 3])] });
    expect(values(r, 0).values).toEqual([5, 7]);
    expect(values(r, 1)).toEqual({ dtype: 'int64', shape: [2], values: [1, 0] });
  });

  it('reads a broadcast (stride 0) input and returns bool and empty outputs', async () => {
    const row = f32([1, 2, 3], [2, 3], [0, 1]);
    const other = f32([1, 0, 3, 4, 2, 3], [2, 3]);
    const r = await session.exec({ kind: 'op', caseId: 't/eq', op: 'aten.eq.Tensor', args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, inputs: [row, other] });
    expect(r.ok && r.outputs[0]?.dtype).toBe('bool');
    expect(r.ok && [...(r.outputs[0]?.storage ?? [])]).toEqual([1, 0, 1, 0, 1, 1]);
    const e = await session.exec({ kind: 'op', caseId: 't/empty', op: 'aten.neg.default', args: [arg.tensor(0)], kwargs: {}, inputs: [f32([], [0, 3])] });
    expect(e.ok && e.outputs[0]).toMatchObject({ dtype: 'float32', shape: [0, 3] });
    expect(e.ok && e.outputs[0]?.storage.byteLength).toBe(0);
  });

  it('round-trips bfloat16 bits exactly', async () => {
    const bits = new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x0001]); // 1, -2, inf, smallest subnormal
    const t: TensorData = { dtype: 'bfloat16', shape: [4], strides: [1], offset: 0, storage: new Uint8Array(bits.buffer) };
    const r = await session.exec({ kind: 'op', caseId: 't/bf16', op: 'aten.neg.default', args: [arg.tensor(0)], kwargs: {}, inputs: [t] });
    if (!r.ok) throw new Error(r.error.message);
    expect(Array.from(new Uint16Array(new Uint8Array(r.outputs[0]?.storage ?? []).buffer))).toEqual([0xbf80, 0x4000, 0xff80, 0x8001]);
  });

  it('answers unsupported for an op this PyTorch lacks', async () => {
    const r = await session.exec({ kind: 'op', caseId: 't/none', op: 'aten.no_such_op.default', args: [], kwargs: {}, inputs: [] });
    expect(r).toEqual({ ok: false, error: { kind: 'unsupported', message: expect.stringMatching(/^PyTorch .* has no operator aten\.no_such_op\.default$/) } });
    const o = await session.exec({ kind: 'op', caseId: 't/ov', op: 'aten.add.NoSuchOverload', args: [], kwargs: {}, inputs: [] });
    expect(o.ok === false && o.error.kind).toBe('unsupported');
  });

  it('answers runtime with the first line of the error when the op raises', async () => {
    const r = await session.exec({ kind: 'op', caseId: 't/bad', op: 'aten.add.Tensor', args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, inputs: [f32([1, 2], [2]), f32([1, 2, 3], [3])] });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error.kind).toBe('runtime');
    expect(r.ok === false && r.error.message).toMatch(/size of tensor a \(2\) must match/);
    expect(r.ok === false && r.error.message).not.toContain('\n');
  });

  it('pipelines requests and matches each answer to its case', async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => session.exec({ kind: 'op', caseId: `t/p${i}`, op: 'aten.neg.default', args: [arg.tensor(0)], kwargs: {}, inputs: [f32([i], [1])] })),
    );
    expect(results.map((r) => values(r).values[0])).toEqual(Array.from({ length: 16 }, (_, i) => -i));
  });
});

describe('pytorch driver failure paths', () => {
  it('says plainly when the named device does not exist', async () => {
    const err = await userError(pytorchDriver.open('cuda:7', { python: TORCH_PYTHON }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^the pytorch worker \(.*\) cannot open device "cuda:7": this PyTorch .* has no usable cuda device$/);
  });

  it('says plainly when torch rejects the device string', async () => {
    const err = await userError(pytorchDriver.open('warp:0', { python: TORCH_PYTHON }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/cannot open device "warp:0": Expected one of .* device type at start of device string: warp/);
  });

  it('says plainly when the python has no torch', async () => {
    const noTorch = execFileSync('sh', ['-c', 'command -v python3']).toString().trim();
    const err = await userError(pytorchDriver.open('cpu', { python: noTorch }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/^\S*python3 \(.*\) has no torch module \(ModuleNotFoundError: No module named 'torch'\); install PyTorch for it or name another interpreter with --python$/);
    const avail = await pytorchDriver.availability({ python: noTorch });
    expect(avail).toEqual({ usable: false, reason: err.message });
  });

  it('says plainly when the named python does not exist (usage) or no python is found (infrastructure)', async () => {
    const named = await userError(pytorchDriver.open('cpu', { python: '/nonexistent/python3' }));
    expect(named.exitCode).toBe(2);
    expect(named.message).toBe('--python /nonexistent/python3 is not a Python interpreter that runs here');
    const none = await userError(findPython({ env: {}, candidates: ['/nonexistent/python3', 'no-such-python'] }));
    expect(none.exitCode).toBe(3);
    expect(none.message).toBe('no Python interpreter found (tried /nonexistent/python3, no-such-python); install Python 3 with PyTorch or name one with --python');
  });

  it('prefers a candidate that has torch over an earlier one that does not', async () => {
    const choice = await findPython({ env: {}, candidates: ['python3', TORCH_PYTHON] });
    expect(choice.torchVersion).toMatch(/^\d+\.\d+/);
    expect(choice.reason).toMatch(/^using .*torch .* \(python3 has no torch module\)$/);
    const env = await findPython({ env: { ACCELCERT_PYTHON: TORCH_PYTHON }, candidates: [] });
    expect(env.reason).toContain('from ACCELCERT_PYTHON');
  });

  it('runs a named interpreter exactly as named: a wrapper script passed as --python is what starts the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accelcert-wrapper-'));
    try {
      // an environment-setup script as vendors ship them: it sets the environment, logs, then runs the real Python
      const wrapper = join(dir, 'python-env.sh');
      const calls = join(dir, 'calls.log');
      writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${JSON.stringify(calls)}\nexport ACCELCERT_WRAPPED=yes\nexec ${TORCH_PYTHON} "$@"\n`, { mode: 0o755 });
      const choice = await findPython({ python: wrapper });
      expect(choice.path).toBe(wrapper);
      const session = await pytorchDriver.open('cpu', { python: wrapper });
      try {
        const r = await session.exec({ kind: 'op', caseId: 't', op: 'aten.neg.default', args: [arg.tensor(0)], kwargs: {}, inputs: [f32([1, -2], [2])] });
        expect(values(r).values).toEqual([-1, 2]);
      } finally {
        await session.close();
      }
      // the worker itself was started through the wrapper, not by the Python the wrapper found
      expect(readFileSync(calls, 'utf8')).toMatch(/worker\.py/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('discovers the cpu with a fingerprint', async () => {
    const devices = await pytorchDriver.discover({ python: TORCH_PYTHON });
    expect(devices.map((d) => d.device)).toContain('cpu');
    expect(devices.at(-1)?.fingerprint.framework?.name).toBe('torch');
  });
});
