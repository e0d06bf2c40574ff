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
import { OP_FAMILIES } from './types.js';
import { callOf, t } from '../testing/ops.js';
import { abs, exp, neg, sigmoid, sqrt } from './unary.js';

const vals = (r: { values: Float64Array } | undefined) => Array.from(r?.values ?? []);

describe('registry', () => {
  it('names every op as aten.<name>.<overload>, once, findable by name', () => {
    for (const op of OPS) {
      expect(op.name).toMatch(/^aten\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/);
      expect(getOp(op.name)).toBe(op);
    }
    expect(new Set(OPS.map((op) => op.name)).size).toBe(OPS.length);
    expect(getOp('aten.nope.default')).toBeUndefined();
  });
  it('files every op under a known family, and every family has ops', () => {
    for (const op of OPS) expect(OP_FAMILIES).toContain(op.family);
    for (const family of OP_FAMILIES) expect(OPS.some((op) => op.family === family)).toBe(true);
  });
});

describe('unary', () => {
  it('neg and abs copy exactly, wrap integers and clear the sign of zero in abs', () => {
    const x = t('float32', [3], [-0, 2, NaN]);
    const call = callOf([x], [arg.tensor(0)]);
    const absX = abs.bind(call);
    expect(Object.is(absX.reference([x])[0]?.values[0], 0)).toBe(true);
    expect(Object.is(neg.bind(call).reference([x])[0]?.values[0], 0)).toBe(true);
    expect(absX.outputs[0]?.accuracy).toEqual({ kind: 'exact', signedZero: true });
    const i = t('int8', [2], [-128, 5]);
    expect(vals(abs.bind(callOf([i], [arg.tensor(0)])).reference([i])[0])).toEqual([-128, 5]);
    expect(vals(neg.bind(callOf([i], [arg.tensor(0)])).reference([i])[0])).toEqual([-128, -5]);
    expect(() => neg.bind(callOf([t('bool', [1], [1])], [arg.tensor(0)]))).toThrow(/bool/);
  });
  it('floating functions of integers compute in float32', () => {
    const i = t('int64', [2], [0, 1]);
    const call = callOf([i], [arg.tensor(0)]);
    const e = exp.bind(call);
    expect(e.outputs).toEqual([{ dtype: 'float32', shape: [2], accuracy: { kind: 'ulp', ulps: 2 } }]);
    expect(vals(e.reference([i])[0])).toEqual([1, Math.E]);
    const h = t('bfloat16', [1], [1]);
    expect(exp.bind(callOf([h], [arg.tensor(0)])).outputs[0]?.accuracy).toEqual({ kind: 'ulp', ulps: 1 });
    expect(sqrt.bind(call).outputs[0]?.accuracy).toEqual({ kind: 'ulp', ulps: 0.5 });
  });
  it('sigmoid allows a flushed result where e^−x overflows', () => {
    const x = t('float32', [2], [-100, 0]);
    const [r] = sigmoid.bind(callOf([x], [arg.tensor(0)])).reference([x]);
    expect(r?.values[0]).toBeCloseTo(3.720075976020836e-44, 58);
    expect(r?.bound?.[0]).toBe(2 ** -126);
    expect(r?.values[1]).toBe(0.5);
    expect(r?.bound?.[1]).toBe(0);
  });
});

describe('activation', () => {
  it('relu keeps NaN and integers', () => {
    const x = t('float32', [4], [NaN, -1, 2, -0]);
    const r = relu.bind(callOf([x], [arg.tensor(0)]));
    expect(vals(r.reference([x])[0]).slice(0, 3)).toEqual([NaN, 0, 2]);
    expect(r.outputs[0]?.accuracy).toEqual({ kind: 'exact', signedZero: false });
  });
  it('gelu none and tanh match known values, with an absolute bound in the left tail', () => {
    const x = t('float32', [3], [1, -5, -10]);
    const none = gelu.bind(callOf([x], [arg.tensor(0)])).reference([x])[0];
    // x·Φ(x): Φ(1) = 0.8413447460685429, Φ(−5) = 2.866515718791939e-7, Φ(−10) = 7.61985302416047e-24
    expect(none?.values[0]).toBeCloseTo(0.8413447460685429, 15);
    expect((none?.values[1] ?? 0) / (-5 * 2.866515718791939e-7)).toBeCloseTo(1, 13);
    expect((none?.values[2] ?? 0) / (-10 * 7.61985302416047e-24)).toBeCloseTo(1, 13);
    // PyTorch 1.13 float32 gives 0.0 at −10 and −1.49e-6 at −5: both inside the bound
    expect(none?.bound?.[2]).toBeGreaterThan(7.6e-23);
    expect(none?.bound?.[1]).toBeGreaterThan(Math.abs(-1.4901161193847656e-6 - (none?.values[1] ?? 0)));
    const tanh = gelu.bind(callOf([x], [arg.tensor(0)], { approximate: arg.str('tanh') })).reference([x])[0];
    expect(tanh?.values[0]).toBeCloseTo(0.8411919906082768, 12);
    expect(() => gelu.bind(callOf([x], [arg.tensor(0)], { approximate: arg.str('erf') }))).toThrow(/approximate/);
  });
});

describe('comparison and where', () => {
  it('compares in the promoted dtype; NaN compares false', () => {
    const a = t('int64', [3], [2 ** 24 + 1, 1, 1]);
    const b = t('float32', [3], [2 ** 24, NaN, 2]);
    const call = callOf([a, b], [arg.tensor(0), arg.tensor(1)]);
    const eq = eqTensor.bind(call);
    expect(eq.outputs).toEqual([{ dtype: 'bool', shape: [3], accuracy: { kind: 'exact' } }]);
    expect(vals(eq.reference([a, b])[0])).toEqual([1, 0, 0]);
    expect(vals(ltTensor.bind(call).reference([a, b])[0])).toEqual([0, 0, 1]);
  });
  it('where selects, promotes and broadcasts all three', () => {
    const c = t('bool', [2, 1], [1, 0]);
    const a = t('int32', [2], [1, 2]);
    const b = t('float16', [1], [NaN]);
    const where = whereSelf.bind(callOf([c, a, b], [arg.tensor(0), arg.tensor(1), arg.tensor(2)]));
    expect(where.outputs).toEqual([{ dtype: 'float16', shape: [2, 2], accuracy: { kind: 'exact', signedZero: true } }]);
    expect(vals(where.reference([c, a, b])[0])).toEqual([1, 2, NaN, NaN]);
  });
  it('where refuses a condition that is not bool or uint8 when binding, before any value is read', () => {
    const c = t('int32', [2], [1, 0]);
    const a = t('float32', [2], [1, 2]);
    expect(() => whereSelf.bind(callOf([c, a, a], [arg.tensor(0), arg.tensor(1), arg.tensor(2)]))).toThrow(/boolean/);
  });
});

describe('reductions', () => {
  const x = t('float32', [2, 3], [1, -2, 3, 4, NaN, 6]);
  it('sum over a dim with keepdim, NaN propagates, absSum and terms for the bound', () => {
    const sum = sumDimIntList.bind(callOf([x], [arg.tensor(0), arg.ints([1]), arg.bool(true)]));
    expect(sum.outputs).toEqual([{ dtype: 'float32', shape: [2, 1], accuracy: { kind: 'accumulation', accumDtype: 'float32', ulps: 0.5 } }]);
    const [r] = sum.reference([x]);
    expect(vals(r)).toEqual([2, NaN]);
    expect(r?.absSum?.[0]).toBe(6);
    expect(r?.terms).toBe(3);
  });
  it('sum of all dims (empty list), integer sums in int64, dtype kwarg', () => {
    const i = t('int8', [2, 2], [100, 100, 100, -1]);
    const all = sumDimIntList.bind(callOf([i], [arg.tensor(0), arg.ints([])]));
    expect(all.outputs).toEqual([{ dtype: 'int64', shape: [], accuracy: { kind: 'exact' } }]);
    expect(vals(all.reference([i])[0])).toEqual([299]);
    const asInt8 = sumDimIntList.bind(callOf([i], [arg.tensor(0), arg.ints([0])], { dtype: { kind: 'dtype', value: 'int8' } }));
    expect(vals(asInt8.reference([i])[0])).toEqual([-56, 99]);
    const h = t('float16', [2], [1, 2]);
    const half = sumDimIntList.bind(callOf([h], [arg.tensor(0), arg.ints([0])]));
    expect(half.outputs[0]?.accuracy).toEqual({ kind: 'accumulation', accumDtype: 'float32', ulps: 1 });
  });
  it('mean divides by n and refuses integers', () => {
    const mean = meanDim.bind(callOf([x], [arg.tensor(0), arg.ints([0])]));
    const [r] = mean.reference([x]);
    expect(vals(r)).toEqual([2.5, NaN, 4.5]);
    expect(r?.absSum?.[0]).toBe(2.5);
    expect(mean.outputs[0]?.accuracy).toEqual({ kind: 'accumulation', accumDtype: 'float32', ulps: 2 });
    expect(() => meanDim.bind(callOf([t('int32', [1], [1])], [arg.tensor(0), arg.ints([0])]))).toThrow(/floating/);
  });
  it('amax propagates NaN; argmax returns the NaN index, and ties resolve to the first', () => {
    expect(vals(amax.bind(callOf([x], [arg.tensor(0), arg.ints([1])])).reference([x])[0])).toEqual([3, NaN]);
    const am = argmax.bind(callOf([x], [arg.tensor(0), arg.int(1), arg.bool(true)]));
    expect(am.outputs).toEqual([
      { dtype: 'int64', shape: [2, 1], accuracy: { kind: 'index-of-extreme', extreme: 'max', input: 0, dim: 1, keepdim: true } },
    ]);
    expect(vals(am.reference([x])[0])).toEqual([2, 1]);
    const flat = argmax.bind(callOf([x], [arg.tensor(0)]));
    expect(flat.outputs).toEqual([
      { dtype: 'int64', shape: [], accuracy: { kind: 'index-of-extreme', extreme: 'max', input: 0, dim: null, keepdim: false } },
    ]);
    expect(vals(flat.reference([x])[0])).toEqual([4]);
    expect(argmax.bind(callOf([x], [arg.tensor(0), arg.none(), arg.bool(true)])).outputs[0]?.shape).toEqual([1, 1]);
    const ties = t('float32', [4], [1, 3, 3, 0]);
    expect(vals(argmax.bind(callOf([ties], [arg.tensor(0), arg.int(0)])).reference([ties])[0])).toEqual([1]);
  });
  it('amax and argmax refuse an empty slice when binding: the shape alone decides it', () => {
    const e = t('float32', [2, 0], []);
    expect(() => amax.bind(callOf([e], [arg.tensor(0), arg.ints([1])]))).toThrow(/empty slice/);
    expect(() => argmax.bind(callOf([e], [arg.tensor(0), arg.int(1)]))).toThrow(/empty slice/);
    expect(() => argmax.bind(callOf([e], [arg.tensor(0)]))).toThrow(/empty slice/);
    // reducing the non-empty dim of an empty tensor leaves no output element, hence no empty slice
    expect(amax.bind(callOf([e], [arg.tensor(0), arg.ints([0])])).outputs[0]?.shape).toEqual([0]);
    expect(argmax.bind(callOf([e], [arg.tensor(0), arg.int(0)])).outputs[0]?.shape).toEqual([0]);
  });
});

describe('matmul', () => {
  const a = t('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
  const b = t('float32', [3, 2], [1, -1, 0, 1, 2, 0]);
  it('mm with absSum and terms', () => {
    const prod = mm.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)]));
    const [r] = prod.reference([a, b]);
    expect(vals(r)).toEqual([7, 1, 16, 1]);
    expect(Array.from(r?.absSum ?? [])).toEqual([7, 3, 16, 9]);
    expect(r?.terms).toBe(3);
    expect(prod.outputs[0]?.accuracy).toEqual({ kind: 'accumulation', accumDtype: 'float32', ulps: 0.5 });
  });
  it('bmm and integer mm', () => {
    const a3 = t('int32', [2, 1, 2], [1, 2, 3, 4]);
    const b3 = t('int32', [2, 2, 1], [5, 6, 7, 8]);
    const prod = bmm.bind(callOf([a3, b3], [arg.tensor(0), arg.tensor(1)]));
    expect(prod.outputs).toEqual([{ dtype: 'int32', shape: [2, 1, 1], accuracy: { kind: 'exact' } }]);
    expect(vals(prod.reference([a3, b3])[0])).toEqual([17, 53]);
  });
  it('addmm with beta = 0 ignores NaN in self', () => {
    const c = t('float32', [2], [NaN, 1]);
    const noBeta = addmm.bind(callOf([c, a, b], [arg.tensor(0), arg.tensor(1), arg.tensor(2)], { beta: arg.int(0), alpha: arg.float(2) }));
    expect(vals(noBeta.reference([c, a, b])[0])).toEqual([14, 2, 32, 2]);
    const withBeta = addmm.bind(callOf([c, a, b], [arg.tensor(0), arg.tensor(1), arg.tensor(2)], { beta: arg.float(0.5) }));
    expect(vals(withBeta.reference([c, a, b])[0])).toEqual([NaN, 1.5, NaN, 1.5]);
  });
});

describe('softmax', () => {
  it('normalises along dim; all −inf and NaN rows are NaN', () => {
    const x = t('float32', [3, 2], [0, Math.log(3), -Infinity, -Infinity, NaN, 1]);
    const sm = softmax.bind(callOf([x], [arg.tensor(0), arg.int(-1), arg.bool(false)]));
    expect(sm.outputs).toEqual([{ dtype: 'float32', shape: [3, 2], accuracy: { kind: 'bound', ulps: 0.5 } }]);
    const [r] = sm.reference([x]);
    expect(r?.values[0]).toBeCloseTo(0.25, 15);
    expect(r?.values[1]).toBeCloseTo(0.75, 15);
    expect(vals(r).slice(2)).toEqual([NaN, NaN, NaN, NaN]);
    // bound: γ(|d| + 8 + 1.4k + 2, u)·y, a few float32 ULPs of y here
    expect((r?.bound?.[1] ?? 0) / 0.75).toBeLessThan(20 * 2 ** -24);
    expect(() => softmax.bind(callOf([x], [arg.tensor(0), arg.int(0), arg.bool(true)]))).toThrow(/float16/);
  });
});

describe('native_layer_norm', () => {
  it('returns out, mean and rstd with PyTorch CPU shapes', () => {
    const x = t('float32', [2, 4], [1, 2, 3, 4, -1, -1, 1, 1]);
    const w = t('float32', [4], [1, 2, 1, 1]);
    const b = t('float32', [4], [0, 0, 0, 1]);
    const ln = nativeLayerNorm.bind(callOf([x, w, b], [arg.tensor(0), arg.ints([4]), arg.tensor(1), arg.tensor(2), arg.float(0)]));
    expect(ln.outputs).toEqual([
      { dtype: 'float32', shape: [2, 4], accuracy: { kind: 'bound', ulps: 0.5 } },
      { dtype: 'float32', shape: [2, 1], accuracy: { kind: 'accumulation', accumDtype: 'float32', ulps: 0.5, passes: 2 } },
      { dtype: 'float32', shape: [2, 1], accuracy: { kind: 'bound', ulps: 0.5 } },
    ]);
    const [out, mean, rstd] = ln.reference([x, w, b]);
    expect(vals(mean)).toEqual([2.5, 0]);
    expect(rstd?.values[0]).toBeCloseTo(1 / Math.sqrt(1.25), 15);
    expect(rstd?.values[1]).toBe(1);
    const s = 1 / Math.sqrt(1.25);
    const expected = [-1.5 * s, -0.5 * s * 2, 0.5 * s, 1.5 * s + 1, -1, -2, 1, 2];
    vals(out).forEach((v, i) => expect(v).toBeCloseTo(expected[i] ?? NaN, 14));
    expect(out?.bound?.[0]).toBeGreaterThan(0);
  });
  it('mean and rstd keep the leading dims and a 1 per normalized dim', () => {
    const x = t('bfloat16', [2, 3, 4], new Array<number>(24).fill(1));
    const ln = nativeLayerNorm.bind(callOf([x], [arg.tensor(0), arg.ints([3, 4]), arg.none(), arg.none(), arg.float(1e-5)]));
    const [out, mean] = ln.outputs;
    expect(mean).toEqual({
      dtype: 'bfloat16',
      shape: [2, 1, 1],
      alternativeDtypes: ['float32'],
      accuracy: { kind: 'accumulation', accumDtype: 'float32', ulps: 1, passes: 2 },
    });
    expect(out?.accuracy).toEqual({ kind: 'bound', ulps: 1 });
  });
});

describe('shape ops', () => {
  const x = t('float32', [2, 3], [1, 2, 3, 4, 5, -0]);
  const COPY = { kind: 'exact', signedZero: true };
  it('permute, view with −1, clone', () => {
    const p = permute.bind(callOf([x], [arg.tensor(0), arg.ints([1, 0])]));
    expect(p.outputs).toEqual([{ dtype: 'float32', shape: [3, 2], accuracy: COPY }]);
    expect(vals(p.reference([x])[0])).toEqual([1, 4, 2, 5, 3, -0]);
    expect(view.bind(callOf([x], [arg.tensor(0), arg.ints([-1, 2])])).outputs).toEqual([{ dtype: 'float32', shape: [3, 2], accuracy: COPY }]);
    expect(() => view.bind(callOf([x], [arg.tensor(0), arg.ints([4, -1])]))).toThrow(/invalid/);
    expect(Object.is(clone.bind(callOf([x], [arg.tensor(0)])).reference([x])[0]?.values[5], -0)).toBe(true);
  });
  it('cat promotes, joins along dim and skips legacy empty tensors', () => {
    const a = t('int32', [2, 1], [1, 2]);
    const b = t('float16', [2, 2], [3, 4, 5, 6]);
    const e = t('float32', [0], []);
    const joined = cat.bind(callOf([a, b, e], [arg.tensors([0, 1, 2]), arg.int(1)]));
    expect(joined.outputs).toEqual([{ dtype: 'float32', shape: [2, 3], accuracy: COPY }]);
    expect(vals(joined.reference([a, b, e])[0])).toEqual([1, 3, 4, 2, 5, 6]);
  });
});
