import { describe, expect, it } from 'vitest';
import { inProcessSession, referenceExec, REFERENCE_DEVICE } from '../drivers/reference/driver.js';
import type { ExecRequest, ExecResult, Session } from '../drivers/types.js';
import { shippedSuites } from '../../suites/index.js';
import type { Case } from '../workload/case.js';
import { roundToFloat, ulpOf } from '../tensor/dtype.js';
import { fromValues, toRef } from '../tensor/materialize.js';
import { contiguousStrides, type TensorData } from '../tensor/tensor.js';
import { metricsProblem } from '../verify/consistency.js';
import { executeCases } from './execute.js';
import type { CaseResult } from './result.js';

/**
 * The judge must be discriminating: small in-process devices built on the reference, each with one
 * injected fault, must fail exactly the cases that fault affects, and a legitimate choice PyTorch
 * leaves open must pass.
 */
const cases = shippedSuites().flatMap((s) => s.cases);

function byId(id: string): Case {
  const c = cases.find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
}

async function runOn(exec: (req: ExecRequest) => ExecResult, ids: string[]): Promise<CaseResult[]> {
  const session: Session = inProcessSession(REFERENCE_DEVICE, exec);
  return (await executeCases(session, ids.map(byId), { timeoutMs: 10_000, depth: 1, reopen: () => Promise.resolve(session), onResult: () => undefined })).results;
}

/** Rewrites the outputs of one op with `fault`, computing everything else as the reference does. */
function faulty(op: string, fault: (req: ExecRequest, out: TensorData[]) => TensorData[]): (req: ExecRequest) => ExecResult {
  return (req) => {
    const res = referenceExec(req);
    if (!res.ok || req.kind !== 'op' || req.op !== op) return res;
    return { ok: true, outputs: fault(req, res.outputs) };
  };
}

describe('the judge is discriminating', () => {
  it('the reference itself passes every case used below', async () => {
    const ids = [
      'core/matmul/aten.mm.default/float16/8x1024x8-small',
      'core/binary/aten.div.Tensor/float32/7x13',
      'core/activation/aten.relu.default/float32/7x13-special',
      'core/reduction/aten.amax.default/float32/dim1-special',
      'core/reduction/aten.argmax.default/float32/dim1-9x17-ties',
      'core/binary/aten.add.Tensor/float32/7x13-transposed',
    ];
    const results = await runOn(referenceExec, ids);
    expect(results.map((r) => [r.id, r.status])).toEqual(ids.map((id) => [id, 'pass']));
  });

  it('fails a float16 mm that accumulates in float16 over K = 1024', async () => {
    const exec = faulty('aten.mm.default', (req) => {
      const [a, b] = req.inputs.map(toRef);
      const [m, k] = a!.shape as [number, number];
      const n = b!.shape[1] as number;
      const out = new Float64Array(m * n);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc = roundToFloat('float16', acc + roundToFloat('float16', a!.values[i * k + p]! * b!.values[p * n + j]!));
          out[i * n + j] = acc;
        }
      return [fromValues('float16', [m, n], out)];
    });
    const [r] = await runOn(exec, ['core/matmul/aten.mm.default/float16/8x1024x8-small']);
    expect(r?.status).toBe('fail');
    expect(r?.outputs[0]?.rule).toMatch(/accumulation/);
    expect(r?.outputs[0]?.margin ?? Infinity).toBeGreaterThan(1);
  });

  it('fails a float32 div that is 2 ULP off', async () => {
    const exec = faulty('aten.div.Tensor', (_req, [out]) => {
      const v = toRef(out!).values.map((x) => (Number.isFinite(x) ? x + 2 * ulpOf('float32', x) : x));
      return [fromValues('float32', out!.shape, v)];
    });
    const [r] = await runOn(exec, ['core/binary/aten.div.Tensor/float32/7x13']);
    expect(r?.status).toBe('fail');
    expect(r?.outputs[0]?.maxUlpError).toBeGreaterThanOrEqual(1.5);
  });

  it('fails a relu and an amax that turn NaN into 0', async () => {
    const dropNaN = (_req: ExecRequest, outs: TensorData[]): TensorData[] =>
      outs.map((o) => fromValues(o.dtype, o.shape, toRef(o).values.map((x) => (Number.isNaN(x) ? 0 : x))));
    const [relu] = await runOn(faulty('aten.relu.default', dropNaN), ['core/activation/aten.relu.default/float32/7x13-special']);
    const [amax] = await runOn(faulty('aten.amax.default', dropNaN), ['core/reduction/aten.amax.default/float32/dim1-special']);
    expect(relu?.status).toBe('fail');
    expect(amax?.status).toBe('fail');
    expect(relu?.outputs[0]?.margin).toBeNull();
  });

  it('passes an argmax that returns the last of tied maxima (PyTorch does not say which)', async () => {
    let ties = 0;
    const exec = faulty('aten.argmax.default', (req) => {
      const x = toRef(req.inputs[0]!);
      const [rows, cols] = x.shape as [number, number];
      const idx = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        let best = 0;
        for (let j = 1; j < cols; j++) if (x.values[i * cols + j]! >= x.values[i * cols + best]!) best = j;
        const max = x.values[i * cols + best]!;
        if (x.values.slice(i * cols, (i + 1) * cols).filter((v) => v === max).length > 1) ties++;
        idx[i] = best;
      }
      return [fromValues('int64', [rows], idx)];
    });
    const [r] = await runOn(exec, ['core/reduction/aten.argmax.default/float32/dim1-9x17-ties']);
    expect(ties).toBeGreaterThan(0);
    expect(r?.status).toBe('pass');
  });

  it('fails a device that flushes subnormals to zero on the subnormal cases, and only there', async () => {
    const flush = (o: TensorData): TensorData =>
      fromValues(o.dtype, o.shape, toRef(o).values.map((x) => (x !== 0 && Math.abs(x) < 2 ** -126 ? 0 * Math.sign(x) : x)));
    const exec = faulty('aten.add.Tensor', (_req, outs) => outs.map(flush));
    const results = await runOn(exec, ['core/binary/aten.add.Tensor/float32/7x13', 'core/binary/aten.add.Tensor/float32/7x13-subnormal']);
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail']);
  });

  it('fails an integer floor division that truncates toward zero, on the cases with negative quotients', async () => {
    const exec = (req: ExecRequest): ExecResult =>
      req.kind === 'op' && req.op === 'aten.div.Tensor_mode' ? referenceExec({ ...req, kwargs: { rounding_mode: { kind: 'str', value: 'trunc' } } }) : referenceExec(req);
    const results = await runOn(exec, ['core/binary/aten.div.Tensor_mode/int32/floor-by-neg-7x13', 'core/binary/aten.div.Tensor_mode/int32/trunc-by-neg-7x13']);
    expect(results.map((r) => r.status)).toEqual(['fail', 'pass']);
  });

  it('fails a bfloat16 device that rounds float32 results by truncation instead of to nearest even', async () => {
    const exec = faulty('aten.add.Tensor', (req, [out]) => {
      const [a, b] = req.inputs.map(toRef);
      // float32 sum, then the top 16 bits kept (truncation), as a careless float32→bfloat16 conversion does
      const f32 = new Float32Array(1);
      const u32 = new Uint32Array(f32.buffer);
      const v = toRef(out!).values.map((_, i) => {
        f32[0] = a!.values[i]! + b!.values[i]!;
        u32[0] = u32[0]! & 0xffff0000;
        return f32[0];
      });
      return [fromValues('bfloat16', out!.shape, v)];
    });
    const [r] = await runOn(exec, ['core/binary/aten.add.Tensor/bfloat16/7x13']);
    expect(r?.status).toBe('fail');
    expect(r?.outputs[0]?.rule).toBe('correctly-rounded');
  });

  it('fails a device whose answer changes when the same case runs again (numerics policy 6)', async () => {
    let calls = 0;
    const exec = faulty('aten.sum.dim_IntList', (_req, [out]) => {
      // every other call perturbs one element by an ULP, as a reduction with a racy order might
      const v = toRef(out!).values;
      if (calls++ % 2 === 1) v[0] = v[0]! + ulpOf('float32', v[0]!);
      return [fromValues('float32', out!.shape, v)];
    });
    const [r] = await runOn(exec, ['core/reduction/aten.sum.dim_IntList/float32/dim1']);
    expect(r?.status).toBe('fail');
    expect(r?.outputs[0]?.mismatches).toBe(0);
    expect(r?.outputs[0]?.problem).toMatch(/not bit-identical when the case ran again: 1 of 16 elements differ/);
    expect(r?.repeatDigest).not.toBe(r?.outputDigest);
    // an output with a problem has an unbounded margin, so a reviewer's consistency check accepts the record as is
    expect(r?.outputs[0]?.margin).toBeNull();
    expect(metricsProblem(r!.outputs[0]!)).toBeNull();
    expect(r?.message).toMatch(/^output 0 \(float32\[16\], accumulation\(k=33,u=float32,p≤1e-9\)\): not bit-identical when the case ran again/);
  });

  it('fails a device that reads a transposed input as if it were contiguous', async () => {
    const exec = (req: ExecRequest): ExecResult =>
      referenceExec({ ...req, inputs: req.inputs.map((t) => ({ ...t, strides: contiguousStrides(t.shape), offset: 0 })) });
    const [r] = await runOn(exec, ['core/binary/aten.add.Tensor/float32/7x13-transposed']);
    expect(r?.status).toBe('fail');
  });
});
