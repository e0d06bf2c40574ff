import type { DType } from '../tensor/dtype.js';
import { castFunction, isFloating, LOW_PRECISION } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { minNormal, wrapInt } from './numerics.js';
import { input, meta, tensorParam } from './params.js';
import { floatResultOf } from './promotion.js';
import type { Accuracy, BoundOp, OpCall, OpDef, OpFamily } from './types.js';
import { EXP_OVERFLOW, EXP_UNDERFLOW, LOG_NEAR_ONE, POSITIVE_EXTREMES, SIGMOID_REGIMES, TANH_REGIMES, withRegimes } from './regimes.js';

/**
 * Allowed ULPs of the transcendental functions per dtype (see docs/numerics.md). float32/float64: PyTorch CPU
 * evaluates them with SLEEF's 1.0-ULP vector functions or libm, and rsqrt/sigmoid as compositions
 * (1/√x; 1/(1+e^−x)); the table leaves room for the composition and for the oracle's own ≤1-ULP libm.
 * float16/bfloat16: computed in float32 and rounded once, so 1 ULP of the narrow type covers it — except
 * rsqrt, which PyTorch 1.13 evaluates as 1/√x in the narrow type on non-contiguous inputs (two roundings,
 * 1.14 ULP seen on bfloat16): 2 ULPs.
 *
 * The unary math functions (src/ops/math.ts) take float32 from PyTorch's CUDA backend, whose libdevice functions are
 * the loosest PyTorch ships: the CUDA C++ Programming Guide's maximum-ULP tables count from the correctly rounded
 * result, so k ULPs there is k + ½ from the exact value here (PyTorch 1.13 CPU measured at most 0.9 for the
 * trigonometric functions, 1.0 for expm1/log1p, 1.4–2.0 for the hyperbolic ones, on 200,000 wide random inputs each).
 * float64 takes CUDA's double table + ½ plus the oracle's own error: JavaScript's fdlibm functions, measured against
 * mpmath at 120 bits on 20,000 inputs per range, err by at most 0.9 ULP, and by up to 1.1 (cosh, expm1), 1.4 (asinh),
 * 1.6 (atanh, log10), 1.7 (sinh) and 1.9 (acosh) ULPs where the table gives them 2; erf is the oracle's own,
 * correctly rounded but for ties (src/ops/erf.ts).
 */
export const TRANSCENDENTAL_ULPS: Record<string, { float64: number; float32: number; lowp: number }> = {
  exp: { float64: 3, float32: 2, lowp: 1 },
  log: { float64: 3, float32: 2, lowp: 1 },
  tanh: { float64: 3, float32: 2, lowp: 1 },
  rsqrt: { float64: 2, float32: 2, lowp: 2 },
  sigmoid: { float64: 4, float32: 4, lowp: 1 },
  sin: { float64: 3.5, float32: 2.5, lowp: 1 },
  cos: { float64: 3.5, float32: 2.5, lowp: 1 },
  tan: { float64: 3.5, float32: 4.5, lowp: 1 },
  asin: { float64: 3.5, float32: 2.5, lowp: 1 },
  acos: { float64: 3.5, float32: 2.5, lowp: 1 },
  atan: { float64: 3.5, float32: 2.5, lowp: 1 },
  sinh: { float64: 4.5, float32: 3.5, lowp: 1 },
  cosh: { float64: 3.5, float32: 2.5, lowp: 1 },
  asinh: { float64: 5.5, float32: 3.5, lowp: 1 },
  acosh: { float64: 5.5, float32: 4.5, lowp: 1 },
  atanh: { float64: 4.5, float32: 3.5, lowp: 1 },
  erf: { float64: 3.5, float32: 2.5, lowp: 1 },
  expm1: { float64: 3.5, float32: 1.5, lowp: 1 },
  log1p: { float64: 2.5, float32: 1.5, lowp: 1 },
  log2: { float64: 2.5, float32: 1.5, lowp: 1 },
  log10: { float64: 3.5, float32: 2.5, lowp: 1 },
};

export function transcendentalUlps(fn: string, dtype: DType): number {
  const row = TRANSCENDENTAL_ULPS[fn];
  if (!row) throw new Error(`no ULP table entry for ${fn}`);
  if (LOW_PRECISION.includes(dtype)) return row.lowp;
  return dtype === 'float64' ? row.float64 : row.float32;
}

/** The elementwise function of a unary op, on an input already converted to the result dtype. */
export interface UnaryKernel {
  f(x: number, dtype: DType): number;
  /** for the bound rule: absolute error allowed at input x and reference value r */
  bound?(x: number, r: number, dtype: DType): number;
}

/** The call-independent rules of a unary op. */
export interface UnaryRule {
  /** result dtype for an input dtype (throws where PyTorch has no kernel) */
  dtype(d: DType): DType;
  accuracy(dtype: DType): Accuracy;
}

/**
 * Binds `op(Tensor self)`. `kernel` is asked only after self's dtype is accepted, so an op whose function depends
 * on another argument (gelu's approximate) reports a bad input before a bad mode.
 */
export function bindUnary(call: OpCall, rule: UnaryRule, kernel: () => UnaryKernel): BoundOp {
  const self = tensorParam(call, 0, 'self');
  const m = meta(call, self);
  const dtype = rule.dtype(m.dtype);
  const shape = [...m.shape];
  const k = kernel();
  const accuracy = rule.accuracy(dtype);
  return {
    outputs: [{ dtype, shape, accuracy }],
    reference(inputs) {
      const t = input(inputs, self);
      const n = numel(shape);
      const values = new Float64Array(n);
      const bound = k.bound ? new Float64Array(n) : undefined;
      const cast = castFunction(dtype);
      for (let i = 0; i < n; i++) {
        // integer inputs of floating functions are converted to the result dtype first, as PyTorch does
        const x = cast(t.values[i] ?? NaN);
        const r = k.f(x, dtype);
        values[i] = r;
        if (bound && k.bound) bound[i] = k.bound(x, r, dtype);
      }
      return [bound ? { shape, values, bound } : { shape, values }];
    },
  };
}

interface UnarySpec extends UnaryRule, UnaryKernel {
  name: string;
  family: OpFamily;
}

export function unaryOp(s: UnarySpec): OpDef {
  return { name: s.name, family: s.family, bind: (call) => bindUnary(call, s, () => s) };
}

function noBool(op: string): (d: DType) => DType {
  return (d) => {
    if (d === 'bool') throw new Error(`${op} is not implemented for bool`);
    return d;
  };
}

const EXACT_COPY: Accuracy = { kind: 'exact', signedZero: true };

function intOr(f: (x: number) => number): (x: number, d: DType) => number {
  return (x, d) => (isFloating(d) ? f(x) : wrapInt(d, f(x)));
}

export const neg = unaryOp({
  name: 'aten.neg.default',
  family: 'unary',
  dtype: noBool('neg'),
  // integer negation wraps: neg(−128) is −128 in int8
  f: intOr((x) => -x),
  accuracy: () => EXACT_COPY,
});

export const abs = unaryOp({
  name: 'aten.abs.default',
  family: 'unary',
  dtype: noBool('abs'),
  // abs(−0.0) is +0.0; integer abs of the minimum wraps to itself
  f: intOr((x) => Math.abs(x)),
  accuracy: () => EXACT_COPY,
});

function transcendental(fn: keyof typeof TRANSCENDENTAL_ULPS, f: (x: number) => number, family: OpFamily = 'unary'): OpDef {
  return unaryOp({
    name: `aten.${fn}.default`,
    family,
    dtype: floatResultOf,
    f,
    accuracy: (d) => ({ kind: 'ulp', ulps: transcendentalUlps(fn, d) }),
  });
}

export const exp = withRegimes(transcendental('exp', Math.exp), EXP_OVERFLOW, EXP_UNDERFLOW);
export const log = withRegimes(transcendental('log', Math.log), LOG_NEAR_ONE, ...POSITIVE_EXTREMES);
export const tanh = withRegimes(transcendental('tanh', Math.tanh), ...TANH_REGIMES);
// 1/√x in float64 is within 1.5 ULP of float64; the table's 2 ULP covers that for float64 cases
export const rsqrt = withRegimes(transcendental('rsqrt', (x) => 1 / Math.sqrt(x)), ...POSITIVE_EXTREMES);

export const sqrt = withRegimes(
  unaryOp({
    name: 'aten.sqrt.default',
    family: 'unary',
    dtype: floatResultOf,
    // Math.sqrt is correctly rounded, and rounding again to float32 or narrower is innocuous (53 ≥ 2·24 + 2)
    f: Math.sqrt,
    accuracy: () => ({ kind: 'ulp', ulps: 0.5 }),
  }),
  ...POSITIVE_EXTREMES,
);

/** σ(x) = 1/(1 + e^−x); for x ≤ −30 evaluated as e^x/(1 + e^x) to keep full relative accuracy. */
function sigmoidRef(x: number): number {
  if (x < -30) {
    const e = Math.exp(x);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(-x));
}

export const sigmoid = withRegimes(
  unaryOp({
    name: 'aten.sigmoid.default',
    family: 'unary',
    dtype: floatResultOf,
    f: sigmoidRef,
    accuracy: (d) => ({ kind: 'bound', ulps: transcendentalUlps('sigmoid', d) }),
    // PyTorch computes 1/(1 + e^−x): once e^−x overflows (x < −88.7 in float32) the result is 0, not the subnormal
    // σ(x); so results below the smallest normal number may be flushed (measured: sigmoid(−100) = 0 in float32)
    bound: (_x, r, d) => (Math.abs(r) < minNormal(d) ? minNormal(d) : 0),
  }),
  ...SIGMOID_REGIMES,
);

export const UNARY_OPS: readonly OpDef[] = [neg, abs, exp, log, sqrt, rsqrt, tanh, sigmoid];
