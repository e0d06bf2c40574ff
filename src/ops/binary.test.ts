import { describe, expect, it } from 'vitest';
import { arg } from './args.js';
import { addScalar, addTensor, divFloorFloating, divTensor, divTensorMode, mulScalar, mulTensor, subTensor } from './binary.js';
import { callOf, t } from '../testing/ops.js';

const vals = (r: { values: Float64Array } | undefined) => Array.from(r?.values ?? []);

describe('aten.add.Tensor', () => {
  it('promotes and broadcasts', () => {
    const a = t('int32', [2, 1], [1, 2]);
    const b = t('float16', [3], [0.5, 1.5, 2.5]);
    const add = addTensor.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)]));
    expect(add.outputs).toEqual([{ dtype: 'float16', shape: [2, 3], accuracy: { kind: 'ulp', ulps: 0.5 } }]);
    expect(vals(add.reference([a, b])[0])).toEqual([1.5, 2.5, 3.5, 2.5, 3.5, 4.5]);
  });
  it('wraps integer overflow like C', () => {
    const a = t('int8', [2], [127, -128]);
    const b = t('int8', [2], [1, -1]);
    const add = addTensor.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)]));
    expect(vals(add.reference([a, b])[0])).toEqual([-128, 127]);
    expect(add.outputs[0]?.accuracy).toEqual({ kind: 'exact' });
  });
  it('wraps int64 beyond 2^53 exactly', () => {
    const a = t('int64', [1], [2 ** 62]);
    const add = addTensor.bind(callOf([a, a], [arg.tensor(0), arg.tensor(1)], { alpha: arg.int(2) }));
    // 2^62 + 2·2^62 = 3·2^62 ≡ −2^62 (mod 2^64)
    expect(vals(add.reference([a, a])[0])).toEqual([-(2 ** 62)]);
  });
  it('bool + bool stays bool (logical or)', () => {
    const a = t('bool', [2], [1, 0]);
    const add = addTensor.bind(callOf([a, a], [arg.tensor(0), arg.tensor(1)]));
    expect(add.outputs[0]?.dtype).toBe('bool');
    expect(vals(add.reference([a, a])[0])).toEqual([1, 0]);
  });
  it('a power-of-two alpha keeps a single rounding; another alpha gets a derived bound', () => {
    const a = t('float32', [1], [1]);
    const b = t('float32', [1], [Math.fround(0.1)]);
    const pow2 = addTensor.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], { alpha: arg.float(0.5) }));
    expect(pow2.outputs[0]?.accuracy).toEqual({ kind: 'ulp', ulps: 0.5 });
    const odd = addTensor.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], { alpha: arg.float(0.3) }));
    expect(odd.outputs[0]?.accuracy).toEqual({ kind: 'bound', ulps: 1 });
    const [r] = odd.reference([a, b]);
    expect(r?.values[0]).toBeCloseTo(1 + 0.3 * Math.fround(0.1), 15);
    // alpha rounded to float32, product rounded: a few float32 ULPs of 1 at most
    expect(r?.bound?.[0]).toBeGreaterThan(0);
    expect(r?.bound?.[0]).toBeLessThan(3 * 2 ** -23);
  });
  it('rejects a float alpha for integer tensors, as PyTorch does', () => {
    const a = t('int32', [1], [1]);
    expect(() => addTensor.bind(callOf([a, a], [arg.tensor(0), arg.tensor(1)], { alpha: arg.float(1.5) }))).toThrow(/alpha/);
  });
});

describe('aten.add.Scalar / sub / mul', () => {
  it('int64 tensor + 2.5 gives float32', () => {
    const a = t('int64', [2], [1, -3]);
    const add = addScalar.bind(callOf([a], [arg.tensor(0), arg.float(2.5)]));
    expect(add.outputs).toEqual([{ dtype: 'float32', shape: [2], accuracy: { kind: 'ulp', ulps: 0.5 } }]);
    expect(vals(add.reference([a])[0])).toEqual([3.5, -0.5]);
  });
  it('a scalar not representable in float16 allows both conversions', () => {
    const a = t('float16', [1], [1]);
    const add = addScalar.bind(callOf([a], [arg.tensor(0), arg.float(0.1)]));
    expect(add.outputs).toEqual([{ dtype: 'float16', shape: [1], accuracy: { kind: 'bound', ulps: 1 } }]);
    const [r] = add.reference([a]);
    expect(r?.values[0]).toBe(1.1);
    expect(r?.bound?.[0]).toBeGreaterThan(1e-5); // 0.1 in float16 is 0.0999755859375
  });
  it('bool tensor + int scalar gives int64', () => {
    const a = t('bool', [2], [1, 0]);
    expect(addScalar.bind(callOf([a], [arg.tensor(0), arg.int(1)])).outputs[0]?.dtype).toBe('int64');
  });
  it('sub refuses bool tensors', () => {
    const a = t('bool', [1], [1]);
    expect(() => subTensor.bind(callOf([a, a], [arg.tensor(0), arg.tensor(1)]))).toThrow(/bool/);
  });
  it('sub with alpha', () => {
    const a = t('int32', [2], [10, -10]);
    const b = t('int32', [2], [3, 3]);
    const sub = subTensor.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], { alpha: arg.int(2) }));
    expect(vals(sub.reference([a, b])[0])).toEqual([4, -16]);
  });
  it('mul propagates NaN, keeps inf·0 = NaN, and wraps integers', () => {
    const a = t('float32', [3], [NaN, Infinity, -2]);
    const b = t('float32', [3], [1, 0, 0]);
    const [r] = mulTensor.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)])).reference([a, b]);
    expect(r?.values[0]).toBeNaN();
    expect(r?.values[1]).toBeNaN();
    expect(Object.is(r?.values[2], -0)).toBe(true);
    const i = t('int16', [1], [300]);
    expect(vals(mulTensor.bind(callOf([i, i], [arg.tensor(0), arg.tensor(1)])).reference([i, i])[0])).toEqual([90000 - 65536]);
  });
  it('mul.Scalar by a float scalar on int8 gives float32', () => {
    const a = t('int8', [2], [3, -4]);
    const mul = mulScalar.bind(callOf([a], [arg.tensor(0), arg.float(0.5)]));
    expect(mul.outputs[0]?.dtype).toBe('float32');
    expect(vals(mul.reference([a])[0])).toEqual([1.5, -2]);
  });
});

describe('aten.div', () => {
  const withMode = (mode: string) => ({ rounding_mode: arg.str(mode) });
  it('true division of integers gives float32 on float32-converted operands', () => {
    const a = t('int32', [3], [7, -7, 2 ** 24 + 1]);
    const b = t('int32', [3], [2, 2, 1]);
    const div = divTensor.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)]));
    expect(div.outputs[0]?.dtype).toBe('float32');
    // 2^24 + 1 becomes 2^24 in float32 before the division, as in PyTorch
    expect(vals(div.reference([a, b])[0])).toEqual([3.5, -3.5, 2 ** 24]);
  });
  it('division by zero follows IEEE for floats', () => {
    const a = t('float32', [3], [1, -1, 0]);
    const b = t('float32', [3], [0, 0, 0]);
    const v = vals(divTensor.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)])).reference([a, b])[0]);
    expect(v[0]).toBe(Infinity);
    expect(v[1]).toBe(-Infinity);
    expect(v[2]).toBeNaN();
  });
  it('integer floor and trunc division with negative operands (PyTorch 1.13 values)', () => {
    const a = t('int8', [5], [-7, 7, -7, 7, -128]);
    const b = t('int8', [5], [2, -2, -2, 2, -1]);
    const floor = divTensorMode.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], withMode('floor')));
    const trunc = divTensorMode.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], withMode('trunc')));
    expect(floor.outputs).toEqual([{ dtype: 'int8', shape: [5], accuracy: { kind: 'exact' } }]);
    expect(vals(floor.reference([a, b])[0])).toEqual([-4, -4, 3, 3, -128]);
    expect(vals(trunc.reference([a, b])[0])).toEqual([-3, -3, 3, 3, -128]);
  });
  it('int64 floor division of small negatives', () => {
    const a = t('int64', [3], [-1, 1, 0]);
    const b = t('int64', [3], [3, -3, -3]);
    const floor = divTensorMode.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], withMode('floor')));
    expect(vals(floor.reference([a, b])[0])).toEqual([-1, -1, 0]);
  });
  it('integer division by zero is refused by the reference, which alone sees the zero (PyTorch raises)', () => {
    const a = t('int32', [1], [1]);
    const b = t('int32', [1], [0]);
    const trunc = divTensorMode.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], withMode('trunc')));
    expect(() => trunc.reference([a, b])).toThrow(/zero/);
  });
  it('refuses an unknown rounding mode when binding', () => {
    const a = t('float32', [1], [1]);
    expect(() => divTensorMode.bind(callOf([a, a], [arg.tensor(0), arg.tensor(1)], withMode('round')))).toThrow(/rounding_mode/);
  });
  it('float floor and trunc division (PyTorch 1.13 values, signs of zero included)', () => {
    const a = t('float32', [7], [-7.5, 7.5, 5, 5, -0, 0, 1]);
    const b = t('float32', [7], [2, -2, Infinity, -Infinity, 3, -3, 0]);
    const floor = divTensorMode.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], withMode('floor'))).reference([a, b])[0];
    const trunc = divTensorMode.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], withMode('trunc'))).reference([a, b])[0];
    expect(vals(floor)).toEqual([-4, -4, 0, -1, -0, -0, Infinity]);
    expect(vals(trunc)).toEqual([-3, -3, 0, -0, -0, -0, Infinity]);
    expect(Object.is(floor?.values[4], -0)).toBe(true);
    expect(Array.from(floor?.bound ?? [])).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
  it('trunc allows the quotient to be rounded before truncation', () => {
    // 5 / 1.6669921875 = 2.99941…: exact trunc 2, but the quotient rounds to 3 in float16, so 3 is allowed too
    const a = t('float16', [1], [5]);
    const b = t('float16', [1], [1.6669921875]);
    const [r] = divTensorMode.bind(callOf([a, b], [arg.tensor(0), arg.tensor(1)], withMode('trunc'))).reference([a, b]);
    expect(r?.values[0]).toBe(2);
    expect(r?.bound?.[0]).toBe(1);
  });
  it('floor division matches Python for large quotients in float64', () => {
    expect(divFloorFloating(1e308, 1e-10)).toBe(Infinity);
    expect(divFloorFloating(-1, 3)).toBe(-1);
    expect(divFloorFloating(7, 0.1)).toBe(69); // Python: 7 // 0.1 == 69.0
  });
});
