import type { DType } from '../tensor/dtype.js';
import { castTo, floatFormat, isFloating, ulpFunction } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { isFloat8, notImplemented } from './math-common.js';
import { DECIMAL_TIES, ROUNDING_HALVES, ROUNDING_HUGE, ROUNDING_INTEGRAL_EDGE } from './math-regimes.js';
import { input, intParam, meta, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import { withRegimes } from './regimes.js';
import type { OpDef } from './types.js';
import { unaryOp } from './unary.js';

/*
 * ceil, floor, trunc, round: IEEE 754's roundToIntegral operations, exact in every format, with the sign of a zero
 * result kept (ceil(−0.5) = −0, round(−0.4) = −0), as C's ceil/floor/trunc/nearbyint and every PyTorch kernel give
 * it. round is half to even (PyTorch documents it: round(2.5) = 2). Integer inputs are returned unchanged (PyTorch
 * copies them, as the array API asks); bool has no kernel.
 */

/** round half to even, keeping the sign of zero; NaN and ±inf pass through. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const diff = x - f;
  const r = diff < 0.5 ? f : diff > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

function roundingOp(name: string, f: (x: number) => number): OpDef {
  return withRegimes(
    unaryOp({
      name: `aten.${name}.default`,
      family: 'unary',
      dtype: (d) => {
        if (d === 'bool' || isFloat8(d)) throw notImplemented(`${name}_vml_cpu`, d);
        return d;
      },
      f: (x, d) => (isFloating(d) ? f(x) : x),
      accuracy: () => ({ kind: 'exact', signedZero: true }),
    }),
    ROUNDING_HALVES,
    ROUNDING_INTEGRAL_EDGE,
    ROUNDING_HUGE,
  );
}

// ceil(Tensor self), floor(Tensor self), trunc(Tensor self), round(Tensor self)
export const ceil = roundingOp('ceil', Math.ceil);
export const floor = roundingOp('floor', Math.floor);
export const trunc = roundingOp('trunc', Math.trunc);
export const round = roundingOp('round', roundHalfEven);

/**
 * round.decimals(Tensor self, *, int decimals): PyTorch documents the algorithm ("similar to NumPy's around … fast
 * but inexact"): y = rint(x·10^d)/10^d for d > 0, rint(x/10^|d|)·10^|d| for d < 0, rint(x) for d = 0. The inner
 * product or quotient is rounded before rint, in the dtype on the CPU (1.13: bfloat16 arithmetic for bfloat16) and
 * in float32 on CUDA for float16/bfloat16; where that choice moves a value across a tie, the results differ. The
 * reference is the CPU's (inner rounded to the dtype) and the bound admits the float32 one; where one of them
 * overflows (float16 x·10^d beyond 65504, which the docs warn about) both inf and the finite answer pass.
 */
function roundDecimalsCandidates(x: number, d: DType, decimals: number): number[] {
  const formats: DType[] = [...new Set<DType>([d, opmathType(d)])];
  return formats.map((fmt) => {
    if (decimals === 0) return roundHalfEven(x);
    // PyTorch converts 10^|d| to the format it computes in (static_cast), exact there up to 10^3 at least
    const p = castTo(fmt, 10 ** Math.abs(decimals));
    const inner = castTo(fmt, decimals > 0 ? x * p : x / p);
    const n = roundHalfEven(inner);
    return decimals > 0 ? n / p : n * p;
  });
}

export const roundDecimals: OpDef = withRegimes(
  {
    name: 'aten.round.decimals',
    family: 'unary',
    bind(call) {
      const self = tensorParam(call, 0, 'self');
      const m = meta(call, self);
      // keyword-only in native_functions.yaml: round.decimals(Tensor self, *, int decimals)
      const decimals = intParam(call, -1, 'decimals');
      if (!isFloating(m.dtype) || isFloat8(m.dtype)) throw notImplemented('round_cpu', m.dtype);
      const dtype = m.dtype;
      const shape = [...m.shape];
      const maxFinite = floatFormat(dtype).maxFinite;
      const overflowAt = maxFinite + ulpFunction(dtype)(maxFinite);
      return {
        outputs: [{ dtype, shape, accuracy: { kind: 'bound', ulps: 0.5 } }],
        reference(inputs) {
          const t = input(inputs, self);
          const n = numel(shape);
          const values = new Float64Array(n);
          const bound = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            const x = t.values[i] ?? NaN;
            const [first, ...others] = roundDecimalsCandidates(x, dtype, decimals);
            let ref = first ?? NaN;
            let b = 0;
            for (const c of others) {
              const rc = castTo(dtype, c);
              const rr = castTo(dtype, ref);
              if (Number.isNaN(rc) || Number.isNaN(rr)) continue;
              if (Number.isFinite(rc) && Number.isFinite(rr)) b = Math.max(b, Math.abs(rc - rr));
              else if (Number.isFinite(rc) !== Number.isFinite(rr)) {
                // one formula overflows, the other does not: judge around the finite one, reaching the overflow
                const finite = Number.isFinite(rc) ? c : ref;
                ref = finite;
                b = Math.max(b, overflowAt - Math.abs(finite));
              }
            }
            values[i] = ref;
            bound[i] = b;
          }
          return [{ shape, values, bound }];
        },
      };
    },
  },
  DECIMAL_TIES,
);

export const MATH_ROUNDING_OPS: readonly OpDef[] = [ceil, floor, trunc, round, roundDecimals];
