import type { DType } from '../tensor/dtype.js';
import { isFloating, LOW_PRECISION, unitRoundoff } from '../tensor/dtype.js';
import type { RefTensor } from '../tensor/tensor.js';
import type { Arg } from './args.js';
import { scalarValue } from './args.js';
import { AccurateSum, FALSE_FAILURE_PROBABILITY, gamma, probabilisticGamma } from './numerics.js';
import { boolParam, input, intsParam, meta, param, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import { reducedShape, reductionDims, reductionGroups } from './reduce.js';
import { VAR_LARGE_MEAN, VAR_OFFSET_GRID } from './reduction-regimes.js';
import { NAN_INF } from './regimes.js';
import type { OpCall, OpDef, RefOutput } from './types.js';

/*
 * var: Σ(x − μ)² / max(0, N − correction), N the elements of a slice. PyTorch computes it with Welford's update
 * (CPU: in float64 for every floating dtype; CUDA: in float32 for float16, bfloat16 and float32), never with the
 * one-pass E[x²] − μ², whose error scales with mean(x²) rather than with the variance.
 *
 * The bound is layer norm's (docs/numerics.md, Layer norm) plus Welford's first-order term, with u the accumulation
 * dtype's unit roundoff and γ the worst-case γ(k, u), or Higham & Mary's probabilistic γ̃ when the slice is a random
 * draw (of any mean), d_i = x_i − μ:
 *   E_μ  = γ(N + 1)·max|x|                                  the mean, and every running mean Welford keeps
 *   E_M2 = N·(γ(2N + 4)·(σ² + E_μ²) + E_μ²)                 two-pass on x − μ̂ (σ² the biased variance): a mean off by
 *                                                           a constant e adds e² per element to the centred moment
 *        + 2·(E_μ + u·max|x|)·Σ|d_i|                        Welford: the running mean is off by a different e_k at each
 *          (random data: 2λ·(E_μ + u·max|x|)·√Σd_i²)         step, which enters M2 to first order as Σ 2·d_k·e_k (and the
 *                                                           mean update's own rounding, u·|m_k|, as Σ d_k·ρ_k); for data
 *                                                           drawn at random d_k is independent of e_(k−1), a martingale
 *                                                           (Azuma: λ as in γ̃). PyTorch 1.13's float64 Welford errs by
 *                                                           3500 float64 ULPs on a mean of 10⁴ over a spread of 1, which
 *                                                           the two-pass terms alone (7e-14) do not cover
 *   E    = E_M2 / D + u·var                                  the division by D = max(0, N − correction)
 * plus the final rounding to the output dtype (half an ULP; one for float16/bfloat16, rounded from float32 once more).
 * D = 0 divides by zero, as PyTorch does: +inf, or NaN where the centred moment is 0 (one element, correction 1);
 * the variance of nothing is NaN.
 */

/** What a var call reduces, and by how much it corrects the divisor. */
function bindVar(call: OpCall, self: number, dimsArg: number[] | null, correction: number, keepdim: boolean) {
  const m = meta(call, self);
  if (!isFloating(m.dtype)) throw new Error('std and var only support floating point and complex dtypes');
  // None and [] both mean every dim (make_dim_mask without allow_empty_dims)
  const dims = reductionDims(dimsArg, m.shape.length);
  const shape = reducedShape(m.shape, dims, keepdim);
  const dtype: DType = m.dtype;
  const ulps = LOW_PRECISION.includes(dtype) ? 1 : 0.5;
  const random = m.random === true;
  return {
    outputs: [{ dtype, shape, accuracy: { kind: 'bound' as const, ulps } }],
    reference(inputs: readonly RefTensor[]): RefOutput[] {
      const t = input(inputs, self);
      const groups = reductionGroups(t.shape, dims);
      const u = unitRoundoff(opmathType(dtype));
      const g = (k: number): number => (random ? probabilisticGamma(k, u, groups.length) : gamma(k, u));
      // λ of the probabilistic model for N terms over every output (numerics.ts), for Welford's martingale term
      const lambda = (k: number): number => Math.sqrt(2 * Math.log((2 * k * Math.max(1, groups.length)) / FALSE_FAILURE_PROBABILITY)) / (1 - u);
      const values = new Float64Array(groups.length);
      const bound = new Float64Array(groups.length);
      groups.forEach((grp, o) => {
        const n = grp.length;
        const s = new AccurateSum();
        let maxAbs = 0;
        for (const k of grp) {
          const v = t.values[k] ?? NaN;
          s.add(v);
          maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        const mu = s.value() / n;
        const m2 = new AccurateSum();
        // Σ|d| scales a bound only: a plain float64 sum is accurate enough
        let absDev = 0;
        for (const k of grp) {
          const d = (t.values[k] ?? NaN) - mu;
          m2.addProduct(d, d);
          absDev += Math.abs(d);
        }
        const divisor = Math.max(0, n - correction);
        const v = m2.value() / divisor;
        values[o] = n === 0 ? NaN : v;
        const sigma2 = m2.value() / n;
        const eMu = g(n + 1) * maxAbs;
        const eRunning = eMu + u * maxAbs;
        const welford = random ? 2 * lambda(n) * eRunning * Math.sqrt(m2.value()) : 2 * eRunning * absDev;
        const eM2 = n * (g(2 * n + 4) * (sigma2 + eMu * eMu) + eMu * eMu) + welford;
        const b = eM2 / divisor + u * Math.abs(v);
        bound[o] = Number.isFinite(b) ? b : 0;
      });
      return [{ shape, values, bound }];
    },
  };
}

/** `int? correction` (1.13) or `Scalar? correction` (2.x): None or absent means 1, Bessel's correction. */
function correctionOf(a: Arg | undefined): number {
  if (a === undefined || a.kind === 'none') return 1;
  if (a.kind !== 'int' && a.kind !== 'float') throw new Error(`argument 'correction' must be a number or None, got ${a.kind}`);
  return scalarValue(a);
}

// var.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> Tensor
// (PyTorch 1.13: `int? correction` and no defaults: dim and correction must be passed, if only as None)
export const varCorrection: OpDef = {
  name: 'aten.var.correction',
  family: 'reduction',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    return bindVar(call, self, intsParam(call, 1, 'dim'), correctionOf(param(call, -1, 'correction')), boolParam(call, -1, 'keepdim', false));
  },
  regimes: [VAR_LARGE_MEAN, VAR_OFFSET_GRID, NAN_INF],
};

// var.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor
export const varDim: OpDef = {
  name: 'aten.var.dim',
  family: 'reduction',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const unbiased = boolParam(call, 2, 'unbiased', true);
    return bindVar(call, self, intsParam(call, 1, 'dim'), unbiased ? 1 : 0, boolParam(call, 3, 'keepdim', false));
  },
  regimes: [VAR_LARGE_MEAN, VAR_OFFSET_GRID, NAN_INF],
};

export const VAR_OPS: readonly OpDef[] = [varCorrection, varDim];
