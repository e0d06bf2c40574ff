import type { DType } from '../tensor/dtype.js';
import { castTo, isFloating, LOW_PRECISION, ulpFunction, unitRoundoff } from '../tensor/dtype.js';
import { erfc } from './erf.js';
import { gamma } from './numerics.js';
import { isFloat8, notImplemented } from './math-common.js';
import { meta, scalarParam, strParam, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import type { OpCall, OpDef } from './types.js';
import type { UnaryKernel, UnaryRule } from './unary.js';
import { bindUnary, unaryOp } from './unary.js';
import { GELU_REGIMES } from './regimes.js';

export const relu = unaryOp({
  name: 'aten.relu.default',
  family: 'activation',
  dtype: (d) => {
    if (d === 'bool') throw new Error('Boolean inputs not supported for relu');
    return d;
  },
  // NaN stays NaN (PyTorch CPU propagates it); relu(−0.0) is −0.0 on CPU but +0.0 is as right, so zeros' sign is free
  f: (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : x === 0 ? x : 0),
  accuracy: () => ({ kind: 'exact', signedZero: false }),
});

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

/** x·Φ(x) = x/2 · erfc(−x/√2): the erfc form keeps relative accuracy in the left tail, where 1 + erf cancels. */
export function geluExact(x: number): number {
  // Far out, Φ(x) is 1 or 0 to float64 precision; this also keeps ±max finite (where erfc's e^(−x²) = 0
  // would meet an infinite continued fraction) out of 0·∞.
  if (x > 40) return x; // +inf included
  if (x === -Infinity) return NaN; // −∞ · 0, as PyTorch computes it
  if (x < -40) return -0;
  return 0.5 * x * erfc(-x * SQRT1_2);
}

/** The tanh approximation PyTorch defines: x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanh(x: number): number {
  const inner = SQRT_2_OVER_PI * (x + KAPPA * x * x * x);
  // 1 + tanh(t) = 2/(1 + e^(−2t)) avoids the cancellation for t ≪ 0
  const onePlusTanh = inner === Infinity ? 2 : inner === -Infinity ? 0 : 2 / (1 + Math.exp(-2 * inner));
  return 0.5 * x * onePlusTanh;
}

function approximateOf(call: OpCall): 'none' | 'tanh' {
  const a = strParam(call, -1, 'approximate', 'none');
  if (a !== 'none' && a !== 'tanh') throw new Error(`approximate argument must be either none or tanh, got '${a}'`);
  return a;
}

/**
 * PyTorch evaluates x·0.5·(1 + erf(x/√2)) (or the tanh form) in opmath. For x ≪ 0 the sum 1 + erf(…) cancels,
 * so the error is absolute, proportional to |x|·u, not relative: about 2u for erf, 2u for the rounded sum,
 * relative u per product. The bound 8·γ(1,u)·|x| covers those with room (see docs/numerics.md).
 */
function geluBound(x: number, r: number, dtype: DType): number {
  if (!Number.isFinite(x)) return 0;
  return 8 * gamma(1, unitRoundoff(opmathType(dtype))) * Math.abs(x) + ORACLE_ERF_ERROR * Math.abs(r);
}

/**
 * The oracle's own erf/erfc is accurate to about 30 float64 ULPs in the worst region (0.5 < |x| < 2.5;
 * measured against glibc's erfc: 27 ULPs worst over 2,000 points in [−6, 6]). The acceptance interval must
 * hold that uncertainty; it only matters for float64 outputs (it is 2^-47 relative, far below float32's ULP).
 */
const ORACLE_ERF_ERROR = 64 * 2 ** -53;

const GELU_RULE: UnaryRule = {
  dtype: (d) => {
    if (!isFloating(d)) throw new Error(`gelu is not implemented for ${d}`);
    return d;
  },
  accuracy: () => ({ kind: 'bound', ulps: 1 }),
};
const GELU_EXACT: UnaryKernel = { f: geluExact, bound: geluBound };
const GELU_TANH: UnaryKernel = { f: geluTanh, bound: geluBound };

// gelu(Tensor self, *, str approximate='none'): the mode only changes the function
export const gelu: OpDef = {
  name: 'aten.gelu.default',
  family: 'activation',
  bind: (call) => bindUnary(call, GELU_RULE, () => (approximateOf(call) === 'tanh' ? GELU_TANH : GELU_EXACT)),
  regimes: GELU_REGIMES,
};

/**
 * hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) = clamp(self, min_val, max_val) (Activation.cpp). NaN
 * propagates (clamp's kernels return NaN for NaN, as PyTorch tests); min_val > max_val gives max_val everywhere.
 * Integer inputs take the bounds truncated to integers (Scalar::toLong: −1.5 → −1), uint8 refuses negative bounds,
 * bool is refused. Exact; the sign of a zero is free (a clamp against a bound of 0 may return either zero).
 */
export const hardtanh: OpDef = {
  name: 'aten.hardtanh.default',
  family: 'activation',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    if (m.dtype === 'bool') throw new Error('Bool inputs not supported for hardtanh');
    if (isFloat8(m.dtype)) throw notImplemented('clamp_scalar_cpu', m.dtype);
    let lo = scalarParam(call, 1, 'min_val', { value: -1, kind: 'int' }).value;
    let hi = scalarParam(call, 2, 'max_val', { value: 1, kind: 'int' }).value;
    if (!isFloating(m.dtype)) {
      lo = Math.trunc(lo);
      hi = Math.trunc(hi);
      if (m.dtype === 'uint8' && (lo < 0 || hi < 0)) throw new Error('cannot do hardtanh on an unsigned type with negative limits');
    }
    return bindUnary(call, { dtype: (d) => d, accuracy: () => ({ kind: 'exact', signedZero: false }) }, () => ({
      // min(max(x, lo), hi), NaN-propagating; the value is converted to the dtype by the exact rule
      f: (x) => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, lo), hi)),
    }));
  },
};

/**
 * leaky_relu(Tensor self, Scalar negative_slope=0.01): x for x > 0, else x·slope, floating dtypes only. PyTorch's
 * CPU and CUDA kernels convert the slope to the compute dtype (float32 for float16/bfloat16) and round the product
 * once (to that compute dtype, then to the output dtype). The reference is that product; the bound admits a kernel
 * that multiplies by the slope as given (float64), and for float16/bfloat16 the double rounding through float32.
 */
export const leakyRelu: OpDef = {
  name: 'aten.leaky_relu.default',
  family: 'activation',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    if (!isFloating(m.dtype) || isFloat8(m.dtype)) throw notImplemented('leaky_relu_cpu', m.dtype);
    const slope = scalarParam(call, 1, 'negative_slope', { value: 0.01, kind: 'float' }).value;
    const compute = opmathType(m.dtype);
    const opSlope = castTo(compute, slope);
    const narrow = LOW_PRECISION.includes(m.dtype);
    const ulpCompute = ulpFunction(compute);
    return bindUnary(call, { dtype: (d) => d, accuracy: () => ({ kind: 'bound', ulps: 0.5 }) }, () => ({
      // NaN > 0 is false, so NaN·slope = NaN; −0 gives −0·slope
      f: (x) => (x > 0 ? x : x * opSlope),
      bound: (x, r) => {
        if (x > 0 || !Number.isFinite(r)) return 0;
        return Math.abs(x * (slope - opSlope)) + (narrow ? 0.5 * ulpCompute(r) : 0);
      },
    }));
  },
};

export const ACTIVATION_OPS: readonly OpDef[] = [relu, gelu, hardtanh, leakyRelu];
