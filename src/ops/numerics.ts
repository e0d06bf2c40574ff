import type { DType } from '../tensor/dtype.js';
import { castTo, dtypeInfo, floatFormat, roundToFloat } from '../tensor/dtype.js';

/**
 * γ(k, u) = k·u / (1 − k·u), Higham's bound factor for k roundings with unit roundoff u; +inf once k·u ≥ 1,
 * where the bound says nothing. The one definition the op error analyses and the judge share.
 */
export function gamma(k: number, u: number): number {
  const ku = k * u;
  return ku < 1 ? ku / (1 - ku) : Infinity;
}

/** Per-case failure probability the probabilistic bound allows a correct device (docs/numerics.md). */
export const FALSE_FAILURE_PROBABILITY = 1e-9;

/**
 * Higham & Mary's probabilistic γ̃_k(λ) = exp(λ√k·u + k·u²/(1 − u)) − 1 (SIAM J. Sci. Comput. 41(5), 2019): with
 * independent mean-zero rounding errors, a k-term sum or dot product errs by at most γ̃·Σ|terms| except with
 * probability 2k·exp(−λ²(1 − u)²/2) per element. λ is chosen so that over the output's `elements` that is at most
 * FALSE_FAILURE_PROBABILITY; never more than the worst-case γ(k, u).
 */
export function probabilisticGamma(k: number, u: number, elements: number): number {
  if (k <= 1) return gamma(k, u);
  const lambda = Math.sqrt(2 * Math.log((2 * k * Math.max(1, elements)) / FALSE_FAILURE_PROBABILITY)) / (1 - u);
  return Math.min(Math.expm1(lambda * Math.sqrt(k) * u + (k * u * u) / (1 - u)), gamma(k, u));
}

/** Smallest positive normal number of a floating dtype. */
export function minNormal(dtype: DType): number {
  return 2 ** floatFormat(dtype).minExponent;
}

/** A rounding function to `dtype` (identity for float64). */
export function rounder(dtype: DType): (x: number) => number {
  if (dtype === 'float64') return (x) => x;
  if (dtype === 'float32') return Math.fround;
  return (x) => roundToFloat(dtype, x);
}

const BITS: Partial<Record<DType, number>> = { int8: 8, int16: 16, int32: 32, int64: 64, uint8: 8 };

/**
 * The integer `x` stored in an integer dtype, wrapping modulo 2^bits as two's-complement C++ does
 * (PyTorch's integer kernels overflow silently). `x` may be a bigint for results beyond 2^53.
 */
export function wrapInt(dtype: DType, x: number | bigint): number {
  if (dtype === 'bool') return x !== 0 && x !== 0n ? 1 : 0;
  const bits = BITS[dtype];
  if (bits === undefined) throw new Error(`${dtype} is not an integer dtype`);
  if (typeof x === 'number') {
    if (Math.abs(x) <= Number.MAX_SAFE_INTEGER) return dtype === 'int64' ? x : castTo(dtype, x);
    x = BigInt(x);
  }
  const w = dtypeInfo(dtype).kind === 'uint' ? BigInt.asUintN(bits, x) : BigInt.asIntN(bits, x);
  return Number(w);
}

/** Exact integer a·b, a+b, a−b for integer-valued doubles, as a number when safe and a bigint otherwise. */
export function intOp(op: '+' | '-' | '*', a: number, b: number): number | bigint {
  const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
  if (Math.abs(r) <= Number.MAX_SAFE_INTEGER) return r;
  const A = BigInt(a);
  const B = BigInt(b);
  return op === '+' ? A + B : op === '-' ? A - B : A * B;
}

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's constant for doubles

/** Error-free transformation: a · b = p + e exactly (Dekker's TwoProduct; no FMA in JavaScript). */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  if (!Number.isFinite(p)) return [p, 0];
  // Veltkamp's split overflows for |a| or |b| near the top of the range: split a scaled copy instead
  // (scaling by a power of two is exact, and so is scaling the two parts back).
  if (Math.abs(a) > 2 ** 995 || Math.abs(b) > 2 ** 995) {
    const big = Math.abs(a) >= Math.abs(b);
    const [ps, es] = twoProduct(big ? a * 2 ** -600 : a, big ? b : b * 2 ** -600);
    return [ps * 2 ** 600, es * 2 ** 600];
  }
  return [p, productError(a, b, p)];
}

/** a·b − p exactly, for p = fl(a·b) finite and |a|, |b| ≤ 2^995 (Veltkamp's split; no tuple, for inner loops). */
function productError(a: number, b: number, p: number): number {
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return al * bl - (p - ah * bh - al * bh - ah * bl);
}

/**
 * An accurate float64 sum of float64 terms (compensated, Ogita–Rump–Oishi Sum2): as accurate as if computed
 * in twice the working precision, then rounded, so the oracle's own error is negligible even for float64 cases.
 * NaN and infinities propagate as IEEE addition would.
 */
/** |x| for a finite x, 0 for ±inf and NaN: the terms of `RefOutput.sumScale`. */
export function finiteMagnitude(x: number): number {
  return x - x === 0 ? Math.abs(x) : 0;
}

export class AccurateSum {
  private s = 0;
  private c = 0;
  /** finite terms moved out of s when it would overflow, scaled by 1/4 so they stay finite */
  private over = 0;
  private special = 0; // plain sum of non-finite terms, so inf − inf gives NaN
  private hasSpecial = false;
  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.special += x;
      this.hasSpecial = true;
      return;
    }
    // Knuth's TwoSum (a + x = s + e exactly), inline: this is the oracle's innermost loop
    const a = this.s;
    const s = a + x;
    if (!Number.isFinite(s)) {
      // the running sum left the float64 range, yet later terms may bring it back (max + max − max):
      // keep it scaled instead of calling it infinite
      this.over += a / 4 + x / 4;
      this.s = 0;
      return;
    }
    const bb = s - a;
    this.s = s;
    this.c += a - (s - bb) + (x - bb);
  }
  /** adds a·b without rounding the product first */
  addProduct(a: number, b: number): void {
    const p = a * b;
    if (!Number.isFinite(p) || Math.abs(a) > 2 ** 995 || Math.abs(b) > 2 ** 995) {
      const [q, e] = twoProduct(a, b);
      this.add(q);
      if (Number.isFinite(q)) this.c += e;
      return;
    }
    this.add(p);
    this.c += productError(a, b, p);
  }
  value(): number {
    // a true infinity decides the sum whatever the finite terms add up to
    if (this.hasSpecial) return this.special;
    if (this.over !== 0) return (this.over + (this.s + this.c) / 4) * 4;
    return this.s + this.c;
  }
}

// Bit access to a double: the grid exponent of a value is read from its significand's trailing zeros.
const F64 = new Float64Array(1);
const W32 = new Uint32Array(F64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;

/** The exponent g of the largest power of two 2^g that divides x (finite, nonzero): x = odd · 2^g. */
export function lowBitExponent(x: number): number {
  F64[0] = x;
  const lo = W32[LO] as number;
  const hi = W32[HI] as number;
  const biased = (hi >>> 20) & 0x7ff;
  // the significand as a 53-bit integer (the implicit bit of normal numbers at bit 52) times 2^e
  const e = biased === 0 ? -1074 : biased - 1075;
  if (lo !== 0) return e + 31 - Math.clz32(lo & -lo);
  const mhi = biased === 0 ? hi & 0xfffff : (hi & 0xfffff) | 0x100000;
  return e + 32 + 31 - Math.clz32(mhi & -mhi);
}

/** The coarsest grid 2^g that every finite nonzero value lies on (+Infinity when there is none: all zeros). */
export function gridExponent(values: ArrayLike<number>): number {
  let g = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v !== 0 && v - v === 0) {
      const e = lowBitExponent(v);
      if (e < g) g = e;
    }
  }
  return g;
}

/**
 * Whether a sum of terms that are all multiples of 2^g, with Σ|terms| = absSum, is exact in `dtype` in every order,
 * blocking and split: every partial sum is then a multiple of 2^g of magnitude below 2^(p + g), p the dtype's
 * precision, so it is representable (a precision witness: a narrower accumulator is off by whole grid steps).
 */
export function exactInAnyOrder(absSum: number, g: number, dtype: DType): boolean {
  if (g === Infinity) return absSum === 0;
  return absSum < 2 ** (floatFormat(dtype).mantissaBits + 1 + g);
}
