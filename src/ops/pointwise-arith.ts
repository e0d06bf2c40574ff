import type { DType } from '../tensor/dtype.js';
import { isFloating, LOW_PRECISION } from '../tensor/dtype.js';
import type { RoundingMode } from './binary.js';
import { addLike, divFloorFloating, intDiv, roundingMode } from './binary.js';
import type { Side } from './elementwise.js';
import { broadcastOf, commonDtype, scalarSide, tensorSide } from './elementwise.js';
import { wrapInt } from './numerics.js';
import type { ScalarArg } from './params.js';
import { scalarParam } from './params.js';
import { notImplemented, operandValues, rounders, scalarCandidates, scalarIn, scalarIsExact, spread } from './pointwise-common.js';
import { DEFAULT_FLOAT, floatResultOf } from './promotion.js';
import type { Accuracy, BoundOp, OpCall, OpDef, Regime } from './types.js';
import { isFloat, largest, smallestNormal, uniform, withRegimes } from './regimes.js';

const ONE: ScalarArg = { value: 1, kind: 'int' };

// sub.Scalar(Tensor self, Scalar other, Scalar alpha=1): self − alpha·other, as add.Scalar with the sign flipped
export const subScalar = addLike('aten.sub.Scalar', (call) => ({
  self: tensorSide(call, 0, 'self'),
  other: scalarSide(call, 1, 'other'),
  alpha: scalarParam(call, 2, 'alpha', ONE),
  sign: -1,
}));

/** True when x is ±2^k: a / x and a · (1/x) are then the same single rounding. */
function isPowerOfTwo(x: number): boolean {
  if (x === 0 || !Number.isFinite(x)) return false;
  const a = Math.abs(x);
  return 2 ** Math.round(Math.log2(a)) === a;
}

/**
 * div.Scalar and div.Scalar_mode: self / other with a Python scalar divisor. The scalar reaches kernels converted to
 * the result dtype (PyTorch 1.13 CPU), to its opmath type (2.x CPU for float16/bfloat16, CUDA), and CUDA divides by
 * multiplying with a rounded 1/other ("may lose one bit of precision", BinaryDivTrueKernel.cu); `bound` holds the
 * furthest of these from the 1.13 CPU result. An integer floor or trunc division by a zero scalar raises, as PyTorch
 * does.
 */
function bindDivScalar(call: OpCall, mode: RoundingMode): BoundOp {
  const self = tensorSide(call, 0, 'self');
  const other = scalarSide(call, 1, 'other');
  if (other.kind !== 'scalar') throw new Error('div.Scalar takes a scalar divisor');
  const common = commonDtype(call, [self, other]);
  if (mode !== 'true' && common === 'bool') throw notImplemented(`div_${mode}_cpu`, 'bool');
  // true division promotes integers to the default float dtype; the rounding modes keep integer dtypes
  const dtype = mode === 'true' && !isFloating(common) ? DEFAULT_FLOAT : common;
  const b = other.scalar.value;
  if (!isFloating(dtype) && scalarIn(dtype, b) === 0) throw new Error('ZeroDivisionError');
  const shape = broadcastOf(call, [self, other]);
  const single = mode === 'true' && scalarIsExact(dtype, b) && isPowerOfTwo(b);
  const accuracy: Accuracy = !isFloating(dtype) ? { kind: 'exact' } : single ? { kind: 'ulp', ulps: 0.5 } : { kind: 'bound', ulps: 0.5 };
  return {
    outputs: [{ dtype, shape, accuracy }],
    reference(inputs) {
      const [a = new Float64Array(0), bs = new Float64Array(0)] = operandValues(inputs, [self, other], dtype, shape);
      const n = a.length;
      const values = new Float64Array(n);
      if (!isFloating(dtype)) {
        for (let i = 0; i < n; i++) values[i] = wrapInt(dtype, intDiv(a[i] ?? 0, bs[i] ?? 1, mode === 'true' ? 'trunc' : mode));
        return [{ shape, values }];
      }
      const bound = new Float64Array(n);
      const { out, op } = rounders(dtype);
      const cands = scalarCandidates(dtype, b);
      for (let i = 0; i < n; i++) {
        const ai = a[i] ?? NaN;
        const bi = bs[i] ?? NaN;
        const alts: number[] = [];
        if (mode === 'true') {
          values[i] = ai / bi;
          for (const c of cands) alts.push(ai / c, op(ai / c), op(ai * op(1 / c)));
        } else if (mode === 'trunc') {
          values[i] = Math.trunc(ai / bi);
          for (const c of cands) alts.push(Math.trunc(op(ai / c)), Math.trunc(out(ai / c)), Math.trunc(op(ai * op(1 / c))));
        } else {
          values[i] = divFloorFloating(ai, bi);
          for (const c of cands) {
            const inv = op(1 / c);
            alts.push(divFloorFloating(ai, c, op), divFloorFloating(ai, c, out), divFloorFloating(ai, c, op, (x) => x * inv));
          }
        }
        if (!single) bound[i] = spread(values[i] ?? NaN, alts, dtype);
      }
      return [single ? { shape, values } : { shape, values, bound }];
    },
  };
}

// div.Scalar(Tensor self, Scalar other); div.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode)
export const divScalar: OpDef = { name: 'aten.div.Scalar', family: 'binary', bind: (call) => bindDivScalar(call, 'true') };
export const divScalarMode: OpDef = { name: 'aten.div.Scalar_mode', family: 'binary', bind: (call) => bindDivScalar(call, roundingMode(call)) };

/** C's fmod (JavaScript's % on doubles is exactly that): the sign of the dividend, exact in IEEE arithmetic. */
function fmodInt(a: number, b: number): number {
  return (a % b) + 0;
}

/**
 * Python's modulus as PyTorch computes it: mod = fmod(a, b), then mod + b where mod and b differ in sign (CPU and
 * CUDA since the fix of pytorch #37743; before it, a − b·floor(a/b) lost everything for large quotients). fmod is
 * exact and mod + b one rounding, so the result is correctly rounded. A zero result keeps the dividend's sign in
 * PyTorch (remainder(−4., 2.) = −0.) where Python gives +0: the sign of zero is not judged.
 */
export function pyRemainder(a: number, b: number): number {
  const mod = a % b;
  return mod !== 0 && b < 0 !== mod < 0 ? mod + b : mod;
}

interface ModuloSpec {
  name: string;
  kernel: string;
  /** the result on operands already in the result dtype (integers: exact, no wrap needed, |r| < |b|) */
  f(a: number, b: number): number;
  /** the rule of a floating result when every kernel sees the same operands */
  accuracy: Accuracy;
}

const FMOD: Omit<ModuloSpec, 'name'> = { kernel: 'fmod', f: (a, b) => a % b, accuracy: { kind: 'exact' } };
const REMAINDER: Omit<ModuloSpec, 'name'> = { kernel: 'remainder', f: pyRemainder, accuracy: { kind: 'ulp', ulps: 0.5 } };

/**
 * fmod and remainder, Tensor and Scalar overloads. Integers: C's % (fmod) or Python's (remainder), a zero divisor
 * raises on CPU (suites never generate one; a zero scalar is refused here as PyTorch refuses it). A scalar divisor the
 * dtype cannot hold reaches kernels converted to the dtype or to opmath: `bound` then covers both.
 */
function moduloOp(spec: ModuloSpec, parse: (call: OpCall) => [Side, Side]): OpDef {
  return {
    name: spec.name,
    family: 'binary',
    bind(call) {
      const [self, other] = parse(call);
      const dtype = commonDtype(call, [self, other]);
      if (dtype === 'bool') throw notImplemented(`${spec.kernel}_cpu`, dtype);
      const shape = broadcastOf(call, [self, other]);
      const scalar = other.kind === 'scalar' ? other.scalar.value : null;
      if (scalar !== null && !isFloating(dtype) && scalarIn(dtype, scalar) === 0) throw new Error('ZeroDivisionError');
      const single = scalar === null || scalarIsExact(dtype, scalar);
      const accuracy: Accuracy = !isFloating(dtype) ? { kind: 'exact' } : single ? spec.accuracy : { kind: 'bound', ulps: 0 };
      return {
        outputs: [{ dtype, shape, accuracy }],
        reference(inputs) {
          const [a = new Float64Array(0), b = new Float64Array(0)] = operandValues(inputs, [self, other], dtype, shape);
          const n = a.length;
          const values = new Float64Array(n);
          if (!isFloating(dtype)) {
            for (let i = 0; i < n; i++) {
              const bi = b[i] ?? 1;
              if (bi === 0) throw new Error('integer division by zero (PyTorch raises ZeroDivisionError on CPU; cases must not divide integers by zero)');
              values[i] = wrapInt(dtype, spec.kernel === 'fmod' ? fmodInt(a[i] ?? 0, bi) : pyRemainder(a[i] ?? 0, bi) + 0);
            }
            return [{ shape, values }];
          }
          for (let i = 0; i < n; i++) values[i] = spec.f(a[i] ?? NaN, b[i] ?? NaN);
          if (single || scalar === null) return [{ shape, values }];
          const bound = new Float64Array(n);
          const cands = scalarCandidates(dtype, scalar);
          for (let i = 0; i < n; i++) {
            bound[i] = spread(
              values[i] ?? NaN,
              cands.map((c) => spec.f(a[i] ?? NaN, c)),
              dtype,
            );
          }
          return [{ shape, values, bound }];
        },
      };
    },
  };
}

/*
 * Where fmod and remainder implementations differ: quotients far beyond 2^p (a − b·trunc(a/b) or a − b·floor(a/b)
 * computed in the dtype lose every digit there: pytorch #37743, #24861), quotients beyond the dtype's range (a kernel
 * that forms a/b first overflows), and dividends tiny against the divisor (remainder's mod + b rounds to b).
 */
export const MODULO_REGIMES: Regime[] = [
  {
    name: 'huge-quotient',
    why: 'dividends near the largest finite value over divisors of a few units: the quotient needs far more bits than the dtype has, so a − b·floor(a/b) in the dtype (PyTorch before 1.7, pytorch #37743) loses every digit',
    // divisors of magnitude ≥ 1.25 keep the quotient finite: overflowing quotients are the next regime
    recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(largest(d) / 4, largest(d)) : { kind: 'choice', values: [-3.75, -2.5, -1.25, 1.25, 2.5, 3.75] }),
  },
  {
    name: 'overflowing-quotient',
    why: 'ordinary dividends over tiny divisors: a/b overflows the dtype, so a kernel that forms the quotient first returns NaN or inf where fmod is exact',
    recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(1, 16) : uniform(smallestNormal(d), 64 * smallestNormal(d))),
  },
  {
    name: 'tiny-dividend',
    why: 'dividends near the smallest normal against divisors of a few units: fmod returns the dividend; remainder of a negative one rounds b + a to b',
    recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(-4 * smallestNormal(d), 4 * smallestNormal(d)) : { kind: 'choice', values: [-3, -1.5, 1.5, 3] }),
  },
];

// fmod.Tensor(Tensor self, Tensor other); fmod.Scalar(Tensor self, Scalar other)
export const fmodTensor = withRegimes(
  moduloOp({ ...FMOD, name: 'aten.fmod.Tensor' }, (call) => [tensorSide(call, 0, 'self'), tensorSide(call, 1, 'other')]),
  ...MODULO_REGIMES,
);
export const fmodScalar = moduloOp({ ...FMOD, name: 'aten.fmod.Scalar' }, (call) => [tensorSide(call, 0, 'self'), scalarSide(call, 1, 'other')]);
// remainder.Tensor(Tensor self, Tensor other); remainder.Scalar(Tensor self, Scalar other)
export const remainderTensor = withRegimes(
  moduloOp({ ...REMAINDER, name: 'aten.remainder.Tensor' }, (call) => [tensorSide(call, 0, 'self'), tensorSide(call, 1, 'other')]),
  ...MODULO_REGIMES,
);
export const remainderScalar = moduloOp({ ...REMAINDER, name: 'aten.remainder.Scalar' }, (call) => [tensorSide(call, 0, 'self'), scalarSide(call, 1, 'other')]);

/**
 * Allowed ULPs of atan2 and pow per dtype: PyTorch CPU uses SLEEF's 1.0-ULP vector functions (Sleef_atan2f8_u10,
 * Sleef_powf8_u10) and libm on its scalar path (measured on 1.13: atan2 1.26 ULP float32 on strided inputs, pow 0.56);
 * float64 leaves a ULP for the oracle's own libm (V8's fdlibm: ≤ 1 ULP); float16/bfloat16 compute in float32 and round
 * once.
 */
export const POINTWISE_ULPS = { atan2: { float64: 3, float32: 2, lowp: 1 }, pow: { float64: 3, float32: 2, lowp: 1 } } as const;

export function pointwiseUlps(fn: keyof typeof POINTWISE_ULPS, dtype: DType): number {
  const row = POINTWISE_ULPS[fn];
  if (LOW_PRECISION.includes(dtype)) return row.lowp;
  return dtype === 'float64' ? row.float64 : row.float32;
}

/** atan2 where implementations differ: signed zeros and infinities (C99 Annex F), and ratios beyond the range. */
export const ATAN2_REGIMES: Regime[] = [
  {
    name: 'signed-zeros',
    why: 'atan2(±0, −0) = ±π and atan2(±0, +0) = ±0, atan2(±1, ±0) = ±π/2: a kernel that divides first, or ignores the sign of a zero divisor, differs',
    recipe: (d) => (!isFloat(d) ? null : { kind: 'choice', values: [0, -0, 1, -1] }),
  },
  {
    name: 'infinities',
    why: 'atan2(±inf, ±inf) = ±π/4, ±3π/4, atan2(y, ±inf) = ±0 or ±π, NaN propagates: y/x there is NaN or loses the quadrant',
    recipe: (d) => (!isFloat(d) ? null : { kind: 'choice', values: ['inf', '-inf', 0, -0, 1.5, -1.5, 'nan'] }),
  },
  {
    name: 'huge-ratio',
    why: 'ordinary y over x near the smallest normal: y/x overflows, the result is within an ULP of ±π/2',
    recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(-4, 4) : uniform(-4 * smallestNormal(d), 4 * smallestNormal(d))),
  },
  {
    name: 'tiny-ratio',
    why: 'y near the smallest normal over ordinary x: the result is y/x, subnormal where x > 1 (flush-to-zero shows), or ±π for negative x',
    recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(-4 * smallestNormal(d), 4 * smallestNormal(d)) : uniform(-16, 16)),
  },
];

/**
 * atan2.default(Tensor self, Tensor other): the angle of (other, self), a floating op (integers and bool give
 * float32). Math.atan2 follows C99's special cases (signed zeros, infinities), as std::atan2 and SLEEF do.
 */
export const atan2 = withRegimes(
  {
    name: 'aten.atan2.default',
    family: 'binary',
    bind(call) {
      const self = tensorSide(call, 0, 'self');
      const other = tensorSide(call, 1, 'other');
      const dtype = floatResultOf(commonDtype(call, [self, other]));
      const shape = broadcastOf(call, [self, other]);
      return {
        outputs: [{ dtype, shape, accuracy: { kind: 'ulp', ulps: pointwiseUlps('atan2', dtype) } }],
        reference(inputs) {
          const [y = new Float64Array(0), x = new Float64Array(0)] = operandValues(inputs, [self, other], dtype, shape);
          return [{ shape, values: y.map((v, i) => Math.atan2(v, x[i] ?? NaN)) }];
        },
      };
    },
  },
  ...ATAN2_REGIMES,
);

export const ARITH_OPS: readonly OpDef[] = [subScalar, divScalar, divScalarMode, fmodScalar, fmodTensor, remainderScalar, remainderTensor, atan2];
