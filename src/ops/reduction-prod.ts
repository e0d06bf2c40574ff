import type { DType } from '../tensor/dtype.js';
import { castFunction, floatFormat, isFloating, isIntegral, minSubnormal } from '../tensor/dtype.js';
import type { RefTensor } from '../tensor/tensor.js';
import { lowBitExponent, wrapInt } from './numerics.js';
import { boolParam, dtypeParam, input, intParam, meta, tensorParam, wrapDim } from './params.js';
import { reducedShape, reductionDims, reductionGroups } from './reduce.js';
import { INT_PROD_WRAP, PROD_NEAR_ONE, PROD_SPECIAL, PROD_WITNESS } from './reduction-regimes.js';
import type { Accuracy, OpCall, OpDef, RefOutput } from './types.js';

/*
 * prod: k factors, k − 1 multiplications, each rounding once in the accumulation dtype. PyTorch's CPU kernel multiplies
 * in the data's own dtype (`binary_kernel_reduce_vec` over scalar_t, float16 and bfloat16 included: every partial
 * product is rounded to the narrow type), CUDA in float32 for the narrow types: so the accumulation dtype PyTorch
 * guarantees is the output dtype itself, and the error of a product is relative: |p̂ − p| ≤ γ(k − 1, u)·|p| as long as
 * no partial product overflows or falls below the smallest normal number (gradual underflow loses relative accuracy).
 */

// ── an exact float64 product: a double-double significand and a separate binary exponent ─────────────────────────

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's constant

/** a·b = p + e exactly (Dekker), for |a|, |b| in [1/2, 1) where nothing overflows or underflows. */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return [p, al * bl - (p - ah * bh - al * bh - ah * bl)];
}

/** x = m·2^e with 1/2 ≤ |m| < 1 (x finite, nonzero), exactly. */
function frexp(x: number): [number, number] {
  let e = 0;
  let m = Math.abs(x);
  // bring subnormals and huge values near 1 by exact powers of two first
  while (m < 2 ** -500) {
    m *= 2 ** 500;
    e -= 500;
  }
  while (m >= 2 ** 500) {
    m *= 2 ** -500;
    e += 500;
  }
  const k = Math.floor(Math.log2(m)) + 1;
  m *= 2 ** -k;
  e += k;
  // log2 may be off by one near powers of two
  if (m >= 1) {
    m /= 2;
    e += 1;
  } else if (m < 0.5) {
    m *= 2;
    e -= 1;
  }
  return [x < 0 ? -m : m, e];
}

/** m·2^e as a double, overflowing to ±inf and underflowing to ±0 (through the subnormals) as IEEE does. */
function ldexp(m: number, e: number): number {
  let r = m;
  let k = e;
  while (k > 600) {
    r *= 2 ** 600;
    k -= 600;
    if (!Number.isFinite(r)) return r;
  }
  while (k < -600) {
    // stop one step above the subnormal range so that the final scaling rounds once
    if (Math.abs(r) * 2 ** -600 < 2 ** -1000) break;
    r *= 2 ** -600;
    k += 600;
  }
  return r * 2 ** k;
}

/** log2|x| for a finite nonzero double, exact enough to compare products against a dtype's range. */
function log2Abs(x: number): number {
  const [m, e] = frexp(x);
  return e + Math.log2(Math.abs(m));
}

/** What the oracle knows of one slice's product. */
interface Product {
  value: number;
  /** Σ|…| of the rule: |p|, or +inf where the order of the multiplications decides the class of the answer */
  scale: number;
  /** 1 where the product is exact in the accumulation dtype in every order (a precision witness) */
  exact: number;
}

/**
 * The exact product of float factors (already converted to the accumulation dtype `acc`), and how an implementation
 * that multiplies them in any order in `acc` may differ from it:
 * - a NaN, or an infinity and a zero together: NaN in every order;
 * - an infinity (no zero): ±inf; a zero (no infinity): ±0 — unless some order overflows to inf (beside a zero) or
 *   underflows to 0 (beside an infinity), which makes NaN possible: `orderFree` says whether that can happen;
 * - finite nonzero factors: the partial products of every order lie between the product of the factors below 1 in
 *   magnitude and the product of those above 1. When both lie within the normal range of `acc`, the relative bound
 *   holds; otherwise the order decides (an early overflow or underflow), and the scale is +inf: anything finite or
 *   infinite is accepted there. Suites keep their data away from that, and `orderFree` reports it.
 * - exact in every order: every partial product is ±(product of a subset of the odd parts)·2^e, exact when the
 *   product of all odd parts is below 2^p and the exponents stay in the normal range.
 */
export function exactProduct(factors: readonly number[], acc: DType): Product & { orderFree: boolean } {
  const f = floatFormat(acc);
  const maxLog = Math.log2(f.maxFinite);
  const minLog = f.minExponent;
  let nan = false;
  let zero = false;
  let inf = false;
  let negative = false;
  let hi = 1;
  let lo = 0;
  let e = 0;
  let logUp = 0;
  let logDown = 0;
  let odd = 1;
  for (const x of factors) {
    if (x !== x) {
      nan = true;
      continue;
    }
    if (x < 0 || Object.is(x, -0)) negative = !negative;
    if (x === 0) {
      zero = true;
      continue;
    }
    if (!Number.isFinite(x)) {
      inf = true;
      continue;
    }
    const [m, xe] = frexp(x);
    const [p, pe] = twoProduct(hi, Math.abs(m));
    const l = pe + lo * Math.abs(m);
    // renormalise the double-double into [1/2, 1)
    const s = p + l;
    lo = l - (s - p);
    hi = s;
    e += xe;
    if (hi < 0.5) {
      hi *= 2;
      lo *= 2;
      e -= 1;
    }
    const lg = log2Abs(x);
    if (lg > 0) logUp += lg;
    else logDown += lg;
    if (odd < 2 ** 60) odd *= Math.abs(x) / 2 ** lowBitExponent(x);
  }
  const sign = negative ? -1 : 1;
  if (nan || (zero && inf)) return { value: NaN, scale: 0, exact: 0, orderFree: true };
  // the partial products of any order stay within [2^logDown, 2^logUp] (up to the factors' own rounding, absorbed here)
  const overflows = logUp >= maxLog;
  const underflows = logDown < minLog;
  if (inf) return { value: sign * Infinity, scale: 0, exact: 0, orderFree: !(logDown < Math.log2(minSubnormal(acc)) - 1) };
  if (zero) return { value: sign * 0, scale: 0, exact: 0, orderFree: !overflows };
  const value = sign * ldexp(hi + lo, e);
  const logP = logUp + logDown;
  // a product that overflows anyway is ±inf in every order where nothing underflows first
  const decided = !underflows && (!overflows || logP >= maxLog + 1);
  if (!decided) return { value, scale: Infinity, exact: 0, orderFree: false };
  const exact = odd < 2 ** (f.mantissaBits + 1) && !overflows ? 1 : 0;
  return { value, scale: Math.abs(value), exact, orderFree: true };
}

/** The integer product, wrapped to the dtype as C++ integer multiplication wraps (exact beyond 2^53 with bigint). */
function intProduct(factors: readonly number[], dtype: DType): number {
  let p: number | bigint = 1;
  for (const x of factors) {
    if (typeof p === 'number') {
      const q: number = p * x;
      if (Math.abs(q) <= Number.MAX_SAFE_INTEGER) {
        p = q;
        continue;
      }
      p = BigInt(p);
    }
    // modulo 2^64 at every step keeps the bigint small; the final wrap to a narrower dtype is the same ring map
    p = BigInt.asIntN(64, p * BigInt(x));
  }
  return wrapInt(dtype, p);
}

/** prod over `dims` (all dims for prod.default) in `dtype`: the input is converted to it first, as PyTorch does. */
function bindProd(call: OpCall, self: number, m: OpCall['inputs'][number], dims: number[], shape: number[]) {
  // integer and bool products default to int64, like sums
  const dtype = dtypeParam(call, -1, 'dtype') ?? (isIntegral(m.dtype, true) ? 'int64' : m.dtype);
  const float = isFloating(dtype);
  const accuracy: Accuracy = float
    ? { kind: 'accumulation', accumDtype: dtype, ...(m.random === true ? { model: 'probabilistic' as const } : {}) }
    : { kind: 'exact' };
  return {
    outputs: [{ dtype, shape, accuracy }],
    reference(inputs: readonly RefTensor[]): RefOutput[] {
      const t = input(inputs, self);
      const groups = reductionGroups(t.shape, dims);
      const cast = castFunction(dtype);
      const values = new Float64Array(groups.length);
      if (!float) {
        groups.forEach((g, o) => (values[o] = intProduct(g.map((k) => cast(t.values[k] ?? 0)), dtype)));
        return [{ shape, values }];
      }
      const absSum = new Float64Array(groups.length);
      const exact = new Uint8Array(groups.length);
      let terms = 0;
      groups.forEach((g, o) => {
        const p = exactProduct(
          g.map((k) => cast(t.values[k] ?? NaN)),
          dtype,
        );
        values[o] = p.value;
        absSum[o] = p.scale;
        exact[o] = p.exact;
        terms = Math.max(terms, g.length - 1);
      });
      return [{ shape, values, absSum, terms, exact }];
    },
  };
}

// prod(Tensor self, *, ScalarType? dtype=None) -> Tensor
export const prodDefault: OpDef = {
  name: 'aten.prod.default',
  family: 'reduction',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    return bindProd(call, self, m, reductionDims(null, m.shape.length), []);
  },
  regimes: [PROD_WITNESS, PROD_SPECIAL, PROD_NEAR_ONE, INT_PROD_WRAP],
};

// prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor
export const prodDimInt: OpDef = {
  name: 'aten.prod.dim_int',
  family: 'reduction',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const dim = wrapDim(intParam(call, 1, 'dim'), m.shape.length);
    const dims = m.shape.length === 0 ? [] : [dim];
    return bindProd(call, self, m, dims, reducedShape(m.shape, dims, boolParam(call, 2, 'keepdim', false)));
  },
  regimes: [PROD_WITNESS, PROD_SPECIAL, PROD_NEAR_ONE, INT_PROD_WRAP],
};

export const PROD_OPS: readonly OpDef[] = [prodDefault, prodDimInt];
