import { describe, expect, it } from 'vitest';
import { arg } from './args.js';
import { gelu, relu } from './activation.js';
import { eqTensor, ltTensor } from './comparison.js';
import { addmm, bmm, mm } from './matmul.js';
import { nativeLayerNorm } from './normalization.js';
import { amax, argmax, meanDim, sumDimIntList } from './reduction.js';
import { getOp, OPS } from './registry.js';
import { whereSelf } from './select.js';
import { cat, clone, permute, view } from './shape.js';
import { softmax } from './softmax.js';
import { callOf, t } from '../testing/ops.js';
import { abs, exp, neg, sigmoid, sqrt } from './unary.js';

const vals = (r: { values: Float64Array } | undefined) => Array.from(r?.values ?? []);

describe('registry', () => {
  it('names every op as aten.<name>.<overload>, once', () => {
    expect(OPS.length).toBe(33);
    for (const op of OPS) {
      expect(op.name).toMatch(/^aten\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/);
      expect(getOp(op.name)).toBe(op);
    }
    expect(getOp('aten.nope.default')).toBeUndefined();
  });
});

describe('unary', () => {
  it('neg and abs copy exactly, wrap integers and clear the sign of zero in abs', () => {
    const x = t('float32', [3], [-0, 2, NaN]);
    const call = callOf([x], [arg.tensor(0)]);
    expect(Object.is(abs.reference(call, [x])[0]?.values[0], 0)).toBe(true);
    expect(Object.is(neg.reference(call, [x])[0]?.values[0], 0)).toBe(true);
    expect(abs.accuracy(call, 0)).toEqual({ kind: 'exact', signedZero: true });
    const i = t('int8', [2], [-128, 5]);
    expect(vals(abs.reference(callOf([i], [arg.tensor(0)]), [i])[0])).toEqual([-128, 5]);
    expect(vals(neg.reference(callOf([i], [arg.tensor(0)]), [i])[0])).toEqual([-128, -5]);
    expect(() => neg.outputs(callOf([t('bool', [1], [1])], [arg.tensor(0)]))).toThrow(/bool/);
  });
  it('floating functions of integers compute in float32', () => {
    const i = t('int64', [2], [0, 1]);
    const call = callOf([i], [arg.tensor(0)]);
    expect(exp.outputs(call)[0]?.dtype).toBe('float32');
    expect(vals(exp.reference(call, [i])[0])).toEqual([1, Math.E]);
    expect(exp.accuracy(call, 0)).toEqual({ kind: 'ulp', ulps: 2 });
    const h = t('bfloat16', [1], [1]);
    expect(exp.accuracy(callOf([h], [arg.tensor(0)]), 0)).toEqual({ kind: 'ulp', ulps: 1 });
    expect(sqrt.accuracy(call, 0)).toEqual({ kind: 'ulp', ulps: 0.5 });
  });
  it('sigmoid allows a flushed result where e^−x overflows', () => {
    const x = t('float32', [2], [-100, 0]);
    const [r] = sigmoid.reference(callOf([x], [arg.tensor(0)]), [x]);
    expect(r?.values[0]).toBeCloseTo(3.720075976020836e-44, 58);
    expect(r?.bound?.[0]).toBe(2 ** -126);
    expect(r?.values[1]).toBe(0.5);
    expect(r?.bound?.[1]).toBe(0);
  });
});

describe('activation', () => {
  it('relu keeps NaN and integers', () => {
    const x = t('float32', [4], [NaN, -1, 2, -0]);
    expect(vals(relu.reference(callOf([x], [arg.tensor(0)]), [x])[0]).slice(0, 3)).toEqual([NaN, 0, 2]);
    expect(relu.accuracy(callOf([x], [arg.tensor(0)]), 0)).toEqual({ kind: 'exact', signedZero: false });
  });
  it('gelu none and tanh match known values, with an absolute bound in the left tail', () => {
    const x = t('float32', [3], [1, -5, -10]);
    const none = gelu.reference(callOf([x], [arg.tensor(0)]), [x])[0];
    // x·Φ(x): Φ(1) = 0.8413447460685429, Φ(−5) = 2.866515718791939e-7, Φ(−10) = 7.61985302416047e-24
    expect(none?.values[0]).toBeCloseTo(0.8413447460685429, 15);
    expect((none?.values[1] ?? 0) / (-5 * 2.866515718791939e-7)).toBeCloseTo(1, 13);
    expect((none?.values[2] ?? 0) / (-10 * 7.61985302416047e-24)).toBeCloseTo(1, 13);
    // PyTorch 1.13 float32 gives 0.0 at −10 and −1.49e-6 at −5: both inside the bound
    expect(none?.bound?.[2]).toBeGreaterThan(7.6e-23);
    expect(none?.bound?.[1]).toBeGreaterThan(Math.abs(-1.4901161193847656e-6 - (none?.values[1] ?? 0)));
    const tanh = gelu.reference(callOf([x], [arg.tensor(0)], { approximate: arg.str('tanh') }), [x])[0];
    expect(tanh?.values[0]).toBeCloseTo(0.8411919906082768, 12);
    expect(() => gelu.reference(callOf([x], [arg.tensor(0)], { approximate: arg.str('erf') }), [x])).toThrow(/approximate/);
  });
});

describe('comparison and where', () => {
  it('compares in the promoted dtype; NaN compares false', () => {
    const a = t('int64', [3], [2 ** 24 + 1, 1, 1]);
    const b = t('float32', [3], [2 ** 24, NaN, 2]);
    const call = callOf([a, b], [arg.tensor(0), arg.tensor(1)]);
    expect(eqTensor.outputs(call)).toEqual([{ dtype: 'bool', shape: [3] }]);
    expect(vals(eqTensor.reference(call, [a, b])[0])).toEqual([1, 0, 0]);
    expect(vals(ltTensor.reference(call, [a, b])[0])).toEqual([0, 0, 1]);
  });
  it('where selects, promotes and broadcasts all three', () => {
    const c = t('bool', [2, 1], [1, 0]);
    const a = t('int32', [2], [1, 2]);
    const b = t('float16', [1], [NaN]);
    const call = callOf([c, a, b], [arg.tensor(0), arg.tensor(1), arg.tensor(2)]);
    expect(whereSelf.outputs(call)).toEqual([{ dtype: 'float16', shape: [2, 2] }]);
    expect(vals(whereSelf.reference(call, [c, a, b])[0])).toEqual([1, 2, NaN, NaN]);
  });
});

describe('reductions', () => {
  const x = t('float32', [2, 3], [1, -2, 3, 4, NaN, 6]);
  it('sum over a dim with keepdim, NaN propagates, absSum and terms for the bound', () => {
    const call = callOf([x], [arg.tensor(0), arg.ints([1]), arg.bool(true)]);
    expect(sumDimIntList.outputs(call)).toEqual([{ dtype: 'float32', shape: [2, 1] }]);
    const [r] = sumDimIntList.reference(call, [x]);
    expect(vals(r)).toEqual([2, NaN]);
    expect(r?.absSum?.[0]).toBe(6);
    expect(r?.terms).toBe(3);
    expect(sumDimIntList.accuracy(call, 0)).toEqual({ kind: 'accumulation', accumDtype: 'float32', ulps: 0.5 });
  });
  it('sum of all dims (empty list), integer sums in int64, dtype kwarg', () => {
    const i = t('int8', [2, 2], [100, 100, 100, -1]);
    const all = callOf([i], [arg.tensor(0), arg.ints([])]);
    expect(sumDimIntList.outputs(all)).toEqual([{ dtype: 'int64', shape: [] }]);
    expect(vals(sumDimIntList.reference(all, [i])[0])).toEqual([299]);
    const asInt8 = callOf([i], [arg.tensor(0), arg.ints([0])], { dtype: { kind: 'dtype', value: 'int8' } });
    expect(vals(sumDimIntList.reference(asInt8, [i])[0])).toEqual([-56, 99]);
    const h = t('float16', [2], [1, 2]);
    expect(sumDimIntList.accuracy(callOf([h], [arg.tensor(0), arg.ints([0])]), 0)).toEqual({ kind: 'accumulation', accumDtype: 'float32', ulps: 1 });
  });
  it('mean divides by n and refuses integers', () => {
    const call = callOf([x], [arg.tensor(0), arg.ints([0])]);
    const [r] = meanDim.reference(call, [x]);
    expect(vals(r)).toEqual([2.5, NaN, 4.5]);
    expect(r?.absSum?.[0]).toBe(2.5);
    expect(meanDim.accuracy(call, 0)).toEqual({ kind: 'accumulation', accumDtype: 'float32', ulps: 1 });
    expect(() => meanDim.outputs(callOf([t('int32', [1], [1])], [arg.tensor(0), arg.ints([0])]))).toThrow(/floating/);
  });
  it('amax propagates NaN; argmax returns the NaN index, and ties resolve to the first', () => {
    const call = callOf([x], [arg.tensor(0), arg.ints([1])]);
    expect(vals(amax.reference(call, [x])[0])).toEqual([3, NaN]);
    const am = callOf([x], [arg.tensor(0), arg.int(1), arg.bool(true)]);
    expect(argmax.outputs(am)).toEqual([{ dtype: 'int64', shape: [2, 1] }]);
    expect(vals(argmax.reference(am, [x])[0])).toEqual([2, 1]);
    expect(argmax.accuracy(am, 0)).toEqual({ kind: 'index-of-extreme', extreme: 'max', input: 0, dim: 1, keepdim: true });
    const flat = callOf([x], [arg.tensor(0)]);
    expect(argmax.outputs(flat)).toEqual([{ dtype: 'int64', shape: [] }]);
    expect(vals(argmax.reference(flat, [x])[0])).toEqual([4]);
    expect(argmax.outputs(callOf([x], [arg.tensor(0), arg.none(), arg.bool(true)]))[0]?.shape).toEqual([1, 1]);
    const ties = t('float32', [4], [1, 3, 3, 0]);
    expect(vals(argmax.reference(callOf([ties], [arg.tensor(0), arg.int(0)]), [ties])[0])).toEqual([1]);
  });
});

describe('matmul', () => {
  const a = t('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
  const b = t('float32', [3, 2], [1, -1, 0, 1, 2, 0]);
  it('mm with absSum and terms', () => {
    const call = callOf([a, b], [arg.tensor(0), arg.tensor(1)]);
    const [r] = mm.reference(call, [a, b]);
    expect(vals(r)).toEqual([7, 1, 16, 1]);
    expect(Array.from(r?.absSum ?? [])).toEqual([7, 3, 16, 9]);
    expect(r?.terms).toBe(3);
    expect(mm.accuracy(call, 0)).toEqual({ kind: 'accumulation', accumDtype: 'float32', ulps: 0.5 });
  });
  it('bmm and integer mm', () => {
    const a3 = t('int32', [2, 1, 2], [1, 2, 3, 4]);
    const b3 = t('int32', [2, 2, 1], [5, 6, 7, 8]);
    const call = callOf([a3, b3], [arg.tensor(0), arg.tensor(1)]);
    expect(bmm.outputs(call)).toEqual([{ dtype: 'int32', shape: [2, 1, 1] }]);
    expect(vals(bmm.reference(call, [a3, b3])[0])).toEqual([17, 53]);
  });
  it('addmm with beta = 0 ignores NaN in self', () => {
    const c = t('float32', [2], [NaN, 1]);
    const call = callOf([c, a, b], [arg.tensor(0), arg.tensor(1), arg.tensor(2)], { beta: arg.int(0), alpha: arg.float(2) });
    expect(vals(addmm.reference(call, [c, a, b])[0])).toEqual([14, 2, 32, 2]);
    const withBeta = callOf([c, a, b], [arg.tensor(0), arg.tensor(1), arg.tensor(2)], { beta: arg.float(0.5) });
    expect(vals(addmm.reference(withBeta, [c, a, b])[0])).toEqual([NaN, 1.5, NaN, 1.5]);
  });
});

describe('softmax', () => {
  it('normalises along dim; all −inf and NaN rows are NaN', () => {
    const x = t('float32', [3, 2], [0, Math.log(3), -Infinity, -Infinity, NaN, 1]);
    const call = callOf([x], [arg.tensor(0), arg.int(-1), arg.bool(false)]);
    expect(softmax.outputs(call)).toEqual([{ dtype: 'float32', shape: [3, 2] }]);
    const [r] = softmax.reference(call, [x]);
    expect(r?.values[0]).toBeCloseTo(0.25, 15);
    expect(r?.values[1]).toBeCloseTo(0.75, 15);
    expect(vals(r).slice(2)).toEqual([NaN, NaN, NaN, NaN]);
    // bound: γ(|d| + 8 + 1.4k + 2, u)·y, a few float32 ULPs of y here
    expect((r?.bound?.[1] ?? 0) / 0.75).toBeLessThan(20 * 2 ** -24);
    expect(softmax.accuracy(call, 0)).toEqual({ kind: 'bound', ulps: 0.5 });
    expect(() => softmax.outputs(callOf([x], [arg.tensor(0), arg.int(0), arg.bool(true)]))).toThrow(/float16/);
  });
});

describe('native_layer_norm', () => {
  it('returns out, mean and rstd with PyTorch CPU shapes', () => {
    const x = t('float32', [2, 4], [1, 2, 3, 4, -1, -1, 1, 1]);
    const w = t('float32', [4], [1, 2, 1, 1]);
    const b = t('float32', [4], [0, 0, 0, 1]);
    const call = callOf([x, w, b], [arg.tensor(0), arg.ints([4]), arg.tensor(1), arg.tensor(2), arg.float(0)]);
    expect(nativeLayerNorm.outputs(call)).toEqual([
      { dtype: 'float32', shape: [2, 4] },
      { dtype: 'float32', shape: [2, 1] },
      { dtype: 'float32', shape: [2, 1] },
    ]);
    const [out, mean, rstd] = nativeLayerNorm.reference(call, [x, w, b]);
    expect(vals(mean)).toEqual([2.5, 0]);
    expect(rstd?.values[0]).toBeCloseTo(1 / Math.sqrt(1.25), 15);
    expect(rstd?.values[1]).toBe(1);
    const s = 1 / Math.sqrt(1.25);
    const expected = [-1.5 * s, -0.5 * s * 2, 0.5 * s, 1.5 * s + 1, -1, -2, 1, 2];
    vals(out).forEach((v, i) => expect(v).toBeCloseTo(expected[i] ?? NaN, 14));
    expect(out?.bound?.[0]).toBeGreaterThan(0);
    expect(nativeLayerNorm.accuracy(call, 1)).toEqual({ kind: 'accumulation', accumDtype: 'float32', ulps: 0.5, passes: 2 });
  });
  it('mean and rstd keep the leading dims and a 1 per normalized dim', () => {
    const x = t('bfloat16', [2, 3, 4], new Array<number>(24).fill(1));
    const call = callOf([x], [arg.tensor(0), arg.ints([3, 4]), arg.none(), arg.none(), arg.float(1e-5)]);
    const outs = nativeLayerNorm.outputs(call);
    expect(outs[1]).toEqual({ dtype: 'bfloat16', shape: [2, 1, 1], alternativeDtypes: ['float32'] });
    expect(nativeLayerNorm.accuracy(call, 0)).toEqual({ kind: 'bound', ulps: 1 });
  });
});

describe('shape ops', () => {
  const x = t('float32', [2, 3], [1, 2, 3, 4, 5, -0]);
  it('permute, view with −1, clone', () => {
    const p = callOf([x], [arg.tensor(0), arg.ints([1, 0])]);
    expect(permute.outputs(p)).toEqual([{ dtype: 'float32', shape: [3, 2] }]);
    expect(vals(permute.reference(p, [x])[0])).toEqual([1, 4, 2, 5, 3, -0]);
    const v = callOf([x], [arg.tensor(0), arg.ints([-1, 2])]);
    expect(view.outputs(v)).toEqual([{ dtype: 'float32', shape: [3, 2] }]);
    expect(() => view.outputs(callOf([x], [arg.tensor(0), arg.ints([4, -1])]))).toThrow(/invalid/);
    expect(Object.is(clone.reference(callOf([x], [arg.tensor(0)]), [x])[0]?.values[5], -0)).toBe(true);
  });
  it('cat promotes, joins along dim and skips legacy empty tensors', () => {
    const a = t('int32', [2, 1], [1, 2]);
    const b = t('float16', [2, 2], [3, 4, 5, 6]);
    const e = t('float32', [0], []);
    const call = callOf([a, b, e], [arg.tensors([0, 1, 2]), arg.int(1)]);
    expect(cat.outputs(call)).toEqual([{ dtype: 'float32', shape: [2, 3] }]);
    expect(vals(cat.reference(call, [a, b, e])[0])).toEqual([1, 3, 4, 2, 5, 6]);
  });
});
