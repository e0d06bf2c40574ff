import { describe, expect, it } from 'vitest';
import { arg } from './args.js';
import { atan2, divScalar, divScalarMode, fmodScalar, fmodTensor, pyRemainder, remainderScalar, remainderTensor, subScalar } from './pointwise-arith.js';
import { checkConvert, overflows } from './pointwise-common.js';
import { clamp, clampTensor, eqScalar, geScalar, leScalar, ltScalar, maximum, minimum, neScalar, neTensor } from './pointwise-compare.js';
import { bitwiseAndScalar, bitwiseAndTensor, bitwiseOrScalar, bitwiseXorScalar, logicalAnd, logicalOr, logicalXor } from './pointwise-logic.js';
import { cpow, powInt, powScalar, powTensorScalar, powTensorTensor } from './pointwise-pow.js';
import { getOp } from './registry.js';
import type { OpDef } from './types.js';
import type { RefTensor } from '../tensor/tensor.js';
import type { Arg } from './args.js';
import { callOf, t } from '../testing/ops.js';

/*
 * Values marked "torch 1.13" were recorded from PyTorch 1.13 (Debian, CPU) with torch.ops.aten.<op>; the others are
 * worked out by hand from the definitions (IEEE fmod, Python's modulus, C99 pow).
 */

const vals = (r: { values: Float64Array } | undefined) => Array.from(r?.values ?? []);

/** Binds op on the inputs and returns the bound op and its reference output 0. */
function run(op: OpDef, inputs: RefTensor[], args: Arg[], kwargs: Record<string, Arg> = {}) {
  const bound = op.bind(callOf(inputs, args, kwargs));
  const [ref] = bound.reference(inputs);
  return { out: bound.outputs[0], ref, values: vals(ref) };
}

const T0 = arg.tensor(0);
const T1 = arg.tensor(1);

describe('the pointwise ops are in the catalogue', () => {
  it('registers every overload under its ATen name and family', () => {
    for (const [name, family] of [
      ['aten.sub.Scalar', 'binary'],
      ['aten.pow.Tensor_Tensor', 'binary'],
      ['aten.remainder.Scalar', 'binary'],
      ['aten.bitwise_xor.Tensor', 'binary'],
      ['aten.logical_or.default', 'binary'],
      ['aten.lt.Scalar', 'comparison'],
      ['aten.maximum.default', 'comparison'],
      ['aten.clamp.Tensor', 'comparison'],
    ] as const) {
      expect(getOp(name)?.family).toBe(family);
    }
  });
});

describe('sub.Scalar', () => {
  it('refuses a bool tensor with PyTorch\'s words', () => {
    const b = t('bool', [2], [1, 0]);
    expect(() => subScalar.bind(callOf([b], [T0, arg.int(1)]))).toThrow('Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.');
  });
  it('int8 − 1.5 is float32 (torch 1.13: [−0.5, −3.5]); alpha multiplies the scalar', () => {
    const a = t('int8', [2], [1, -2]);
    expect(run(subScalar, [a], [T0, arg.float(1.5)])).toMatchObject({ out: { dtype: 'float32' }, values: [-0.5, -3.5] });
    expect(run(subScalar, [a], [T0, arg.int(1), arg.int(2)])).toMatchObject({ out: { dtype: 'int8' }, values: [-1, -4] });
    expect(() => subScalar.bind(callOf([a], [T0, arg.int(1), arg.float(2.5)]))).toThrow(/alpha must not be a floating point number/);
  });
  it('float16 x − 3·0.1 admits the product rounded to float16 (torch 1.13 gives 2^-12 for x = 0.3)', () => {
    const a = t('float16', [1], [0.300048828125]);
    const { out, ref } = run(subScalar, [a], [T0, arg.float(0.1), arg.int(3)]);
    expect(out?.accuracy).toEqual({ kind: 'bound', ulps: 1 });
    const torch = 0.000244140625;
    expect(Math.abs(torch - (ref?.values[0] ?? NaN))).toBeLessThanOrEqual((ref?.bound?.[0] ?? 0) + 2 ** -24);
  });
});

describe('div.Scalar and div.Scalar_mode', () => {
  it('integers divide in float32; a power-of-two divisor is one rounding, 3 is a bound', () => {
    const i = t('int32', [2], [3, -7]);
    expect(run(divScalar, [i], [T0, arg.int(2)])).toMatchObject({ out: { dtype: 'float32', accuracy: { kind: 'ulp', ulps: 0.5 } }, values: [1.5, -3.5] });
    const x = t('float32', [1], [Math.fround(0.1)]);
    const { out, ref } = run(divScalar, [x], [T0, arg.float(3)]);
    expect(out?.accuracy).toEqual({ kind: 'bound', ulps: 0.5 });
    // torch 1.13: 0.1 / 3 = 0.03333333507180214; CUDA's 0.1·fl(1/3) may differ by an ULP, which the bound holds
    expect(Math.fround(ref?.values[0] ?? NaN)).toBe(0.03333333507180214);
    expect(ref?.bound?.[0]).toBeLessThanOrEqual(2 ** -28);
  });
  it('floor and trunc follow Python and C (torch 1.13: −7 // 2 = −4, trunc(−7 / −2) = 3)', () => {
    const i = t('int32', [2], [-7, 7]);
    expect(run(divScalarMode, [i], [T0, arg.int(2)], { rounding_mode: arg.str('floor') }).values).toEqual([-4, 3]);
    const f = t('float32', [2], [-7, 7.5]);
    expect(run(divScalarMode, [f], [T0, arg.int(-2)], { rounding_mode: arg.str('trunc') }).values).toEqual([3, -3]);
    // −3 becomes 253 in uint8 (torch 1.13: [0, 0])
    expect(run(divScalarMode, [t('uint8', [2], [1, 200])], [T0, arg.int(-3)], { rounding_mode: arg.str('floor') }).values).toEqual([0, 0]);
  });
  it('refuses an integer division by a zero scalar, and an unknown mode', () => {
    const i = t('int32', [1], [3]);
    expect(() => divScalarMode.bind(callOf([i], [T0, arg.int(0)], { rounding_mode: arg.str('floor') }))).toThrow('ZeroDivisionError');
    expect(() => divScalarMode.bind(callOf([i], [T0, arg.int(2)], { rounding_mode: arg.str('x') }))).toThrow("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'x'");
    // a float result divides by zero as IEEE does
    expect(run(divScalar, [t('float32', [3], [1, -1, 0])], [T0, arg.float(0)]).values).toEqual([Infinity, -Infinity, NaN]);
  });
});

describe('fmod and remainder', () => {
  const a = t('float32', [7], [-4, 4, -7, 7, 5, 0, -0]);
  const b = t('float32', [7], [2, -2, -2, 2, -Infinity, -3, 3]);
  it('fmod takes the dividend\'s sign, remainder the divisor\'s (torch 1.13 values)', () => {
    expect(run(fmodTensor, [a, b], [T0, T1]).values).toEqual([-0, 0, -1, 1, 5, 0, -0]);
    // Python: 5 % −inf = −inf; PyTorch keeps fmod's zero sign where Python gives +0 (the judge does not count it)
    expect(run(remainderTensor, [a, b], [T0, T1]).values.map((v) => v + 0)).toEqual([0, 0, -1, 1, -Infinity, 0, 0]);
    const i = t('int32', [4], [-7, 7, -7, 7]);
    const j = t('int32', [4], [2, -2, -2, 2]);
    expect(run(fmodTensor, [i, j], [T0, T1]).values).toEqual([-1, 1, -1, 1]);
    expect(run(remainderTensor, [i, j], [T0, T1]).values).toEqual([1, -1, -1, 1]);
  });
  it('is exact for quotients far beyond 2^24 (pytorch #37743: remainder(1e9, π) in float32 is 1.0241949558258057)', () => {
    const big = t('float32', [1], [1e9]);
    expect(Math.fround(run(remainderScalar, [big], [T0, arg.float(Math.PI)]).values[0] ?? NaN)).toBe(1.0241949558258057);
    expect(pyRemainder(-1e-30, 3)).toBe(3); // 3 − 1e-30 rounds to 3
  });
  it('rules: fmod exact, remainder correctly rounded; a divisor the dtype cannot hold gets a bound', () => {
    expect(run(fmodScalar, [a], [T0, arg.float(1.5)]).out?.accuracy).toEqual({ kind: 'exact' });
    expect(run(remainderScalar, [a], [T0, arg.float(1.5)]).out?.accuracy).toEqual({ kind: 'ulp', ulps: 0.5 });
    expect(run(remainderScalar, [a], [T0, arg.float(0.1)]).out?.accuracy).toEqual({ kind: 'bound', ulps: 0 });
  });
  it('refuses bool, and an integer zero scalar; wraps a negative scalar into uint8 (torch 1.13: [1, 200])', () => {
    const bb = t('bool', [1], [1]);
    expect(() => fmodTensor.bind(callOf([bb, bb], [T0, T1]))).toThrow(`"fmod_cpu" not implemented for 'Bool'`);
    expect(() => remainderScalar.bind(callOf([t('int32', [1], [3])], [T0, arg.int(0)]))).toThrow('ZeroDivisionError');
    expect(run(remainderScalar, [t('uint8', [2], [1, 200])], [T0, arg.int(-3)]).values).toEqual([1, 200]);
    expect(run(fmodScalar, [t('bool', [2], [1, 0])], [T0, arg.int(1)]).out?.dtype).toBe('int64');
  });
});

describe('pow', () => {
  it('follows C99 where JavaScript does not: 1^NaN = 1, (−1)^±inf = 1, NaN^0 = 1', () => {
    expect([cpow(1, NaN), cpow(-1, Infinity), cpow(-1, -Infinity), cpow(NaN, 0), cpow(0, 0), cpow(-0, -3), cpow(-8, 1 / 3)]).toEqual([1, 1, 1, 1, 1, -Infinity, NaN]);
  });
  it('integer powers wrap modulo 2^bits (torch 1.13: int8 3^5 = −13, (−2)^5 = −32; int32 7^12 = 956385313)', () => {
    expect(run(powTensorScalar, [t('int8', [3], [3, -2, 2])], [T0, arg.int(5)]).values).toEqual([-13, -32, 32]);
    expect(run(powTensorScalar, [t('int32', [1], [7])], [T0, arg.int(12)]).values).toEqual([956385313]);
    expect(powInt(3, 40, 'int64')).toBe(Number(BigInt.asIntN(64, 3n ** 40n)));
    // tensor exponents below zero: PyTorch's kernel gives 0, ±1 (torch 1.13: [0, 1, −1, 1, 0])
    const base = t('int32', [5], [2, 1, -1, -1, 0]);
    const exp = t('int32', [5], [-1, -3, -3, -2, -1]);
    expect(run(powTensorTensor, [base, exp], [T0, T1]).values).toEqual([0, 1, -1, 1, 0]);
  });
  it('refuses a negative integer exponent of an integer tensor, and bool', () => {
    const i = t('int32', [1], [3]);
    expect(() => powTensorScalar.bind(callOf([i], [T0, arg.int(-1)]))).toThrow('Integers to negative integer powers are not allowed.');
    expect(run(powTensorScalar, [i], [T0, arg.float(-1)]).out?.dtype).toBe('float32');
    const b = t('bool', [1], [1]);
    expect(() => powTensorTensor.bind(callOf([b, b], [T0, T1]))).toThrow(`"pow" not implemented for 'Bool'`);
    expect(run(powTensorScalar, [b], [T0, arg.int(2)]).out?.dtype).toBe('int64');
  });
  it('promotes as torch.result_type (torch 1.13: pow(2, int32 [3, −7]) = int32 [8, 0]; pow(2., ·) is float32)', () => {
    const e = t('int32', [2], [3, -7]);
    expect(run(powScalar, [e], [arg.int(2), T0])).toMatchObject({ out: { dtype: 'int32' }, values: [8, 0] });
    expect(run(powScalar, [e], [arg.float(2), T0])).toMatchObject({ out: { dtype: 'float32' }, values: [8, 0.0078125] });
    expect(run(powTensorTensor, [t('float16', [1], [1.5]), t('int32', [1], [3])], [T0, T1]).out?.dtype).toBe('float16');
  });
  it('x^−2 admits 1/(x·x): torch 1.13 gives 0 for x = 2^65 in float32 (x·x overflows), where x^−2 is the subnormal 2^−130', () => {
    const { out, ref } = run(powTensorScalar, [t('float32', [2], [2 ** 65, 3])], [T0, arg.float(-2)]);
    expect(out?.accuracy).toEqual({ kind: 'bound', ulps: 2 });
    expect(ref?.values[0]).toBe(2 ** -130);
    expect(ref?.bound?.[0]).toBe(2 ** -130);
    expect(Math.fround(ref?.values[1] ?? NaN)).toBe(0.1111111119389534);
  });
  it('x^±0.5 is √x and 1/√x, as PyTorch dispatches them', () => {
    const x = t('float32', [2], [-0, 4]);
    expect(run(powTensorScalar, [x], [T0, arg.float(-0.5)]).values).toEqual([-Infinity, 0.5]);
  });
});

describe('atan2', () => {
  it('keeps the quadrant of signed zeros (torch 1.13: π, −0, 0, −π, π/2, −π/2) and promotes integers to float32', () => {
    const y = t('float32', [6], [0, -0, 0, -0, 1, -1]);
    const x = t('float32', [6], [-0, 0, 0, -0, -0, -0]);
    const { out, values } = run(atan2, [y, x], [T0, T1]);
    expect(out?.accuracy).toEqual({ kind: 'ulp', ulps: 2 });
    expect(values).toEqual([Math.PI, -0, 0, -Math.PI, Math.PI / 2, -Math.PI / 2]);
    expect(run(atan2, [t('int32', [1], [1]), t('int32', [1], [1])], [T0, T1]).out?.dtype).toBe('float32');
  });
});

describe('maximum and minimum', () => {
  it('propagate NaN from either side (torch 1.13: [nan, nan, 2]); bool is or/and', () => {
    const a = t('float32', [3], [NaN, 1, 2]);
    const b = t('float32', [3], [1, NaN, -3]);
    expect(run(maximum, [a, b], [T0, T1]).values).toEqual([NaN, NaN, 2]);
    expect(run(minimum, [t('bool', [3], [1, 1, 0]), t('bool', [3], [1, 0, 0])], [T0, T1]).values).toEqual([1, 0, 0]);
  });
  it('promote: int32 with float16 is float16, uint8 with int8 is int16 (torch 1.13: [1, 200])', () => {
    expect(run(maximum, [t('int32', [1], [3]), t('float16', [1], [1.5])], [T0, T1]).out?.dtype).toBe('float16');
    expect(run(maximum, [t('uint8', [2], [1, 200]), t('int8', [2], [1, -2])], [T0, T1])).toMatchObject({ out: { dtype: 'int16' }, values: [1, 200] });
  });
});

describe('bitwise and logical ops', () => {
  it('wrap a scalar into the dtype (torch 1.13: int8 & 1000 = [0, −24], uint8 | −1 = [255, 255], int32 ^ −1 = [−4, 6])', () => {
    expect(run(bitwiseAndScalar, [t('int8', [2], [1, -2])], [T0, arg.int(1000)]).values).toEqual([0, -24]);
    expect(run(bitwiseOrScalar, [t('uint8', [2], [1, 200])], [T0, arg.int(-1)]).values).toEqual([255, 255]);
    expect(run(bitwiseXorScalar, [t('int32', [2], [3, -7])], [T0, arg.int(-1)]).values).toEqual([-4, 6]);
    expect(run(bitwiseAndScalar, [t('bool', [2], [1, 0])], [T0, arg.int(3)])).toMatchObject({ out: { dtype: 'int64' }, values: [1, 0] });
  });
  it('are exact on int64 beyond 2^32', () => {
    const a = t('int64', [1], [2 ** 40 + 5]);
    const b = t('int64', [1], [-(2 ** 33)]);
    expect(run(bitwiseAndTensor, [a, b], [T0, T1]).values).toEqual([2 ** 40]);
  });
  it('refuse floating operands with PyTorch\'s words', () => {
    const f = t('float32', [1], [1]);
    expect(() => bitwiseAndTensor.bind(callOf([f, f], [T0, T1]))).toThrow(`"bitwise_and_cpu" not implemented for 'Float'`);
    expect(() => bitwiseAndScalar.bind(callOf([t('int8', [1], [1])], [T0, arg.float(1.5)]))).toThrow(/not implemented for 'Float'/);
  });
  it('logical ops: NaN and subnormals are true; a float64 zero-dim 1e-300 beside float32 converts to 0 (torch 1.13: false)', () => {
    const x = t('float32', [3], [NaN, 0, 2 ** -140]);
    const one = t('float32', [3], [1, 1, 1]);
    expect(run(logicalAnd, [x, one], [T0, T1])).toMatchObject({ out: { dtype: 'bool' }, values: [1, 0, 1] });
    expect(run(logicalXor, [x, one], [T0, T1]).values).toEqual([0, 1, 0]);
    expect(run(logicalOr, [t('float32', [2], [0, 0]), t('float64', [], [1e-300])], [T0, T1]).values).toEqual([0, 0]);
  });
});

describe('comparisons', () => {
  it('compare in the promoted dtype (torch 1.13: int64 2^24 ± 1 vs 16777216.0 in float32; uint8 255 == −1; float16 0.1 == 0.1)', () => {
    const i = t('int64', [2], [2 ** 24 + 1, 2 ** 24 - 1]);
    expect(run(geScalar, [i], [T0, arg.float(2 ** 24)]).values).toEqual([1, 0]);
    expect(run(leScalar, [i], [T0, arg.float(2 ** 24)]).values).toEqual([1, 1]);
    expect(run(eqScalar, [t('uint8', [1], [255])], [T0, arg.int(-1)]).values).toEqual([1]);
    expect(run(eqScalar, [t('float16', [1], [0.0999755859375])], [T0, arg.float(0.1)]).values).toEqual([1]);
    expect(run(ltScalar, [t('bool', [2], [1, 0])], [T0, arg.int(1)]).values).toEqual([0, 1]);
  });
  it('NaN compares false except in ne (torch 1.13: ne(x, nan) all true)', () => {
    const x = t('float32', [2], [NaN, 1]);
    expect(run(neScalar, [x], [T0, arg.float(NaN)])).toMatchObject({ out: { dtype: 'bool', accuracy: { kind: 'exact' } }, values: [1, 1] });
    expect(run(eqScalar, [x], [T0, arg.float(NaN)]).values).toEqual([0, 0]);
    expect(run(neTensor, [x, x], [T0, T1]).values).toEqual([1, 0]);
  });
});

describe('clamp', () => {
  it('needs a bound, and refuses one the dtype cannot hold (torch 1.13\'s words)', () => {
    const i8 = t('int8', [1], [1]);
    expect(() => clamp.bind(callOf([i8], [T0]))).toThrow("torch.clamp: At least one of 'min' or 'max' must not be None");
    expect(() => clamp.bind(callOf([i8], [T0, arg.none(), arg.int(1000)]))).toThrow('value cannot be converted to type int8_t without overflow');
    expect(() => clamp.bind(callOf([t('bfloat16', [1], [1])], [T0, arg.float(3.39e38)]))).toThrow('value cannot be converted to type at::BFloat16 without overflow');
    expect(() => clampTensor.bind(callOf([i8], [T0, arg.none(), arg.none()]))).toThrow(/At least one of 'min' or 'max'/);
  });
  it('promotes integer tensors with float bounds; −1 wraps to 255 in uint8 (torch 1.13)', () => {
    expect(run(clamp, [t('int8', [2], [1, -2])], [T0, arg.float(0.5)])).toMatchObject({ out: { dtype: 'float32' }, values: [1, 0.5] });
    expect(run(clamp, [t('uint8', [2], [1, 200])], [T0, arg.int(-1)]).values).toEqual([255, 255]);
    expect(run(clamp, [t('bool', [2], [1, 0])], [T0, arg.int(0), arg.int(1)]).out?.dtype).toBe('int64');
  });
  it('gives max where min > max, NaN where x is NaN, and all NaN for a NaN bound beside another (torch 1.13)', () => {
    const x = t('float32', [4], [-3, 0.5, 7, NaN]);
    expect(run(clamp, [x], [T0, arg.float(1), arg.float(-1)]).values).toEqual([-1, -1, -1, NaN]);
    expect(run(clamp, [x], [T0, arg.float(NaN), arg.float(1)]).values).toEqual([NaN, NaN, NaN, NaN]);
    expect(run(clamp, [x], [T0], { max: arg.float(1) }).values).toEqual([-3, 0.5, 1, NaN]);
  });
  it('clamp.Tensor: promotes every operand (int32 with a float64 zero-dim bound is float64), NaN in a bound is NaN', () => {
    const i = t('int32', [2], [3, -7]);
    const lo = t('float64', [], [0.5]);
    expect(run(clampTensor, [i, lo], [T0, T1])).toMatchObject({ out: { dtype: 'float64', shape: [2] }, values: [3, 0.5] });
    const x = t('float32', [4], [1, NaN, 1, 1]);
    const l = t('float32', [4], [0, 0, NaN, 2]);
    const h = t('float32', [4], [2, 2, 2, NaN]);
    expect(run(clampTensor, [x, l, h], [T0, T1, arg.tensor(2)]).values).toEqual([1, NaN, NaN, NaN]);
    const b = t('bool', [2], [1, 0]);
    expect(() => clampTensor.bind(callOf([b, b, b], [T0, T1, arg.tensor(2)]))).toThrow(`"clamp_cpu" not implemented for 'Bool'`);
    expect(run(clampTensor, [b, t('bool', [2], [0, 1])], [T0, T1]).values).toEqual([1, 1]);
  });
  it('c10::overflows as torch 1.13 applies it (−255 fits uint8 by wrapping, −256 and 256 do not; inf and NaN fit floats)', () => {
    const int = (value: number) => ({ value, kind: 'int' as const });
    const float = (value: number) => ({ value, kind: 'float' as const });
    expect([-255, -256, 256, 255].map((v) => overflows(int(v), 'uint8'))).toEqual([false, true, true, false]);
    expect([-129, 127].map((v) => overflows(int(v), 'int8'))).toEqual([true, false]);
    expect([70000, 3.39e38, 3.5e38, Infinity, NaN].map((v) => overflows(float(v), 'float32'))).toEqual([false, false, true, false, false]);
    expect(overflows(float(NaN), 'int32')).toBe(true);
    expect(() => checkConvert(int(10 ** 10), 'int32')).toThrow('value cannot be converted to type int without overflow');
  });
});
