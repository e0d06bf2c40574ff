import type { DType } from '../tensor/dtype.js';
import { castTo, dtypeInfo, floatFormat, isFloating, ulpFunction } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { erf } from './erf.js';
import { isFloat8, notImplemented } from './math-common.js';
import { MATH_ROUNDING_OPS } from './math-rounding.js';
import {
  ACOSH_NEAR_ONE,
  ERF_TAILS,
  EXPM1_OVERFLOW,
  HUGE,
  HYPERBOLIC_OVERFLOW,
  LOG1P_NEAR_MINUS_ONE,
  NEAR_HALF_PI_ODD,
  NEAR_MINUS_ONE,
  NEAR_ONE,
  NEAR_PI_MULTIPLES,
  NEAR_POLES,
  RECIPROCAL_REGIMES,
  TINY,
  TRIG_LARGE,
} from './math-regimes.js';
import { wrapInt } from './numerics.js';
import { input, meta, tensorParam } from './params.js';
import { floatResultOf, opmathType } from './promotion.js';
import { LOG_NEAR_ONE, POSITIVE_EXTREMES, withRegimes } from './regimes.js';
import type { OpDef, Regime } from './types.js';
import { transcendentalUlps, unaryOp } from './unary.js';

/** The result dtype of a floating function: integers and bool compute in float32; float8 has no kernels. */
function floatingResult(kernel: string): (d: DType) => DType {
  return (d) => {
    if (isFloat8(d)) throw notImplemented(kernel, d);
    return floatResultOf(d);
  };
}

/** The value the format overflows to ±inf from (maxFinite + ulp(maxFinite)): an interval reaching it admits ±inf. */
function overflowThreshold(d: DType): number {
  const max = floatFormat(d).maxFinite;
  return max + ulpFunction(d)(max);
}

/**
 * A floating function of one tensor, judged within `transcendentalUlps(fn)` of the float64 value. `infAllowed(x, d)`
 * names inputs where PyTorch's own CPU kernel returns ±inf for a finite result (see sinh, cosh, log1p): there the
 * interval also reaches the overflow threshold, so ±inf passes (and so does any finite value between).
 */
function floatFunction(fn: string, kernel: string, f: (x: number) => number, regimes: Regime[], infAllowed?: (x: number, d: DType) => boolean): OpDef {
  const op = unaryOp({
    name: `aten.${fn}.default`,
    family: 'unary',
    dtype: floatingResult(kernel),
    f,
    accuracy: (d) => ({ kind: infAllowed ? 'bound' : 'ulp', ulps: transcendentalUlps(fn, d) }),
    ...(infAllowed
      ? {
          bound: (x: number, r: number, d: DType) => {
            if (!infAllowed(x, d) || !Number.isFinite(r) || !Number.isFinite(castTo(d, r))) return 0;
            return overflowThreshold(d) - Math.abs(r);
          },
        }
      : {}),
  });
  return withRegimes(op, ...regimes);
}

/**
 * e^|x| overflows the compute dtype (float32 for float32, float16 and bfloat16): PyTorch's CPU sinh/cosh (SLEEF's
 * sinhf/coshf, and its double versions) return ±inf from there, although the result is finite up to ln(2·largest)
 * (float32: inf from 88.7228 where cosh is finite to 89.4159; measured on PyTorch 1.13, vectorised path).
 */
const hyperbolicOverflow = (x: number, d: DType): boolean => Math.abs(x) > Math.log(floatFormat(opmathType(d)).maxFinite);

/** SLEEF's log1pf returns +inf for x > 1e38, its double log1p for x > 1e307 (PyTorch CPU's vectorised path). */
const log1pOverflow = (x: number, d: DType): boolean => x > (opmathType(d) === 'float64' ? 1e307 : 1e38);

// acos.default(Tensor self) and the other functions of one tensor below: integers and bool compute in float32
export const acos = floatFunction('acos', 'acos_vml_cpu', Math.acos, [NEAR_ONE, NEAR_MINUS_ONE]);
export const asin = floatFunction('asin', 'asin_vml_cpu', Math.asin, [NEAR_ONE, NEAR_MINUS_ONE, TINY]);
export const atan = floatFunction('atan', 'atan_vml_cpu', Math.atan, [HUGE, TINY]);
export const acosh = floatFunction('acosh', 'acosh_cpu', Math.acosh, [ACOSH_NEAR_ONE, HUGE]);
export const asinh = floatFunction('asinh', 'asinh_cpu', Math.asinh, [HUGE, TINY]);
export const atanh = floatFunction('atanh', 'atanh_cpu', Math.atanh, [NEAR_ONE, NEAR_MINUS_ONE, TINY]);
export const sin = floatFunction('sin', 'sin_vml_cpu', Math.sin, [TRIG_LARGE, NEAR_PI_MULTIPLES, TINY]);
export const cos = floatFunction('cos', 'cos_vml_cpu', Math.cos, [TRIG_LARGE, NEAR_HALF_PI_ODD]);
export const tan = floatFunction('tan', 'tan_vml_cpu', Math.tan, [TRIG_LARGE, NEAR_PI_MULTIPLES, NEAR_POLES, TINY]);
export const sinh = floatFunction('sinh', 'sinh_cpu', Math.sinh, [HYPERBOLIC_OVERFLOW, TINY], hyperbolicOverflow);
export const cosh = floatFunction('cosh', 'cosh_cpu', Math.cosh, [HYPERBOLIC_OVERFLOW], hyperbolicOverflow);
export const erfOp = floatFunction('erf', 'erf_vml_cpu', erf, [ERF_TAILS, TINY]);
export const expm1 = floatFunction('expm1', 'expm1_vml_cpu', Math.expm1, [EXPM1_OVERFLOW, TINY]);
export const log1p = floatFunction('log1p', 'log1p_vml_cpu', Math.log1p, [LOG1P_NEAR_MINUS_ONE, TINY, HUGE], log1pOverflow);
export const log2 = floatFunction('log2', 'log2_vml_cpu', Math.log2, [LOG_NEAR_ONE, ...POSITIVE_EXTREMES]);
export const log10 = floatFunction('log10', 'log10_vml_cpu', Math.log10, [LOG_NEAR_ONE, ...POSITIVE_EXTREMES]);

// reciprocal(Tensor self): 1/x is one IEEE division, correctly rounded in every float dtype (float16/bfloat16 divide
// in float32, and that double rounding is innocuous: 24 ≥ 2·11 + 2); 1/±0 is ±inf, 1/±inf is ±0
export const reciprocal = withRegimes(
  unaryOp({
    name: 'aten.reciprocal.default',
    family: 'unary',
    dtype: floatingResult('reciprocal_cpu'),
    f: (x) => 1 / x,
    accuracy: () => ({ kind: 'ulp', ulps: 0.5 }),
  }),
  ...RECIPROCAL_REGIMES,
);

// sign(Tensor self): same dtype (bool stays bool). PyTorch returns 0 for NaN (CPU, CUDA and inductor agree; issue
// pytorch#41245 proposes NaN, as NumPy does), so the suite keeps NaN out of sign's inputs and the oracle says 0.
// sign(−0) is +0 on PyTorch's kernels, (0 < x) − (x < 0); the sign of a zero result is not judged.
export const sign = unaryOp({
  name: 'aten.sign.default',
  family: 'unary',
  dtype: (d) => {
    if (isFloat8(d)) throw notImplemented('sign_cpu', d);
    return d;
  },
  f: (x, d) => (d === 'bool' ? x : x > 0 ? 1 : x < 0 ? -1 : 0),
  accuracy: () => ({ kind: 'exact', signedZero: false }),
});

/** A test of each element that returns bool, computed on the input's own values (no conversion). */
function predicate(name: string, test: (x: number) => boolean): OpDef {
  return {
    name,
    family: 'unary',
    bind(call) {
      const self = tensorParam(call, 0, 'self');
      const m = meta(call, self);
      if (isFloat8(m.dtype)) throw notImplemented(name.split('.')[1] ?? name, m.dtype);
      const shape = [...m.shape];
      return {
        outputs: [{ dtype: 'bool', shape, accuracy: { kind: 'exact' } }],
        reference(inputs) {
          const t = input(inputs, self);
          const values = new Float64Array(numel(shape));
          for (let i = 0; i < values.length; i++) values[i] = test(t.values[i] ?? NaN) ? 1 : 0;
          return [{ shape, values }];
        },
      };
    },
  };
}

// isinf(Tensor self), isnan(Tensor self): bool for every dtype (always false for integers and bool)
export const isinf = predicate('aten.isinf.default', (x) => x === Infinity || x === -Infinity);
export const isnan = predicate('aten.isnan.default', (x) => Number.isNaN(x));
// logical_not(Tensor self): bool; true exactly where x == 0 (−0 included; NaN is nonzero, so false)
export const logicalNot = predicate('aten.logical_not.default', (x) => x === 0);

// bitwise_not(Tensor self): integers and bool only. ~x = −x − 1 in two's complement (255 − x for uint8); bool: not
export const bitwiseNot = unaryOp({
  name: 'aten.bitwise_not.default',
  family: 'unary',
  dtype: (d) => {
    if (isFloating(d)) throw notImplemented('bitwise_not_cpu', d);
    return d;
  },
  f: (x, d) => (d === 'bool' ? (x === 0 ? 1 : 0) : dtypeInfo(d).kind === 'uint' ? wrapInt(d, 255 - x) : wrapInt(d, -x - 1)),
  accuracy: () => ({ kind: 'exact' }),
});

/** The op catalogue's unary math (trigonometric, hyperbolic, erf, expm1, log1p, log2, log10, reciprocal, rounding, sign, isinf/isnan, bitwise and logical not). */
export const MATH_OPS: readonly OpDef[] = [
  acos,
  acosh,
  asin,
  asinh,
  atan,
  atanh,
  cos,
  cosh,
  erfOp,
  expm1,
  log10,
  log1p,
  log2,
  reciprocal,
  sin,
  sinh,
  tan,
  ...MATH_ROUNDING_OPS,
  sign,
  isinf,
  isnan,
  bitwiseNot,
  logicalNot,
];
