import { type DType, type FloatFormat, castTo, dtypeInfo, floatFormat, ulpOf } from '../tensor/dtype.js';

/**
 * ULP arithmetic on a float dtype's representable set, derived from its format parameters (no codec needed).
 *
 * The non-negative values of a binary float format split into binades that each hold 2^mantissaBits
 * evenly spaced values: binade 0 is [0, 2^minExponent) (zero and the subnormals, spacing minSubnormal),
 * binade b ≥ 1 is [2^(minExponent+b-1), 2^(minExponent+b)). A value's ordinal is its (binade, step) index;
 * negative values mirror the positive ones and both zeros share ordinal 0. Infinity occupies the slot one
 * step past the largest finite value (for float8_e4m3fn, which has no infinity, that slot is its overflow NaN).
 */

// Bit access to a double's exponent field: exact and much cheaper than Math.log2 in hot loops.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

// 2^k for every k a double can hold, so spacings come from a table lookup.
const POW2_MIN = -1074;
const POW2 = new Float64Array(1024 - POW2_MIN);
for (let k = POW2_MIN; k < 1024; k++) POW2[k - POW2_MIN] = 2 ** k;

function pow2(k: number): number {
  return POW2[k - POW2_MIN] ?? 2 ** k;
}

/** floor(log2(a)) for a normal positive double (a ≥ 2^-1022). */
function normalExponent(a: number): number {
  F64[0] = a;
  return (((U32[HI] ?? 0) >>> 20) & 0x7ff) - 1023;
}

/**
 * A specialised `ulpOf(dtype, ·)`: same results (spacing of the binade holding |x|, subnormal spacing
 * below the smallest normal, last finite spacing above the largest finite), without per-call lookups.
 */
export function ulpFunction(dtype: DType): (x: number) => number {
  const f = floatFormat(dtype);
  const minNormal = 2 ** f.minExponent;
  const sub = 2 ** (f.minExponent - f.mantissaBits);
  const maxFinite = f.maxFinite;
  const m = f.mantissaBits;
  return (x: number): number => {
    let a = x < 0 ? -x : x;
    if (a > maxFinite) a = maxFinite;
    if (!(a >= minNormal)) return sub; // also NaN, like ulpOf
    return pow2(normalExponent(a) - m);
  };
}

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

/**
 * A specialised `castTo(dtype, ·)` for hot loops, with identical results: round to nearest even with
 * PyTorch's overflow (±inf, NaN for float8_e4m3fn) for floats; in-range integers pass through and
 * everything else defers to `castTo` (truncation, wrapping, bool).
 */
export function castFunction(dtype: DType): (x: number) => number {
  const info = dtypeInfo(dtype);
  if (dtype === 'float64') return (x) => x;
  if (dtype === 'float32') return Math.fround;
  if (info.kind !== 'float') {
    const lo = info.min ?? 0;
    const hi = info.max ?? 0;
    const isBool = info.kind === 'bool';
    // `+ 0` turns -0 into 0: integers have no negative zero
    return (x) => (!isBool && Number.isInteger(x) && x >= lo && x <= hi ? x + 0 : castTo(dtype, x));
  }
  const f = floatFormat(dtype);
  const ulp = ulpFunction(dtype);
  const maxFinite = f.maxFinite;
  const overflow = f.hasInfinity ? Infinity : NaN;
  return (x) => {
    if (x !== x || x === 0) return x;
    const a = x < 0 ? -x : x;
    if (a === Infinity) return f.hasInfinity ? x : NaN;
    const q = ulp(a);
    // Division by a power of two is exact, so the tie test below sees the true remainder.
    const scaled = a / q;
    let n = Math.floor(scaled);
    const rest = scaled - n;
    if (rest > 0.5 || (rest === 0.5 && n % 2 === 1)) n += 1;
    const r = n * q;
    if (r > maxFinite) return x < 0 ? (f.hasInfinity ? -overflow : overflow) : overflow;
    return x < 0 ? -r : r;
  };
}
