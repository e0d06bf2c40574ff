import type { DType } from '../tensor/dtype.js';
import { dtypeInfo, isFloating, isIntegral, minSubnormal } from '../tensor/dtype.js';
import type { Side } from './elementwise.js';
import { broadcastOf, commonDtype, tensorSide } from './elementwise.js';
import { wrapInt } from './numerics.js';
import { scalarParam } from './params.js';
import { pointwiseUlps } from './pointwise-arith.js';
import { notImplemented, operandValues, rounders, scalarCandidates, spread } from './pointwise-common.js';
import type { Accuracy, OpCall, OpDef, Regime } from './types.js';
import { isFloat, largest, smallestNormal, uniform, withRegimes } from './regimes.js';

/**
 * C99 pow (std::pow, and SLEEF's pow, which PyTorch CPU calls): Math.pow agrees except that C gives 1 for pow(1, y)
 * with any y (NaN too) and for pow(−1, ±inf), where JavaScript gives NaN. pow(x, ±0) = 1 for every x, NaN too.
 */
export function cpow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/**
 * at::native::powi: integer power by repeated squaring in the dtype, wrapping as C++ integer products do (so the
 * result is a^b modulo 2^bits, whatever the order). A negative exponent gives 1 for a = 1, ±1 for a = −1 and 0
 * otherwise: PyTorch's kernel does so for tensor exponents (suites never generate them; pow.Tensor_Scalar refuses a
 * negative integer scalar).
 */
export function powInt(a: number, b: number, dtype: DType): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (Math.abs(b) % 2 === 1 ? -1 : 1) : 0;
  let result = 1n;
  let base = BigInt(a);
  let e = BigInt(b);
  while (e > 0n) {
    if (e & 1n) result = BigInt.asIntN(64, result * base);
    base = BigInt.asIntN(64, base * base);
    e >>= 1n;
  }
  return wrapInt(dtype, result);
}

/**
 * The formulas PyTorch's pow.Tensor_Scalar kernels use for special exponents instead of pow (CPU PowKernel.cpp,
 * CUDA PowKernel.cu): x·x, x·x·x, 1/(x·x), √x, 1/√x, 1/x, each operation rounded by `fl` (the dtype's own arithmetic,
 * or opmath's). Null for other exponents.
 */
function specialPow(x: number, e: number, fl: (v: number) => number): number | null {
  switch (e) {
    case 2:
      return fl(x * x);
    case 3:
      return fl(fl(x * x) * x);
    case -2:
      return fl(1 / fl(x * x));
    case 0.5:
      return fl(Math.sqrt(x));
    case -0.5:
      return fl(1 / fl(Math.sqrt(x)));
    case -1:
      return fl(1 / x);
    default:
      return null;
  }
}

/**
 * The reference of pow(x, e) with a scalar exponent: C's pow, except e = ±0.5, which every PyTorch floating kernel
 * but CPU float16 dispatches to √x and 1/√x (sqrt(−inf) is NaN where pow(−inf, 0.5) is +inf, 1/√−0 is −inf where
 * pow(−0, −0.5) is +inf). Suites give ±0.5 no negative zeros or infinities, where the two differ.
 */
function scalarExponentPow(x: number, e: number): number {
  if (e === 0.5) return Math.sqrt(x);
  if (e === -0.5) return 1 / Math.sqrt(x);
  return cpow(x, e);
}

function powAccuracy(dtype: DType): Accuracy {
  return isFloating(dtype) ? { kind: 'bound', ulps: pointwiseUlps('pow', dtype) } : { kind: 'exact' };
}

type PowForm = 'tensor-tensor' | 'tensor-scalar' | 'scalar-tensor';

/**
 * pow's three overloads. Result dtype: torch.result_type of base and exponent (a Python scalar counts by its kind only:
 * an int tensor to a float power is float32, a float16 tensor to an int power float16). Integers: exact powi with
 * wrapping. Floats: `bound`, B the furthest of the evaluation orders PyTorch kernels use for a scalar operand (the
 * scalar in the dtype, in opmath or as a double; x·x, x·x·x, 1/(x·x), √x, 1/√x, 1/x for those exponents, in the dtype's
 * arithmetic or in opmath), plus the ULPs of a 1-ULP pow.
 */
function powOp(name: string, form: PowForm, parse: (call: OpCall) => [Side, Side]): OpDef {
  return {
    name,
    family: 'binary',
    bind(call) {
      const [base, exponent] = parse(call);
      const dtype = commonDtype(call, [base, exponent]);
      if (dtype === 'bool') throw notImplemented('pow', dtype);
      if (form === 'tensor-scalar' && base.kind === 'tensor' && exponent.kind === 'scalar') {
        // pow's meta function (Pow.cpp), before promotion: an integral or bool base and a negative integral exponent
        const baseDtype = operandDtype(call, base);
        if (isIntegral(baseDtype, true) && exponent.scalar.kind !== 'float' && exponent.scalar.value < 0) {
          throw new Error('Integers to negative integer powers are not allowed.');
        }
      }
      const shape = broadcastOf(call, [base, exponent]);
      return {
        outputs: [{ dtype, shape, accuracy: powAccuracy(dtype) }],
        reference(inputs) {
          const [x = new Float64Array(0), y = new Float64Array(0)] = operandValues(inputs, [base, exponent], dtype, shape);
          const n = x.length;
          const values = new Float64Array(n);
          if (!isFloating(dtype)) {
            for (let i = 0; i < n; i++) values[i] = powInt(x[i] ?? 0, y[i] ?? 0, dtype);
            return [{ shape, values }];
          }
          const bound = new Float64Array(n);
          const { out, op } = rounders(dtype);
          const expCands = exponent.kind === 'scalar' ? scalarCandidates(dtype, exponent.scalar.value) : null;
          const baseCands = base.kind === 'scalar' ? scalarCandidates(dtype, base.scalar.value) : null;
          for (let i = 0; i < n; i++) {
            const xi = x[i] ?? NaN;
            const yi = y[i] ?? NaN;
            if (expCands) {
              const r = scalarExponentPow(xi, yi);
              values[i] = r;
              const alts: number[] = [];
              for (const e of expCands) {
                alts.push(scalarExponentPow(xi, e));
                for (const fl of [out, op]) {
                  const s = specialPow(xi, e, fl);
                  if (s !== null) alts.push(s);
                }
              }
              bound[i] = spread(r, alts, dtype);
            } else if (baseCands) {
              // pow(1, y) is filled with 1 before any kernel runs; C's pow agrees
              const r = cpow(xi, yi);
              values[i] = r;
              bound[i] = spread(r, baseCands.map((b) => cpow(b, yi)), dtype);
            } else {
              values[i] = cpow(xi, yi);
            }
          }
          return [{ shape, values, bound }];
        },
      };
    },
  };
}

function operandDtype(call: OpCall, s: Side): DType {
  if (s.kind !== 'tensor') throw new Error('not a tensor operand');
  const m = call.inputs[s.index];
  if (!m) throw new Error(`the case has no input ${s.index}`);
  return m.dtype;
}

/** log2 of the largest finite value: 2^x overflows above it (float32 128, float16 16, bfloat16 128). */
const log2Max = (d: DType): number => Math.log2(largest(d));

/*
 * Where pow implementations differ: results near overflow and underflow (a pow built from exp2(y·log2 x) in the dtype
 * loses accuracy there, and a flushing one zeroes subnormal results), negative bases (integer exponents keep the sign
 * of odd powers; other exponents give NaN), the special pairs of C99's Annex F (0^0 = 1, 1^inf = 1, 1^NaN = 1,
 * (−1)^±inf = 1, 0^negative = inf), and integer powers that wrap.
 */
const POW_OVERFLOW: Regime = {
  name: 'overflow-edge',
  why: 'bases in [2, 4) to powers around log2(largest finite): about half the results overflow, the rest are the largest finite values',
  recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(2, 4) : uniform(log2Max(d) / 2.2, log2Max(d) * 1.1)),
};
const POW_UNDERFLOW: Regime = {
  name: 'underflow-edge',
  why: 'bases in [1/4, 1/2) to powers that land results around the smallest normal: subnormal results, and underflow to zero',
  recipe: (d, i) =>
    !isFloat(d) ? null : i === 0 ? uniform(0.25, 0.5) : uniform(-Math.log2(smallestNormal(d)) / 2 - 1, -Math.log2(minSubnormal(d)) + 2),
};
const POW_NEGATIVE_BASE: Regime = {
  name: 'negative-base',
  why: 'negative bases: integer exponents give signed results (odd powers keep the sign), fractional ones NaN; a kernel computing exp(y·log|x|) without the parity rule differs',
  recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(-4, -0.25) : { kind: 'choice', values: [-3, -2, -1, 1, 2, 3, 4, 5, 0.5, 2.5] }),
};
const POW_SPECIAL_PAIRS: Regime = {
  name: 'zero-one-inf',
  why: "C99's special cases: 0^0 = 1, 1^inf = 1, 1^NaN = 1, (−1)^±inf = 1, NaN^0 = 1, 0^negative = inf (−inf for −0 and odd powers), inf^negative = 0",
  recipe: (d, i) =>
    !isFloat(d)
      ? null
      : { kind: 'choice', values: i === 0 ? [0, -0, 1, -1, 'inf', '-inf', 'nan', 0.5, 2, -2] : [0, -0, 1, -1, 2, 3, -2, -3, 0.5, 'inf', '-inf', 'nan'] },
};
const POW_INT_WRAP: Regime = {
  name: 'wrap',
  why: 'integer powers beyond the dtype wrap modulo 2^bits (powi multiplies in the dtype); a kernel that computes in float64 and converts differs',
  // int64 powers that wrap exceed 2^53 and cannot be compared exactly through float64: int64 stays out of this regime
  recipe: (d, i) => {
    const kind = dtypeInfo(d).kind;
    if ((kind !== 'int' && kind !== 'uint') || d === 'int64') return null;
    return i === 0 ? { kind: 'int', low: kind === 'uint' ? 0 : -20, high: 20 } : { kind: 'int', low: 0, high: 15 };
  },
};

/** Regimes of pow with a scalar exponent: the squares that x·x, x·x·x and 1/(x·x) form overflow or turn subnormal. */
const POW_SQUARE_REGIMES: Regime[] = [
  {
    name: 'square-overflow',
    why: 'x near √(largest finite): x·x overflows, so 1/(x·x) is 0 where x^−2 is subnormal (PyTorch computes pow(x, −2) that way)',
    recipe: (d) => (!isFloat(d) ? null : uniform(Math.sqrt(largest(d)) / 2, 2 * Math.sqrt(largest(d)))),
  },
  {
    name: 'square-underflow',
    why: 'x near √(smallest normal): x·x is subnormal, so x^2 and x^3 underflow and 1/(x·x) loses precision or overflows',
    recipe: (d) => (!isFloat(d) ? null : uniform(Math.sqrt(smallestNormal(d)) / 4, 4 * Math.sqrt(smallestNormal(d)))),
  },
];

/** Regimes of pow with a scalar base (suites use base 2): exponents whose results overflow or underflow. */
const POW_EXPONENT_REGIMES: Regime[] = [
  {
    name: 'overflow-edge',
    why: 'with base 2, exponents around log2(largest finite): the result overflows exactly where 2^y passes it',
    recipe: (d) => (!isFloat(d) ? null : uniform(log2Max(d) - 2, log2Max(d) + 2)),
  },
  {
    name: 'underflow-edge',
    why: 'with base 2, exponents around log2(smallest normal): subnormal results, then zero',
    recipe: (d) => (!isFloat(d) ? null : uniform(Math.log2(minSubnormal(d)) - 2, Math.log2(smallestNormal(d)) + 2)),
  },
];

// pow.Tensor_Tensor(Tensor self, Tensor exponent)
export const powTensorTensor = withRegimes(
  powOp('aten.pow.Tensor_Tensor', 'tensor-tensor', (call) => [tensorSide(call, 0, 'self'), tensorSide(call, 1, 'exponent')]),
  POW_OVERFLOW,
  POW_UNDERFLOW,
  POW_NEGATIVE_BASE,
  POW_SPECIAL_PAIRS,
  POW_INT_WRAP,
);
// pow.Tensor_Scalar(Tensor self, Scalar exponent)
export const powTensorScalar = withRegimes(
  powOp('aten.pow.Tensor_Scalar', 'tensor-scalar', (call) => [tensorSide(call, 0, 'self'), { kind: 'scalar', scalar: scalarParam(call, 1, 'exponent') }]),
  ...POW_SQUARE_REGIMES,
);
// pow.Scalar(Scalar self, Tensor exponent)
export const powScalar = withRegimes(
  powOp('aten.pow.Scalar', 'scalar-tensor', (call) => [{ kind: 'scalar', scalar: scalarParam(call, 0, 'self') }, tensorSide(call, 1, 'exponent')]),
  ...POW_EXPONENT_REGIMES,
);

export const POW_OPS: readonly OpDef[] = [powTensorTensor, powTensorScalar, powScalar];
