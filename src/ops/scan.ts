import type { DType } from '../tensor/dtype.js';
import { castFunction, isFloating, isIntegral, LOW_PRECISION, unitRoundoff } from '../tensor/dtype.js';
import { numel, type RefTensor } from '../tensor/tensor.js';
import { AccurateSum, exactInAnyOrder, gamma, lowBitExponent, probabilisticGamma, wrapInt } from './numerics.js';
import { dtypeParam, input, intParam, meta, tensorParam, wrapDim } from './params.js';
import { opmathType } from './promotion.js';
import { reductionGroups } from './reduce.js';
import { INT_CUMSUM_LARGE } from './reduction-regimes.js';
import { NAN_INF, SUM_WITNESS } from './regimes.js';
import type { OpDef, RefOutput } from './types.js';

/*
 * cumsum: output j of a slice is the sum of its first j + 1 elements. Each prefix is an accumulation of its own length:
 * a sequential scan, a blocked one, or a parallel (tree) scan adds the same j + 1 terms through some tree of additions,
 * so |ŝ_j − s_j| ≤ γ(j + 1, u)·Σ_{i≤j}|x_i| (γ̃ for data drawn at random symmetrically around zero), u the accumulation
 * dtype's (float32 for float16/bfloat16: PyTorch's CPU scan accumulates in at::acc_type, float64 for float32 even, and
 * CUDA's in float32). A prefix whose terms lie on a grid 2^g with Σ|x| < 2^(p + g) is exact in every order (a precision
 * witness): only the final rounding is allowed there, so a float16 running sum of float32 data misses by whole steps.
 * Integer and bool cumsums run in int64 (or `dtype`), wrapping as C++ does.
 */

// cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor
export const cumsum: OpDef = {
  name: 'aten.cumsum.default',
  family: 'reduction',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const dim = wrapDim(intParam(call, 1, 'dim'), m.shape.length);
    // integer and bool inputs accumulate in int64 unless asked otherwise
    const dtype: DType = dtypeParam(call, -1, 'dtype') ?? (isIntegral(m.dtype, true) ? 'int64' : m.dtype);
    const float = isFloating(dtype);
    const shape = [...m.shape];
    const random = m.symmetric === true;
    return {
      outputs: [{ dtype, shape, accuracy: float ? { kind: 'bound', ulps: LOW_PRECISION.includes(dtype) ? 1 : 0.5 } : { kind: 'exact' } }],
      reference(inputs: readonly RefTensor[]): RefOutput[] {
        const t = input(inputs, self);
        const cast = castFunction(dtype);
        const values = new Float64Array(numel(shape));
        const groups = m.shape.length === 0 ? [[0]] : reductionGroups(t.shape, [dim]);
        if (!float) {
          for (const g of groups) {
            // exact in doubles while it can be; then bigint, modulo 2^64 (the wrap to a narrower dtype is the same ring map)
            let s = 0;
            let big: bigint | null = null;
            for (const k of g) {
              const v = cast(t.values[k] ?? 0);
              if (big === null && Math.abs(s + v) <= Number.MAX_SAFE_INTEGER) s += v;
              else big = BigInt.asIntN(64, (big ?? BigInt(s)) + BigInt(v));
              values[k] = wrapInt(dtype, big ?? s);
            }
          }
          return [{ shape, values }];
        }
        const acc = opmathType(dtype);
        const u = unitRoundoff(acc);
        const elements = values.length;
        const bound = new Float64Array(values.length);
        for (const g of groups) {
          // the finite terms' exact sum, and the special values apart: finite terms however large never cancel an
          // infinity (a finite running sum that overflows float64 stays finite in exact arithmetic)
          const s = new AccurateSum();
          let nan = false;
          let posInf = false;
          let negInf = false;
          // Σ|x| scales the bound only: a plain float64 sum is accurate enough (and exact on a witness grid)
          let a = 0;
          let grid = Infinity;
          let exact = true;
          g.forEach((k, j) => {
            const v = cast(t.values[k] ?? NaN);
            if (v !== v) nan = true;
            else if (v === Infinity) posInf = true;
            else if (v === -Infinity) negInf = true;
            else s.add(v);
            a += Math.abs(v);
            if (v !== 0 && v - v === 0) grid = Math.min(grid, lowBitExponent(v));
            // once a prefix is inexact in some order, every longer one is too (its grid is no coarser, its Σ|x| no smaller)
            exact = exact && exactInAnyOrder(a, grid, acc);
            values[k] = nan || (posInf && negInf) ? NaN : posInf ? Infinity : negInf ? -Infinity : s.value();
            // a prefix holding ±inf or NaN is judged by placement alone
            bound[k] = exact || !Number.isFinite(a) ? 0 : (random ? probabilisticGamma(j + 1, u, elements) : gamma(j + 1, u)) * a;
          });
        }
        return [{ shape, values, bound }];
      },
    };
  },
  regimes: [SUM_WITNESS, NAN_INF, INT_CUMSUM_LARGE],
};
