import { describe, expect, it } from 'vitest';
import { arg } from './args.js';
import { addScalar, addTensor, divFloorFloating, divTensor, divTensorMode, mulScalar, mulTensor, subTensor } from './binary.js';
import { callOf, t } from '../testing/ops.js';

describe('aten.add.Tensor', () => {
  it('promotes and broadcasts', () => {
    const a = t('int32', [2, 1], [1, 2]);
    const b = t('float16', [3], [0.5, 1.5, 2.5]);
    const call = callOf([a, b], [arg.tensor(0), arg.tensor(1)]);
    expect(addTensor.outputs(call)).toEqual([{ dtype: 'float16', shape: [2, 3] }]);
    expect(Array.from(addTensor.reference(call, [a, b])[0]?.values ?? [])).toEqual([1.5, 2.5, 3.5, 2.5, 3.5, 4.5]);
    expect(addTensor.accuracy(call, 0)).toEqual({ kind: 'ulp', ulps: 0.5 });
  });
  it('wraps integer overflow like C', () => {
    const a = t('int8', [2], [127, -128]);
    const b = t('int8', [2], [1, -1]);
    const call = callOf([a, b], [arg.tensor(0), arg.tensor(1)]);
    expect(Array.from(addTensor.reference(call, [a, b])[0]?.values ?? [])).toEqual([-128, 127]);
    expect(addTensor.accuracy(call, 0)).toEqual({ kind: 'exact' });
  });
  it('wraps int64 beyond 2^53 exactly', () => {
    const a = t('int64', [1], [2 ** 62]);
    const call = callOf([a, a], [arg.tensor(0), arg.tensor(1)], { alpha: arg.int(2) });
    // 2^62 + 2·2^62 = 3·2^62 ≡ −2^62 (mod 2^64)
    expect(Array.from(addTensor.reference(call, [a, a])[0]?.values ?? [])).toEqual([-(2 ** 62)]);
  });
  it('bool + bool stays bool (logical or)', () => {
    const a = t('bool', [2], [1, 0]);
    const call = callOf([a, a], [arg.tensor(0), arg.tensor(1)]);
    expect(addTensor.outputs(call)[0]?.dtype).toBe('bool');
    expect(Array.from(addTensor.reference(call, [a, a])[0]?.values ?? [])).toEqual([1, 0]);
  });
  it('a power-of-two alpha keeps a single rounding; another alpha gets a derived bound', () => {
    const a = t('float32', [1], [1]);
    const b = t('float32', [1], [Math.fround(0.1)]);
    const pow2 = callOf([a, b], [arg.tensor(0), arg.tensor(1)], { alpha: arg.float(0.5) });
    expect(addTensor.accuracy(pow2, 0)).toEqual({ kind: 'ulp', ulps: 0.5 });
    const odd = callOf([a, b], [arg.tensor(0), arg.tensor(1)], { alpha: arg.float(0.3) });
    expect(addTensor.accuracy(odd, 0)).toEqual({ kind: 'bound', ulps: 1 });
    const [r] = addTensor.reference(odd, [a, b]);
    expect(r?.values[0]).toBeCloseTo(1 + 0.3 * Math.fround(0.1), 15);
    // alpha rounded to float32, product rounded: a few float32 ULPs of 1 at most
    expect(r?.bound?.[0]).toBeGreaterThan(0);
    expect(r?.bound?.[0]).toBeLessThan(3 * 2 ** -23);
  });
  it('rejects a float alpha for integer tensors, as PyTorch does', () => {
    const a = t('int32', [1], [1]);
    expect(() => addTensor.outputs(callOf([a, a], [arg.tensor(0), arg.tensor(1)], { alpha: arg.float(1.5) }))).toThrow(/alpha/);
  });
});

describe('aten.add.Scalar / sub / mul', () => {
  it('int64 tensor + 2.5 gives float32', () => {
    const a = t('int64', [2], [1, -3]);
    const call = callOf([a], [arg.tensor(0), arg.float(2.5)]);
    expect(addScalar.outputs(call)).toEqual([{ dtype: 'float32', shape: [2] }]);
    expect(Array.from(addScalar.reference(call, [a])[0]?.values ?? [])).toEqual([3.5, -0.5]);
    expect(addScalar.accuracy(call, 0)).toEqual({ kind: 'ulp', ulps: 0.5 });
  });
  it('a scalar not representable in float16 allows both conversions', () => {
    const a = t('float16', [1], [1]);
    const call = callOf([a], [arg.tensor(0), arg.float(0.1)]);
    expect(addScalar.outputs(call)[0]?.dtype).toBe('float16');
    expect(addScalar.accuracy(call, 0)).toEqual({ kind: 'bound', ulps: 1 });
    const [r] = addScalar.reference(call, [a]);
    expect(r?.values[0]).toBe(1.1);
    expect(r?.bound?.[0]).toBeGreaterThan(1e-5); // 0.1 in float16 is 0.0999755859375
  });
  it('bool tensor + int scalar gives int64', () => {
    const a = t('bool', [2], [1, 0]);
    expect(addScalar.outputs(callOf([a], [arg.tensor(0), arg.int(1)]))[0]?.dtype).toBe('int64');
  });
  it('sub refuses bool tensors', () => {
    const a = t('bool', [1], [1]);
    expect(() => subTensor.outputs(callOf([a, a], [arg.tensor(0), arg.tensor(1)]))).toThrow(/bool/);
  });
  it('sub with alpha', () => {
    const a = t('int32', [2], [10, -10]);
    const b = t('int32', [2], [3, 3]);
    const call = callOf([a, b], [arg.tensor(0), arg.tensor(1)], { alpha: arg.int(2) });
    expect(Array.from(subTensor.reference(call, [a, b])[0]?.values ?? [])).toEqual([4, -16]);
  });
  it('mul propagates NaN, keeps inf·0 = NaN, and wraps integers', () => {
    const a = t('float32', [3], [NaN, Infinity, -2]);
    const b = t('float32', [3], [1, 0, 0]);
    const [r] = mulTensor.reference(callOf([a, b], [arg.tensor(0), arg.tensor(1)]), [a, b]);
    expect(r?.values[0]).toBeNaN();
    expect(r?.values[1]).toBeNaN();
    expect(Object.is(r?.values[2], -0)).toBe(true);
    const i = t('int16', [1], [300]);
    expect(Array.from(mulTensor.reference(callOf([i, i], [arg.tensor(0), arg.tensor(1)]), [i, i])[0]?.values ?? [])).toEqual([90000 - 65536]);
  });
  it('mul.Scalar by a float scalar on int8 gives float32', () => {
    const a = t('int8', [2], [3, -4]);
    const call = callOf([a], [arg.tensor(0), arg.float(0.5)]);
    expect(mulScalar.outputs(call)[0]?.dtype).toBe('float32');
    expect(Array.from(mulScalar.reference(call, [a])[0]?.values ?? [])).toEqual([1.5, -2]);
  });
});

describe('aten.div', () => {
  it('true division of integers gives float32 on float32-converted operands', () => {
    const a = t('int32', [3], [7, -7, 2 ** 24 + 1]);
    const b = t('int32', [3], [2, 2, 1]);
    const call = callOf([a, b], [arg.tensor(0), arg.tensor(1)]);
    expect(divTensor.outputs(call)[0]?.dtype).toBe('float32');
    // 2^24 + 1 becomes 2^24 in float32 before the division, as in PyTorch
    expect(Array.from(divTensor.reference(call, [a, b])[0]?.values ?? [])).toEqual([3.5, -3.5, 2 ** 24]);
  });
  it('division by zero follows IEEE for floats', () => {
    const a = t('float32', [3], [1, -1, 0]);
    const b = t('float32', [3], [0, 0, 0]);
    const v = divTensor.reference(callOf([a, b], [arg.tensor(0), arg.tensor(1)]), [a, b])[0]?.values ?? [];
    expect(v[0]).toBe(Infinity);
    expect(v[1]).toBe(-Infinity);
    expect(v[2]).toBeNaN();
  });
  it('integer floor and trunc division with negative operands (PyTorch 1.13 values)', () => {
    const a = t('int8', [5], [-7, 7, -7, 7, -128]);
    const b = t('int8', [5], [2, -2, -2, 2, -1]);
    const floor = callOf([a, b], [arg.tensor(0), arg.tensor(1)], { rounding_mode: arg.str('floor') });
    const trunc = callOf([a, b], [arg.tensor(0), arg.tensor(1)], { rounding_mode: arg.str('trunc') });
    expect(divTensorMode.outputs(floor)[0]?.dtype).toBe('int8');
    expect(Array.from(divTensorMode.reference(floor, [a, b])[0]?.values ?? [])).toEqual([-4, -4, 3, 3, -128]);
    expect(Array.from(divTensorMode.reference(trunc, [a, b])[0]?.values ?? [])).toEqual([-3, -3, 3, 3, -128]);
    expect(divTensorMode.accuracy(floor, 0)).toEqual({ kind: 'exact' });
  });
  it('int64 floor division of small negatives', () => {
    const a = t('int64', [3], [-1, 1, 0]);
    const b = t('int64', [3], [3, -3, -3]);
    const call = callOf([a, b], [arg.tensor(0), arg.tensor(1)], { rounding_mode: arg.str('floor') });
    expect(Array.from(divTensorMode.reference(call, [a, b])[0]?.values ?? [])).toEqual([-1, -1, 0]);
  });
  it('integer division by zero is refused (PyTorch raises)', () => {
    const a = t('int32', [1], [1]);
    const b = t('int32', [1], [0]);
    expect(() => divTensorMode.reference(callOf([a, b], [arg.tensor(0), arg.tensor(1)], { rounding_mode: arg.str('trunc') }), [a, b])).toThrow(/zero/);
  });
  it('float floor and trunc division (PyTorch 1.13 values, signs of zero included)', () => {
    const a = t('float32', [7], [-7.5, 7.5, 5, 5, -0, 0, 1]);
    const b = t('float32', [7], [2, -2, Infinity, -Infinity, 3, -3, 0]);
    const floor = divTensorMode.reference(callOf([a, b], [arg.tensor(0), arg.tensor(1)], { rounding_mode: arg.str('floor') }), [a, b])[0];
    const trunc = divTensorMode.reference(callOf([a, b], [arg.tensor(0), arg.tensor(1)], { rounding_mode: arg.str('trunc') }), [a, b])[0];
    expect(Array.from(floor?.values ?? [])).toEqual([-4, -4, 0, -1, -0, -0, Infinity]);
    expect(Array.from(trunc?.values ?? [])).toEqual([-3, -3, 0, -0, -0, -0, Infinity]);
    expect(Object.is(floor?.values[4], -0)).toBe(true);
    expect(Array.from(floor?.bound ?? [])).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
  it('trunc allows the quotient to be rounded before truncation', () => {
    // 5 / 1.6669921875 = 2.99941…: exact trunc 2, but the quotient rounds to 3 in float16, so 3 is allowed too
    const a = t('float16', [1], [5]);
    const b = t('float16', [1], [1.6669921875]);
    const [r] = divTensorMode.reference(callOf([a, b], [arg.tensor(0), arg.tensor(1)], { rounding_mode: arg.str('trunc') }), [a, b]);
    expect(r?.values[0]).toBe(2);
    expect(r?.bound?.[0]).toBe(1);
  });
  it('floor division matches Python for large quotients in float64', () => {
    expect(divFloorFloating(1e308, 1e-10)).toBe(Infinity);
    expect(divFloorFloating(-1, 3)).toBe(-1);
    expect(divFloorFloating(7, 0.1)).toBe(69); // Python: 7 // 0.1 == 69.0
  });
});
