import type { DType } from '../tensor/dtype.js';
import { isFloating, LOW_PRECISION, unitRoundoff } from '../tensor/dtype.js';
import { isFloat8, notImplemented } from './math-common.js';
import { LOGITS_LARGE_OFFSET } from './math-regimes.js';
import { AccurateSum, gamma, minNormal } from './numerics.js';
import { boolParam, input, intParam, meta, tensorParam, wrapDim } from './params.js';
import { opmathType } from './promotion.js';
import { reductionGroups } from './reduce.js';
import type { OpDef, RefOutput } from './types.js';
import { SOFTMAX_REGIMES } from './regimes.js';

/** ULPs of float exp that the softmax bound assumes (PyTorch's vectorised exp: ≤ 1 ULP for SLEEF, ≤ 2 for exp_u20). */
export const SOFTMAX_EXP_ULPS = 2;

/**
 * y_i = e^(x_i − m) / Σ_j e^(x_j − m), m the slice maximum. A slice with a NaN or +inf, or of all −inf,
 * is all NaN (that is what the formula gives, and what PyTorch returns).
 *
 * Bound, relative to y_i, in the accumulation dtype (u = its unit roundoff, E = exp's ULPs ≤ 2u·E relative):
 *   x_i − m rounded:            |d_i|·u           (e^d's relative error equals d's absolute error)
 *   e^(d_i):                    2E·u
 *   the sum S of k terms:       (k − 1)·u + 2E·u + u·Σ e^(d_j)|d_j| / S ≤ ((k − 1)(1 + 1/e) + 2E)·u
 *   the division (or reciprocal and product): 2u
 * so |ŷ_i − y_i| ≤ γ(|d_i| + 4E + 1.4k + 2, u)·y_i, plus the smallest normal number for terms that underflow,
 * plus the output rounding (the rule's ulps).
 */
/** The largest value of a slice, and whether it holds a NaN (which makes the whole slice NaN). */
function sliceMax(xs: Float64Array, g: readonly number[]): { m: number; nan: boolean } {
  let m = -Infinity;
  let nan = false;
  for (const i of g) {
    const x = xs[i] ?? NaN;
    if (Number.isNaN(x)) nan = true;
    else if (x > m) m = x;
  }
  return { m, nan };
}

function softmaxReference(xs: Float64Array, shape: number[], dim: number, acc: DType): RefOutput {
  const values = new Float64Array(xs.length);
  const bound = new Float64Array(xs.length);
  const u = unitRoundoff(acc);
  const groups = shape.length === 0 ? [[0]] : reductionGroups(shape, [dim]);
  for (const g of groups) {
    const k = g.length;
    const { m, nan } = sliceMax(xs, g);
    const s = new AccurateSum();
    const e = g.map((i) => {
      const v = nan ? NaN : Math.exp((xs[i] ?? NaN) - m);
      s.add(v);
      return v;
    });
    const sum = s.value();
    g.forEach((i, j) => {
      const y = (e[j] ?? NaN) / sum;
      values[i] = y;
      const d = Math.abs((xs[i] ?? NaN) - m);
      const n = d + 4 * SOFTMAX_EXP_ULPS + 1.4 * k + 2;
      // An element far below the row's max (−inf included) has y = 0 exactly; γ would be meaningless there.
      if (!Number.isFinite(y)) bound[i] = 0;
      else if (!Number.isFinite(d) || n * u >= 1) bound[i] = minNormal(acc);
      else bound[i] = gamma(n, u) * y + minNormal(acc);
    });
  }
  return { shape, values, bound };
}

// _softmax(Tensor self, int dim, bool half_to_float)
export const softmax: OpDef = {
  name: 'aten._softmax.default',
  family: 'softmax',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    if (!isFloating(m.dtype)) throw new Error(`softmax is not implemented for ${m.dtype}`);
    const dim = wrapDim(intParam(call, 1, 'dim'), m.shape.length);
    const halfToFloat = boolParam(call, 2, 'half_to_float', false);
    if (halfToFloat && m.dtype !== 'float16') throw new Error('softmax: conversion from the input dtype to float32 is supported for float16 only');
    const dtype: DType = halfToFloat ? 'float32' : m.dtype;
    const shape = [...m.shape];
    return {
      outputs: [{ dtype, shape, accuracy: { kind: 'bound', ulps: LOW_PRECISION.includes(dtype) ? 1 : 0.5 } }],
      reference: (inputs) => [softmaxReference(input(inputs, self).values, shape, dim, opmathType(dtype))],
    };
  },
  regimes: SOFTMAX_REGIMES,
};

/** ULPs of float log the log-softmax bound assumes (PyTorch's vectorised log: ≤ 1 ULP for SLEEF; CUDA's logf: 1 + ½). */
export const LOG_SOFTMAX_LOG_ULPS = 2;

/**
 * y_i = (x_i − m) − log Σ_j e^(x_j − m), m the slice maximum; the same NaN rules as softmax. PyTorch's CPU and CUDA
 * kernels keep exactly this order: (x − m) − L, never x − (m + L), which would lose all of L against a large m
 * (pytorch#11752). The error is absolute, in the accumulation dtype (u its unit roundoff, E = exp's ULPs, G = log's):
 *   x_i − m rounded:                          u·|d_i|, d_i = x_i − m
 *   L = log S: S's relative error θ ≤ γ(1.4k + 2E, u) (softmax's sum analysis) is an absolute error of log S,
 *              and log's own 2G·u·|L|
 *   the final subtraction:                     u·|y_i|
 * so |ŷ_i − y_i| ≤ γ(1.4k + 2E + 2, u) + γ(1, u)·(|d_i| + |y_i|) + γ(2G, u)·|L|, plus the output rounding (the rule's
 * ulps) and the smallest normal number for terms of the sum that underflow.
 */
function logSoftmaxReference(xs: Float64Array, shape: number[], dim: number, acc: DType): RefOutput {
  const values = new Float64Array(xs.length);
  const bound = new Float64Array(xs.length);
  const u = unitRoundoff(acc);
  const groups = shape.length === 0 ? [[0]] : reductionGroups(shape, [dim]);
  for (const g of groups) {
    const k = g.length;
    const { m, nan } = sliceMax(xs, g);
    const s = new AccurateSum();
    for (const i of g) s.add(nan ? NaN : Math.exp((xs[i] ?? NaN) - m));
    const L = Math.log(s.value());
    const sumError = gamma(1.4 * k + 2 * SOFTMAX_EXP_ULPS + 2, u) + minNormal(acc);
    // in float64 the oracle's own d − L rounds as often as the device's: twice the per-element terms
    const own = acc === 'float64' ? 2 : 1;
    for (const i of g) {
      const d = (xs[i] ?? NaN) - m;
      const y = d - L;
      values[i] = y;
      bound[i] = Number.isFinite(y) ? sumError + gamma(own, u) * (Math.abs(d) + Math.abs(y)) + gamma(2 * LOG_SOFTMAX_LOG_ULPS + own, u) * Math.abs(L) : 0;
    }
  }
  return { shape, values, bound };
}

// _log_softmax(Tensor self, int dim, bool half_to_float)
export const logSoftmax: OpDef = {
  name: 'aten._log_softmax.default',
  family: 'softmax',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    if (!isFloating(m.dtype) || isFloat8(m.dtype)) throw notImplemented('log_softmax_lastdim_kernel_impl', m.dtype);
    const dim = wrapDim(intParam(call, 1, 'dim'), m.shape.length);
    const halfToFloat = boolParam(call, 2, 'half_to_float', false);
    if (halfToFloat && m.dtype !== 'float16') throw new Error('log_softmax: conversion from the input dtype to float32 is supported for float16 only');
    const dtype: DType = halfToFloat ? 'float32' : m.dtype;
    const shape = [...m.shape];
    return {
      outputs: [{ dtype, shape, accuracy: { kind: 'bound', ulps: LOW_PRECISION.includes(dtype) ? 1 : 0.5 } }],
      reference: (inputs) => [logSoftmaxReference(input(inputs, self).values, shape, dim, opmathType(dtype))],
    };
  },
  regimes: [...SOFTMAX_REGIMES, LOGITS_LARGE_OFFSET],
};

export const SOFTMAX_OPS: readonly OpDef[] = [softmax, logSoftmax];
