import { type DType, type FloatFormat, floatFormat, normalExponent, ulpOf } from '../tensor/dtype.js';

/**
 * ULP arithmetic on a float dtype's representable set, derived from its format parameters (no codec needed).
 *
 * The non-negative values of a binary float format split into binades that each hold 2^mantissaBits
 * evenly spaced values: binade 0 is [0, 2^minExponent) (zero and the subnormals, spacing minSubnormal),
 * binade b ≥ 1 is [2^(minExponent+b-1), 2^(minExponent+b)). A value's ordinal is its (binade, step) index;
 * negative values mirror the positive ones and both zeros share ordinal 0. Infinity occupies the slot one
 * step past the largest finite value (for float8_e4m3fn, which has no infinity, that slot is its overflow NaN).
 */

function binadeOf(f: FloatFormat, a: number): number {
  if (a < 2 ** f.minExponent) return 0;
  return normalExponent(a) - f.minExponent + 1;
}

function binadeStart(f: FloatFormat, b: number): number {
  return b === 0 ? 0 : 2 ** (f.minExponent + b - 1);
}

function binadeSpacing(f: FloatFormat, b: number): number {
  return 2 ** (f.minExponent + Math.max(b - 1, 0) - f.mantissaBits);
}

/** Steps between finite magnitudes 0 ≤ x ≤ y, counted binade by binade so float64 stays exact too. */
function magnitudeSteps(f: FloatFormat, x: number, y: number): number {
  const bx = binadeOf(f, x);
  const by = binadeOf(f, y);
  if (bx === by) return (y - x) / binadeSpacing(f, bx);
  const toTop = (binadeStart(f, bx + 1) - x) / binadeSpacing(f, bx);
  const whole = (by - bx - 1) * 2 ** f.mantissaBits;
  const fromBottom = (y - binadeStart(f, by)) / binadeSpacing(f, by);
  return toTop + whole + fromBottom;
}

/** Steps from 0 to magnitude a, with infinity one step past the largest finite value. */
function stepsFromZero(f: FloatFormat, a: number): number {
  if (a === Infinity) return magnitudeSteps(f, 0, f.maxFinite) + 1;
  return magnitudeSteps(f, 0, a);
}

/**
 * Signed ordinal of x in the dtype's ordered representable set: 0 for ±0, k for the k-th positive value,
 * −k for its negation. An integer for representable x, fractional between representables. Exact for every
 * dtype narrower than float64; float64 ordinals above 2^53 are rounded (use `ulpDistance` there). NaN → NaN.
 */
export function ordinal(dtype: DType, x: number): number {
  if (Number.isNaN(x)) return NaN;
  const f = floatFormat(dtype);
  const s = stepsFromZero(f, Math.abs(x));
  return x < 0 ? -s : s;
}

/**
 * Number of representable steps between a and b in the dtype (|ordinal(a) − ordinal(b)|, computed without
 * forming large ordinals, so it is exact for float64 as well). 0 for a == b and for +0 vs −0; fractional when
 * an argument is not representable; NaN if either is NaN.
 */
export function ulpDistance(dtype: DType, a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === b) return 0;
  const f = floatFormat(dtype);
  if (a > b) [a, b] = [b, a];
  if (a >= 0) return finiteOrInfSteps(f, a, b);
  if (b <= 0) return finiteOrInfSteps(f, -b, -a);
  return stepsFromZero(f, -a) + stepsFromZero(f, b);
}

function finiteOrInfSteps(f: FloatFormat, x: number, y: number): number {
  if (y === Infinity) return stepsFromZero(f, y) - stepsFromZero(f, x);
  return magnitudeSteps(f, x, y);
}

/**
 * Error of `actual` against an exact (float64) reference, in ULPs of the dtype at the reference:
 * |actual − ref| / ulpOf(dtype, ref). 0 when both are NaN or both are the same infinity;
 * Infinity when only one of them is NaN or infinite.
 */
export function ulpError(dtype: DType, actual: number, reference: number): number {
  const an = Number.isNaN(actual);
  const rn = Number.isNaN(reference);
  if (an || rn) return an && rn ? 0 : Infinity;
  if (actual === reference) return 0;
  if (!Number.isFinite(actual) || !Number.isFinite(reference)) return Infinity;
  return Math.abs(actual - reference) / ulpOf(dtype, reference);
}

/**
 * The next representable value above x (x representable). Past the largest finite value: +inf, or NaN for a
 * format without infinities (PyTorch's overflow value for float8_e4m3fn).
 */
export function nextUp(dtype: DType, x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  const f = floatFormat(dtype);
  if (x === -Infinity) return -f.maxFinite;
  if (x < 0) return -nextDownMagnitude(f, -x);
  const r = x + ulpOf(dtype, x);
  if (r > f.maxFinite) return f.hasInfinity ? Infinity : NaN;
  return r;
}

/** The next representable value below x (x representable); mirror of `nextUp`. */
export function nextDown(dtype: DType, x: number): number {
  const u = nextUp(dtype, -x);
  return Number.isNaN(u) ? u : -u;
}

function nextDownMagnitude(f: FloatFormat, a: number): number {
  // A power of two in a normal binade has the finer spacing of the binade below it beneath it.
  const b = binadeOf(f, a);
  if (b >= 2 && a === binadeStart(f, b)) return a - binadeSpacing(f, b - 1);
  return a - binadeSpacing(f, b);
}

/** The value `steps` representable steps away from x (negative steps go down). */
export function stepBy(dtype: DType, x: number, steps: number): number {
  let v = x;
  const n = Math.abs(steps);
  for (let i = 0; i < n; i++) v = steps > 0 ? nextUp(dtype, v) : nextDown(dtype, v);
  return v;
}
