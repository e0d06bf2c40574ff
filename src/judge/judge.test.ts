import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Accuracy, OutputSpec, RefOutput } from '../ops/types.js';
import { type DType, roundToFloat } from '../tensor/dtype.js';
import { contiguousBytes, fromValues, toRef } from '../tensor/materialize.js';
import type { RefTensor, TensorData } from '../tensor/tensor.js';
import { judgeCase, judgeOutput } from './judge.js';
import { CaseJudgementSchema, OutputMetricsSchema, statusFromOutputs } from './result.js';
import { seededRandom as rng } from '../testing/helpers.js';

function tensor(dtype: DType, shape: number[], values: ArrayLike<number>): RefTensor {
  return { dtype, shape, values: Float64Array.from(values) };
}

function refOut(shape: number[], values: ArrayLike<number>, extra: Partial<RefOutput> = {}): RefOutput {
  return { shape, values: Float64Array.from(values), ...extra };
}

/** An output's dtype and shape, before its acceptance rule is chosen. */
type Out = Omit<OutputSpec, 'accuracy'>;

/** The device's bytes for a tensor of exactly these values (a test that asks for an unrepresentable value is wrong). */
function answer(t: RefTensor): TensorData {
  const data = fromValues(t.dtype, t.shape, t.values);
  const back = toRef(data).values;
  t.values.forEach((v, i) => expect(Object.is(back[i], v) || (Number.isNaN(v) && Number.isNaN(back[i]))).toBe(true));
  return data;
}

/** Judges a one-output case (run twice with the same answer, as a deterministic device does) and checks the contract. */
function judge1(spec: Out, expected: RefOutput, acc: Accuracy, actual: RefTensor, inputs: RefTensor[] = []) {
  const a = [answer(actual)];
  const j = judgeCase({ outputs: [{ ...spec, accuracy: acc }], expected: [expected], inputs }, { first: a, repeat: a });
  expect(CaseJudgementSchema.parse(j)).toEqual(j);
  expect(j.status).toBe(statusFromOutputs(j.outputs));
  expect(j.message === null).toBe(j.status === 'pass');
  const out = j.outputs[0];
  if (!out) throw new Error('no output metrics');
  return { status: j.status, out, message: j.message };
}

const CR: Accuracy = { kind: 'ulp', ulps: 0.5 };

describe('value rules', () => {
  it('float32 division: correctly rounded passes, 2 ULP off fails', () => {
    const a = [1, 2, 10, 1e-3, 7];
    const b = [3, 7, 3, 3, 0.1];
    const exact = a.map((x, i) => x / (b[i] ?? 1)); // float64 quotient, the reference
    const rounded = exact.map((x) => Math.fround(x));
    const spec: Out = { dtype: 'float32', shape: [5] };
    const pass = judge1(spec, refOut([5], exact), CR, tensor('float32', [5], rounded));
    expect(pass.status).toBe('pass');
    expect(pass.out.margin).toBeLessThanOrEqual(1);
    expect(pass.out.maxUlpError).toBeLessThanOrEqual(0.5);

    const off = [...rounded];
    const x = off[2] ?? 0;
    off[2] = x + 2 * 2 ** -21; // 10/3 lies in [2, 4): ulp 2^-22, so this is 2 ULP up
    const fail = judge1(spec, refOut([5], exact), CR, tensor('float32', [5], off));
    expect(fail.status).toBe('fail');
    expect(fail.out.mismatches).toBe(1);
    expect(fail.out.worst?.index).toEqual([2]);
    expect(fail.out.margin).toBeGreaterThan(3);
    expect(fail.out.maxUlpError).toBeGreaterThan(1.5);
    expect(fail.out.problem).toBeNull();
    expect(fail.message).toMatch(/^output 0 \(float32\[5\], correctly-rounded\): 1 of 5 elements outside the acceptance interval, margin [0-9.]+, max [0-9.]+ ulp, max abs error [0-9.e-]+; worst at \[2\]: actual /);
  });

  it('margin = error / allowed: 0.25 ulp under a 0.5 ulp rule is 0.5', () => {
    const r = 1 + 2 ** -25; // float32 ulp at 1 is 2^-23
    const { status, out } = judge1({ dtype: 'float32', shape: [1] }, refOut([1], [r]), CR, tensor('float32', [1], [1]));
    expect(status).toBe('pass');
    expect(out.margin).toBe(0.5);
    expect(out.maxUlpError).toBe(0.25);
    expect(out.maxAbsError).toBe(2 ** -25);
    expect(out.maxRelError).toBe(2 ** -25 / r);
    expect(out.worst).toEqual({ index: [0], actual: '1', expected: String(r), allowed: String(2 ** -24) });
  });

  it('records no worst element when everything matches exactly', () => {
    const { out } = judge1({ dtype: 'float16', shape: [2] }, refOut([2], [1, 2]), CR, tensor('float16', [2], [1, 2]));
    expect(out).toMatchObject({ margin: 0, worst: null, mismatches: 0, maxAbsError: 0 });
  });

  it('exact rule: a mismatch has no margin', () => {
    const spec: Out = { dtype: 'int32', shape: [2, 2] };
    const { status, out } = judge1(spec, refOut([2, 2], [1, 2, 3, -4]), { kind: 'exact' }, tensor('int32', [2, 2], [1, 2, 3, 4]));
    expect(status).toBe('fail');
    expect(out).toMatchObject({ rule: 'exact', mismatches: 1, margin: null, maxUlpError: null, maxAbsError: 8, problem: null });
    expect(out.worst).toEqual({ index: [1, 1], actual: '4', expected: '-4', allowed: '0' });
  });

  it('keeps every metric finite where the error is 97 and the reference 0 or the smallest subnormal of float64', () => {
    const spec: Out = { dtype: 'float64', shape: [2] };
    const { status, out } = judge1(spec, refOut([2], [0, 5e-324]), { kind: 'exact', signedZero: true }, tensor('float64', [2], [97, 1e300]));
    expect(status).toBe('fail');
    // err / ulp(0) and err / 5e-324 overflow: recorded as the largest double, never as Infinity (reports are JSON)
    expect(out.maxUlpError).toBe(Number.MAX_VALUE);
    expect(out.maxRelError).toBe(Number.MAX_VALUE);
    expect(out.maxAbsError).toBe(1e300);
  });

  it('where several writes land on one element, any of them passes, and nothing else', () => {
    const spec: Out = { dtype: 'float32', shape: [3] };
    // element 1 was written 2, then 5 (the reference keeps the last); element 2 once
    const expected = refOut([3], [0, 5, 7], { choiceStart: Int32Array.from([0, 0, 2, 2]), choices: Float64Array.from([2, 5]) });
    const acc: Accuracy = { kind: 'exact', signedZero: true, anyWrite: true };
    expect(judge1(spec, expected, acc, tensor('float32', [3], [0, 2, 7]))).toMatchObject({ status: 'pass', out: { rule: 'exact(signed-zero,any-write)' } });
    expect(judge1(spec, expected, acc, tensor('float32', [3], [0, 5, 7])).status).toBe('pass');
    const wrong = judge1(spec, expected, acc, tensor('float32', [3], [0, 3, 7]));
    expect(wrong.status).toBe('fail');
    expect(wrong.out.worst).toMatchObject({ index: [1], actual: '3' });
    // an element with no choice stays exact
    expect(judge1(spec, expected, acc, tensor('float32', [3], [0, 5, 2])).status).toBe('fail');
  });

  it('NaN turned into 0 fails with a problem', () => {
    const spec: Out = { dtype: 'float32', shape: [3] };
    const { status, out } = judge1(spec, refOut([3], [1, NaN, 2]), CR, tensor('float32', [3], [1, 0, 2]));
    expect(status).toBe('fail');
    expect(out.margin).toBeNull();
    expect(out.mismatches).toBe(1);
    expect(out.problem).toBe('0 at [1] where the reference is nan');
    expect(out.worst).toMatchObject({ index: [1], actual: '0', expected: 'nan' });
  });

  it('inf where the reference overflows passes; inf for a finite in-range reference fails', () => {
    const spec: Out = { dtype: 'float16', shape: [2] };
    const ok = judge1(spec, refOut([2], [1e5, -1]), CR, tensor('float16', [2], [Infinity, -1]));
    expect(ok.status).toBe('pass');
    expect(ok.out.margin).toBe(0);
    const bad = judge1(spec, refOut([2], [1000, -1]), CR, tensor('float16', [2], [Infinity, -1]));
    expect(bad.status).toBe('fail');
    expect(bad.out.problem).toBe('inf at [0] where the reference is 1000');
  });

  it('flushed subnormal outputs fail', () => {
    const sub = 2 ** -130;
    const { status, out } = judge1({ dtype: 'float32', shape: [1] }, refOut([1], [sub]), CR, tensor('float32', [1], [0]));
    expect(status).toBe('fail');
    expect(out.mismatches).toBe(1);
    expect(out.margin).toBeGreaterThan(1);
  });
});

describe('accumulation bound', () => {
  // Dot product of n uniform(−1, 1) float16 vectors; products are exact in float32 (11-bit significands).
  function dot(seed: number, n: number, accum: 'float16' | 'float32') {
    const rand = rng(seed);
    let exact = 0;
    let absSum = 0;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const x = roundToFloat('float16', rand() * 2 - 1);
      const y = roundToFloat('float16', rand() * 2 - 1);
      const p = x * y;
      exact += p; // float64 holds every partial sum of these products exactly
      absSum += Math.abs(p);
      acc = roundToFloat(accum, acc + roundToFloat(accum, p));
    }
    return { exact, absSum, actual: roundToFloat('float16', acc) };
  }

  // γ(1024, 2^-24)·Σ|terms| is a worst-case bound, while fp16 rounding errors mostly random-walk: one length-1024
  // dot product exceeds it only about 60% of the time. A matmul output (here 8×8 dot products) exposes fp16
  // accumulation reliably, and fp32 accumulation stays far inside the bound.
  it('an fp16-accumulated matmul of length-1024 dot products fails the float32 accumulation bound; fp32 accumulation passes', () => {
    const acc: Accuracy = { kind: 'accumulation', accumDtype: 'float32' };
    const spec: Out = { dtype: 'float16', shape: [8, 8] };
    for (const seed of [1, 1000]) {
      const h = Array.from({ length: 64 }, (_, i) => dot(seed + i, 1024, 'float16'));
      const f = Array.from({ length: 64 }, (_, i) => dot(seed + i, 1024, 'float32'));
      const expected = refOut(
        [8, 8],
        h.map((d) => d.exact),
        { absSum: Float64Array.from(h.map((d) => d.absSum)), terms: 1024 },
      );
      const fp16 = judge1(spec, expected, acc, tensor('float16', [8, 8], h.map((d) => d.actual)));
      expect(fp16.status, `seed ${seed}`).toBe('fail');
      expect(fp16.out.rule).toBe('accumulation(k=1024,u=float32)');
      expect(fp16.out.mismatches).toBeGreaterThan(16);
      expect(fp16.out.margin).toBeGreaterThan(2);
      const fp32 = judge1(spec, expected, acc, tensor('float16', [8, 8], f.map((d) => d.actual)));
      expect(fp32.status, `seed ${seed}`).toBe('pass');
      expect(fp32.out.margin).toBeLessThan(0.5);
    }
  });

  it('a single fp16-accumulated dot product is caught when its error exceeds the bound', () => {
    const acc: Accuracy = { kind: 'accumulation', accumDtype: 'float32' };
    const results = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seed) => {
      const h = dot(seed, 1024, 'float16');
      const expected = refOut([], [h.exact], { absSum: Float64Array.from([h.absSum]), terms: 1024 });
      const { status, out } = judge1({ dtype: 'float16', shape: [] }, expected, acc, tensor('float16', [], [h.actual]));
      expect(out.worst?.index ?? []).toEqual([]);
      // status follows the measured error exactly
      expect(status).toBe((out.margin ?? Infinity) <= 1 ? 'pass' : 'fail');
      return status;
    });
    expect(results.filter((s) => s === 'fail').length).toBeGreaterThanOrEqual(5);
  });
});

describe('index-of-extreme', () => {
  const x = tensor('float32', [2, 4], [3, 1, 3, 2, /* row 1 */ 5, NaN, 5, NaN]);

  it('argmax over a dim accepts any tied maximum, including the last', () => {
    const acc: Accuracy = { kind: 'index-of-extreme', extreme: 'max', input: 0, dim: 1, keepdim: false };
    const spec: Out = { dtype: 'int64', shape: [2] };
    const expected = refOut([2], [0, 1]);
    expect(judge1(spec, expected, acc, tensor('int64', [2], [2, 3]), [x]).status).toBe('pass');
    expect(judge1(spec, expected, acc, tensor('int64', [2], [0, 1]), [x]).status).toBe('pass');
    const r = judge1(spec, expected, acc, tensor('int64', [2], [3, 1]), [x]);
    expect(r.status).toBe('fail');
    expect(r.out).toMatchObject({ rule: 'index-of-extreme(max)', mismatches: 1, margin: null });
    expect(r.out.worst).toEqual({ index: [0], actual: 'index 3 (value 2)', expected: 'max 3', allowed: 'any index holding the max' });
  });

  it('NaN is the extreme: the index must point at a NaN', () => {
    const acc: Accuracy = { kind: 'index-of-extreme', extreme: 'min', input: 0, dim: -1, keepdim: true };
    const spec: Out = { dtype: 'int64', shape: [2, 1] };
    const expected = refOut([2, 1], [1, 1]);
    expect(judge1(spec, expected, acc, tensor('int64', [2, 1], [1, 3]), [x]).status).toBe('pass');
    const r = judge1(spec, expected, acc, tensor('int64', [2, 1], [1, 0]), [x]);
    expect(r.status).toBe('fail');
    expect(r.out.worst).toMatchObject({ index: [1, 0], expected: 'min nan' });
  });

  it('dim 0 and flattened (dim null), and out-of-range indices', () => {
    const y = tensor('float32', [3, 2], [1, 9, 4, 9, 4, 0]);
    const acc0: Accuracy = { kind: 'index-of-extreme', extreme: 'max', input: 0, dim: 0, keepdim: false };
    expect(judge1({ dtype: 'int64', shape: [2] }, refOut([2], [1, 0]), acc0, tensor('int64', [2], [2, 1]), [y]).status).toBe('pass');
    expect(judge1({ dtype: 'int64', shape: [2] }, refOut([2], [1, 0]), acc0, tensor('int64', [2], [3, 0]), [y]).out.worst?.actual).toBe(
      'index 3 (out of range 0..2)',
    );
    const accAll: Accuracy = { kind: 'index-of-extreme', extreme: 'min', input: 0, dim: null, keepdim: false };
    expect(judge1({ dtype: 'int64', shape: [] }, refOut([], [5]), accAll, tensor('int64', [], [5]), [y]).status).toBe('pass');
    expect(judge1({ dtype: 'int64', shape: [] }, refOut([], [5]), accAll, tensor('int64', [], [0]), [y]).status).toBe('fail');
  });
});

describe('structure', () => {
  const spec: Out = { dtype: 'float32', shape: [2, 3] };
  const expected = refOut([2, 3], [1, 2, 3, 4, 5, 6]);

  it('a wrong dtype fails with a problem and no value comparison', () => {
    const { status, out } = judge1(spec, expected, CR, tensor('float16', [2, 3], [1, 2, 3, 4, 5, 6]));
    expect(status).toBe('fail');
    expect(out).toMatchObject({ problem: 'returned dtype float16, expected float32', margin: null, maxAbsError: null, worst: null, dtype: 'float32' });
  });

  it('a wrong shape fails with a problem', () => {
    const { status, out, message } = judge1(spec, expected, CR, tensor('float32', [3, 2], [1, 2, 3, 4, 5, 6]));
    expect(status).toBe('fail');
    expect(out.problem).toBe('returned shape [3, 2], expected [2, 3]');
    expect(message).toBe('output 0 (float32[2,3], correctly-rounded): returned shape [3, 2], expected [2, 3]');
  });

  it('missing and extra outputs are recorded as problems', () => {
    const t = answer(tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]));
    const one = { ...spec, accuracy: CR };
    const missing = judgeCase({ outputs: [one, one], expected: [expected, expected], inputs: [] }, { first: [t], repeat: [t] });
    expect(missing.status).toBe('fail');
    expect(missing.outputs[1]?.problem).toBe('output missing');
    expect(missing.message).toMatch(/^returned 1 outputs, expected 2; output 1 \(float32\[2,3\], correctly-rounded\): output missing$/);
    const extra = judgeCase({ outputs: [one], expected: [expected], inputs: [] }, { first: [t, t], repeat: [t, t] });
    expect(extra.status).toBe('fail');
    expect(extra.outputs).toHaveLength(2);
    expect(extra.outputs[1]?.problem).toBe('unexpected output');
    expect(statusFromOutputs(extra.outputs)).toBe('fail');
  });

  it('a reference inconsistent with its spec is a harness error', () => {
    expect(() => judgeOutput(0, { ...spec, accuracy: CR }, refOut([6], [1, 2, 3, 4, 5, 6]), tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]), [])).toThrow(/spec says/);
  });
});

describe('statusFromOutputs', () => {
  const base = OutputMetricsSchema.parse({
    index: 0,
    dtype: 'float32',
    shape: [1],
    rule: 'correctly-rounded',
    elements: 1,
    mismatches: 0,
    maxAbsError: 0,
    maxRelError: 0,
    maxUlpError: 0,
    margin: 0.5,
    worst: null,
    problem: null,
  });
  it('passes only clean outputs within margin', () => {
    expect(statusFromOutputs([])).toBe('pass');
    expect(statusFromOutputs([base])).toBe('pass');
    expect(statusFromOutputs([{ ...base, margin: 1 }])).toBe('pass');
    expect(statusFromOutputs([{ ...base, margin: 1.0000001 }])).toBe('fail');
    expect(statusFromOutputs([{ ...base, margin: null }])).toBe('fail');
    expect(statusFromOutputs([{ ...base, mismatches: 1 }])).toBe('fail');
    expect(statusFromOutputs([base, { ...base, problem: 'x' }])).toBe('fail');
  });
});

describe('digests and the repeated run', () => {
  const spec = { dtype: 'float32' as const, shape: [3], accuracy: CR };
  const expected = refOut([3], [1, 2, 3]);
  const first = answer(tensor('float32', [3], [1, 2, 3]));
  const e = { outputs: [spec], expected: [expected], inputs: [] };

  it('digests the bytes the device returned; a call documented as nondeterministic ran once and has no repeat digest', () => {
    const once = judgeCase(e, { first: [first], repeat: null });
    expect(once.status).toBe('pass');
    expect(once.outputDigest).toBe(createHash('sha256').update(contiguousBytes(first)).digest('hex'));
    expect(once.repeatDigest).toBeNull();
    const twice = judgeCase(e, { first: [first], repeat: [first] });
    expect(twice.repeatDigest).toBe(twice.outputDigest);
  });

  it('fails an output whose bytes change in the repeated run, with an unbounded margin and the count of differing elements', () => {
    const other = answer(tensor('float32', [3], [1, 2, 3 + 2 ** -22]));
    const j = judgeCase(e, { first: [first], repeat: [other] });
    expect(j.status).toBe('fail');
    expect(j.outputs[0]).toMatchObject({ mismatches: 0, margin: null, problem: 'not bit-identical when the case ran again: 1 of 3 elements differ' });
    expect(j.message).toBe('output 0 (float32[3], correctly-rounded): not bit-identical when the case ran again: 1 of 3 elements differ');
    expect(j.repeatDigest).not.toBe(j.outputDigest);
    const fewer = judgeCase(e, { first: [first], repeat: [] });
    expect(fewer.outputs[0]?.problem).toBe('the repeated run returned fewer outputs');
  });
});

describe('values PyTorch leaves undefined', () => {
  it('judges only dtype and shape', () => {
    const spec = { dtype: 'float32' as const, shape: [2], accuracy: { kind: 'unspecified' as const } };
    const any = judgeOutput(0, spec, refOut([2], [0, 0]), tensor('float32', [2], [NaN, 7]), []);
    expect(any).toMatchObject({ rule: 'unspecified', mismatches: 0, margin: 0, problem: null });
    expect(judgeOutput(0, spec, refOut([2], [0, 0]), tensor('float16', [2], [0, 0]), []).problem).toBe('returned dtype float16, expected float32');
  });
});
