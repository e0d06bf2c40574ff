import { dtypeInfo, floatFormat, minSubnormal, type DType } from '../tensor/dtype.js';
import type { Recipe } from '../tensor/spec.js';
import type { OpDef, Regime } from './types.js';

/*
 * Input regimes: the regions of an op's domain where implementations differ (overflow and underflow thresholds,
 * tails and saturation, cancellation, large magnitudes, a large mean over the spread, NaN and ±inf inside
 * reductions and products, precision witnesses). Each op lists its regimes; suites sweep them with
 * `CaseGroup.regimes()`. Thresholds come from the dtype's format, so every floating dtype gets its own edges.
 */

export const isFloat = (d: DType): boolean => dtypeInfo(d).kind === 'float';
export const largest = (d: DType): number => floatFormat(d).maxFinite;
export const smallestNormal = (d: DType): number => 2 ** floatFormat(d).minExponent;

/** ln of the largest finite value: e^x overflows above it (float32 88.72, float16 11.09, bfloat16 88.72). */
export function expOverflowAt(d: DType): number {
  return Math.log(largest(d));
}

/** A regime that gives every input the same recipe, floating dtypes only. */
export function everyInput(name: string, why: string, recipe: (d: DType) => Recipe): Regime {
  return { name, why, recipe: (d) => (isFloat(d) ? recipe(d) : null) };
}

/** A regime for one input; the other inputs stay N(0, 1) (weights and biases of a normalisation, say). */
export function firstInput(name: string, why: string, recipe: (d: DType) => Recipe | null): Regime {
  return { name, why, recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? recipe(d) : { kind: 'normal', mean: 0, std: 1 }) };
}

export const uniform = (low: number, high: number): Recipe => ({ kind: 'uniform', low, high });

/** NaN and ±inf sprinkled sparsely into ordinary values: inside a reduction or product they must propagate. */
export const NAN_INF: Regime = everyInput('nan-inf', 'NaN and ±inf inside the data must reach exactly the outputs they touch (a kernel that skips NaN, or treats it as zero, differs)', () => ({
  kind: 'sprinkle',
  mean: 0,
  std: 1,
  values: ['nan', 'inf', '-inf'],
  fraction: 1 / 64,
}));

/**
 * Values on a grid 2^e whose sums stay exact in the accumulation dtype in every order, yet need more bits than a
 * narrower accumulator keeps once partial sums grow: float32 data on 2^-8 (a float16-precision running sum loses
 * it above 8), float64 data on 2^-40 (a float32 accumulator loses it), float16/bfloat16 data on 2^-4.
 */
export function witnessGrid(d: DType): Recipe {
  if (d === 'float64') return { kind: 'grid', low: -(2 ** 20), high: 2 ** 20, exponent: -40 };
  if (d === 'float32') return { kind: 'grid', low: -256, high: 256, exponent: -8 };
  return { kind: 'grid', low: -64, high: 64, exponent: -4 };
}

export const SUM_WITNESS: Regime = everyInput('witness', 'a precision witness: exact in float32 (float64 for float64) in every order; a narrower running sum misses by whole grid steps', witnessGrid);

/**
 * Matrix-product witnesses, for an op whose right-hand matrix is input `right`. float32: A = ±(1 + f·2^-12), the bit beyond TF32's 10 explicit mantissa bits, and B in
 * {−1, 0, 0, +1}, so Σ|a·b| stays below 2^12 for K ≤ 4096 and every order of float32 accumulation is exact, while TF32
 * operands (or a float16/bfloat16 accumulator) lose 2^-12 per term. float64: the same with 2^-30 (beyond float32).
 * float16/bfloat16: both operands on 2^-3 with |x| ≤ 2, products on 2^-6, exact in float32, not in a narrow accumulator.
 */
export function matmulWitness(right: number): Regime {
  return {
    name: 'witness',
    why: 'a precision witness: exact in the accumulation dtype in every order and blocking; TF32 operands or a narrower accumulator miss by thousands of ULPs',
    recipe(d, i) {
      if (!isFloat(d)) return null;
      const beyond = d === 'float32' ? 2 ** -12 : d === 'float64' ? 2 ** -30 : null;
      if (beyond === null) return { kind: 'grid', low: -16, high: 16, exponent: -3 };
      // the right-hand matrix holds the signs and zeros; the other inputs (addmm's self too) the extra bit
      return i === right ? { kind: 'choice', values: [-1, 0, 0, 1] } : { kind: 'choice', values: [1, 1 + beyond, -1, -(1 + beyond)] };
    },
  };
}

/** e^x near its overflow threshold: half the inputs overflow to inf, half give the largest finite results. */
export const EXP_OVERFLOW: Regime = everyInput('overflow-edge', 'e^x around ln(largest finite): an early overflow (or a late one) shows only here', (d) =>
  uniform(expOverflowAt(d) - 1, expOverflowAt(d) + 1),
);

/** e^x where the result is subnormal or underflows to zero. */
export const EXP_UNDERFLOW: Regime = everyInput('underflow-edge', 'e^x with subnormal results and underflow to zero: flushing or an early zero shows only here', (d) =>
  uniform(Math.log(minSubnormal(d)) - 1, Math.log(smallestNormal(d)) + 1),
);

/** Positive inputs near the ends of the range: results of √, 1/√ and log there are extreme or subnormal-adjacent. */
export const POSITIVE_EXTREMES: Regime[] = [
  everyInput('tiny', 'the smallest normal inputs (reciprocal square roots near overflow, logarithms near their minimum)', (d) => uniform(smallestNormal(d), 1024 * smallestNormal(d))),
  everyInput('huge', 'inputs near the largest finite value', (d) => uniform(largest(d) / 1024, largest(d))),
];

/** log near 1, where the result is near zero and only relative accuracy tells a careful log from log2(x)·ln 2. */
export const LOG_NEAR_ONE: Regime = everyInput('near-one', 'log(x) for x near 1: the result cancels toward zero, so relative accuracy needs care', () => uniform(1 - 2 ** -6, 1 + 2 ** -6));

/** tanh and sigmoid tails and the region near zero. */
export const TANH_REGIMES: Regime[] = [
  everyInput('tails', 'tanh saturates to ±1 (float32 from 8.66): approximations saturate or switch formula early', () => uniform(-12, 12)),
  everyInput('tiny', 'tanh(x) ≈ x near zero: approximate instructions lose relative accuracy there', () => uniform(-(2 ** -10), 2 ** -10)),
];
export const SIGMOID_REGIMES: Regime[] = [
  everyInput('tails', 'sigmoid saturates to 1 (float32 from 16.64) and decays like e^x on the left', () => uniform(-40, 40)),
  everyInput('far-left', 'e^−x overflows (float32 below −88.7): the result is e^x, tiny or subnormal, or a flushed zero', (d) => uniform(-expOverflowAt(d) - 20, -expOverflowAt(d) + 5)),
];

/** gelu's left tail, where x·Φ(x) cancels, and large magnitudes. */
export const GELU_REGIMES: Regime[] = [
  everyInput('left-tail', 'x·(1 + erf(x/√2))/2 cancels for x ≪ 0: the result is tiny and its error absolute', () => uniform(-10, -2)),
  everyInput('wide', 'large magnitudes: gelu(x) → x on the right and → −0 on the left', (d) => uniform(-Math.min(1000, largest(d) / 4), Math.min(1000, largest(d) / 4))),
];

/** Sums that overflow: both operands in the top half of the range. */
export const ADD_OVERFLOW: Regime = everyInput('overflow-edge', 'sums near the largest finite value overflow to inf exactly where the exact sum rounds past it', (d) => uniform(largest(d) / 2, largest(d)));

/**
 * Differences of nearly equal values: both operands within a few ULPs of 1, so x − y is exact (Sterbenz), tiny, and
 * ±0 where they are equal (whose sign PyTorch fixes: +0 for x − x).
 */
export const SUB_CANCELLATION: Regime = everyInput('cancellation', 'x − y for x ≈ y: the exact difference is tiny or zero; a fused or reassociated kernel that loses it differs', (d) => {
  const ulp1 = 2 ** -floatFormat(d).mantissaBits;
  return { kind: 'choice', values: [1, 1 + ulp1, 1 + 2 * ulp1, 1 - ulp1 / 2, 1 - ulp1] };
});

/** Products near overflow and near the subnormal range. */
export const MUL_REGIMES: Regime[] = [
  everyInput('overflow-edge', 'products around the largest finite value', (d) => uniform(Math.sqrt(largest(d)) / 2, 2 * Math.sqrt(largest(d)))),
  everyInput('underflow-edge', 'products in the subnormal range: flush-to-zero shows only here', (d) => uniform(Math.sqrt(smallestNormal(d)) / 4, 4 * Math.sqrt(smallestNormal(d)))),
];

/** Quotients that overflow (ordinary by tiny) or underflow (tiny by ordinary). */
export const DIV_REGIMES: Regime[] = [
  { name: 'huge-quotient', why: 'an ordinary value over a tiny one overflows to inf where the exact quotient rounds past the largest finite', recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(1, 4) : uniform(smallestNormal(d), 4 * smallestNormal(d))) },
  { name: 'tiny-quotient', why: 'a tiny value over an ordinary one gives subnormal quotients: flush-to-zero shows only here', recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(smallestNormal(d), 4 * smallestNormal(d)) : uniform(2, 16)) },
];

/** Softmax logits that overflow e^x unless the row maximum is subtracted; constant rows; masked rows. */
export const SOFTMAX_REGIMES: Regime[] = [
  everyInput('large-logits', 'finite logits far beyond e^x\'s overflow threshold: only a softmax that subtracts the row maximum stays finite', (d) => uniform(-Math.min(1e4, largest(d) / 4), Math.min(1e4, largest(d) / 4))),
  everyInput('constant', 'equal logits: every output is exactly 1/n, a witness for the precision of the row sum on long rows', () => ({ kind: 'choice', values: [1.5] })),
  everyInput('masked', 'half the logits −inf, as attention masks make them: the masked outputs are exactly 0', () => ({ kind: 'sprinkle', mean: 0, std: 2, values: ['-inf'], fraction: 0.5 })),
  everyInput('mostly-masked', 'seven logits in eight −inf: on short rows many rows are entirely masked, and PyTorch returns NaN for them (a kernel that returns 1/n there differs)', () => ({
    kind: 'sprinkle',
    mean: 0,
    std: 2,
    values: ['-inf'],
    fraction: 7 / 8,
  })),
];

/** Normalisation rows whose mean dwarfs their spread; constant rows; NaN inside a row. */
export const NORM_REGIMES: Regime[] = [
  firstInput('large-mean', 'a mean far above the spread (float32: 10^4 over 1): one-pass E[x²] − μ² cancels to nothing, Welford and two-pass do not', (d) =>
    d === 'float32' || d === 'float64' ? { kind: 'normal', mean: 1e4, std: 1 } : { kind: 'normal', mean: 200, std: 4 },
  ),
  firstInput('constant', 'rows of one value: the variance is exactly 0 and the output is the bias', () => ({ kind: 'choice', values: [3] })),
  firstInput('nan', 'a NaN inside a row makes that row\'s outputs and statistics NaN', () => ({ kind: 'sprinkle', mean: 0, std: 1, values: ['nan'], fraction: 1 / 256 })),
];

/** A sparse NaN alone (no infinity beside it to hide a skipped NaN): a max like fmaxf, or a nansum, differs. */
export const NAN_SPARSE: Regime = everyInput('nan', 'a single NaN in a slice must make its maximum, its argmax and its sum NaN (a kernel that skips NaN, like fmaxf or nansum, differs)', () => ({
  kind: 'sprinkle',
  mean: 0,
  std: 1,
  values: ['nan'],
  fraction: 1 / 64,
}));

/** Integer sums whose total overflows 32 bits: PyTorch accumulates integer sums in int64. */
export const INT_SUM_LARGE: Regime = {
  name: 'large',
  why: 'integer values near the top of int32: their sum overflows 32 bits, so an int32 accumulator wraps where PyTorch (int64) does not',
  recipe: (d) => (d === 'int32' ? { kind: 'int', low: 2 ** 30, high: 2 ** 31 - 1 } : d === 'int64' ? { kind: 'int', low: 2 ** 40, high: 2 ** 41 } : null),
};

/** The op with the regimes it states. */
export function withRegimes(op: OpDef, ...regimes: Regime[]): OpDef {
  return { ...op, regimes };
}
