import { dtypeInfo, minSubnormal, type DType } from '../tensor/dtype.js';
import type { Recipe } from '../tensor/spec.js';
import { everyInput, isFloat } from './regimes.js';
import type { Regime } from './types.js';

/*
 * Input regimes of the reductions, scans and sorts beyond those in regimes.ts: where implementations of any, prod,
 * var, cumsum, sort and topk differ. Recipes never list −0 (a recipe travels as JSON, which has no −0): signed zeros
 * come from normal draws far below the smallest subnormal, which round to a zero of their sign.
 */

/** Normal draws that round to ±0 in the dtype (mostly; a few land on the smallest subnormals). */
function signedZeroStd(d: DType): number {
  // float64 cannot draw below its own smallest subnormal: there a third of the draws round to ±0 and the rest to ±2^-1074…
  return d === 'float64' ? minSubnormal(d) : minSubnormal(d) / 4;
}

/** The most negative value of an integer dtype that a recipe can hold, with its low byte zero (uint8: 128). */
function lowByteZero(d: DType): number {
  switch (d) {
    case 'int8':
      return -128;
    case 'uint8':
      return 128;
    case 'int16':
      return -32768;
    case 'int32':
      return -(2 ** 31);
    default:
      return -(2 ** 52);
  }
}

/**
 * Mostly zeros, so that some slices hold no nonzero element at all: any(·) is decided by a single NaN, a single
 * subnormal or the sign of a zero. A kernel that tests x > 0 || x < 0 misses NaN; one that reads the bits misses −0 (it
 * is zero); one that flushes subnormals, or reads an integer through its low byte, answers False where PyTorch says True.
 */
export const ANY_SPARSE: Regime = {
  name: 'sparse',
  why: 'zeros with a rare NaN, subnormal, or large integer whose low byte is zero: any() of a slice is decided by one element, and −0 counts as zero',
  recipe(d): Recipe {
    const info = dtypeInfo(d);
    if (info.kind === 'bool') return { kind: 'bool', p: 1 / 16 };
    if (info.kind === 'float') return { kind: 'sprinkle', mean: 0, std: signedZeroStd(d), values: ['nan', 1], fraction: 1 / 64 };
    return { kind: 'choice', values: [...new Array<number>(14).fill(0), 1, lowByteZero(d)] };
  },
};

/**
 * Factors whose products are exact in the accumulation dtype in every order: powers of two with a few threes (odd
 * parts 3^a stay below 2^p for a ≤ 15 in float32, 33 in float64), so a narrower running product (float16 or bfloat16
 * for float32; float32 for float64) rounds where the exact one does not. The oracle recognises each exact slice.
 */
export const PROD_WITNESS: Regime = everyInput('witness', 'a precision witness: powers of two and threes, exact in the accumulation dtype in every order; a narrower running product misses', (d) => {
  if (d === 'float64') return { kind: 'choice', values: [3, -3, 1.5, 0.75, 1, -1, 2, 0.5] };
  if (d === 'float32') return { kind: 'choice', values: [1, -1, 2, -0.5, 0.5, -2, 3, 1.5] };
  return { kind: 'choice', values: [1, -1, 2, -0.5, 0.5, -2, 1, 1.5] };
});

/**
 * NaN, ±inf and zeros among factors near 1: a product with a NaN is NaN, inf·0 is NaN, otherwise an infinity or a zero
 * decides it (the factors near 1 never overflow or underflow, so every order gives the same class of answer).
 */
export const PROD_SPECIAL: Regime = everyInput('nan-inf-zero', 'NaN, ±inf and zeros among factors near 1: NaN propagates, inf·0 is NaN, an infinity or a zero decides the rest', () => ({
  kind: 'sprinkle',
  mean: 1,
  std: 0.25,
  values: ['nan', 'inf', '-inf', 0],
  fraction: 1 / 32,
}));

/** Long products of factors near 1: the product stays in range in every order, and its rounding error grows with k. */
export const PROD_NEAR_ONE: Regime = everyInput('near-one', 'thousands of factors in [0.99, 1.01]: the product stays in range in every order and each multiplication rounds', () => ({
  kind: 'uniform',
  low: 0.99,
  high: 1.01,
}));

/** Odd integers, some near the top of the dtype: products wrap modulo 2^64 in int64 and are never 0 there. */
export const INT_PROD_WRAP: Regime = {
  name: 'wrap',
  why: 'odd integers up to the top of the dtype: the int64 product wraps modulo 2^64 (and stays odd), where an int32 accumulator or a float64 one differs',
  recipe(d): Recipe | null {
    switch (d) {
      case 'int8':
        return { kind: 'choice', values: [3, -5, 7, 127, -127, 9, -1, 1] };
      case 'uint8':
        return { kind: 'choice', values: [3, 5, 7, 255, 251, 9, 1, 1] };
      case 'int16':
        return { kind: 'choice', values: [3, -5, 7, 32767, -32767, 99, -1, 1] };
      case 'int32':
        return { kind: 'choice', values: [3, -5, 7, 2 ** 31 - 1, -(2 ** 31 - 1), 65537, -1, 1] };
      case 'int64':
        return { kind: 'choice', values: [3, -5, 7, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 32 + 1, -1, 1] };
      default:
        return null;
    }
  },
};

/** Variance with a mean far above the spread: the one-pass E[x²] − μ² cancels to nothing (docs/numerics.md, Layer norm). */
export const VAR_LARGE_MEAN: Regime = everyInput('large-mean', 'a mean far above the spread (float32: 10^4 over 1): one-pass E[x²] − μ² cancels to nothing, Welford and two-pass do not', (d) =>
  d === 'float32' || d === 'float64' ? { kind: 'normal', mean: 1e4, std: 1 } : { kind: 'normal', mean: 200, std: 4 },
);

/**
 * Integers in a narrow band far from zero: the oracle's mean and centred moment are exact, a structured input keeps the
 * worst-case bound, and still E[x²] − μ² loses the spread (x² needs twice the bits the data has).
 */
export const VAR_OFFSET_GRID: Regime = everyInput('offset-grid', 'integers in a narrow band far from zero: exact statistics, no random-data model, and one-pass E[x²] − μ² loses the spread', (d) => {
  if (d === 'float64') return { kind: 'grid', low: 2 ** 30 - 8, high: 2 ** 30 + 8, exponent: 0 };
  if (d === 'float32') return { kind: 'grid', low: 3064, high: 3080, exponent: 0 };
  if (d === 'float16') return { kind: 'grid', low: 1016, high: 1032, exponent: 0 };
  return { kind: 'grid', low: 120, high: 136, exponent: 0 };
});

/** Integer prefix sums that leave 32 bits (int32, int64) or the input's own width (int8, int16, uint8): cumsum's int64 output must hold them. */
export const INT_CUMSUM_LARGE: Regime = {
  name: 'large',
  why: 'integers near the top of their dtype: prefix sums overflow the input width (cumsum returns int64), so a narrower accumulator wraps',
  recipe(d): Recipe | null {
    switch (d) {
      case 'int8':
        return { kind: 'int', low: 64, high: 127 };
      case 'uint8':
        return { kind: 'int', low: 128, high: 255 };
      case 'int16':
        return { kind: 'int', low: 2 ** 14, high: 2 ** 15 - 1 };
      case 'int32':
        return { kind: 'int', low: 2 ** 30, high: 2 ** 31 - 1 };
      case 'int64':
        // prefix sums up to 2^49 over 65,537 terms: past 32 bits, within what a float64 reference holds exactly
        return { kind: 'int', low: 2 ** 32, high: 2 ** 33 };
      default:
        return null;
    }
  },
};

/**
 * Ties of signed zeros, NaN and infinities: NaN sorts as the largest value (last ascending, first descending), −0 and
 * +0 compare equal, so which of them comes first is free (unless the sort is stable, then equal kinds keep their order).
 */
export const SORT_SIGNED_ZEROS: Regime = {
  name: 'signed-zeros',
  why: 'mostly ±0 with NaN, ±1 and ±inf among them: NaN sorts as the largest value, ±0 tie, and every slice is full of ties',
  recipe: (d) => (isFloat(d) ? { kind: 'sprinkle', mean: 0, std: signedZeroStd(d), values: ['nan', 1, -1, 'inf', '-inf'], fraction: 1 / 4 } : null),
};

/** A sparse NaN in each slice, for sort and topk: it must come out as the largest value, with its own index. */
export const SORT_NAN: Regime = everyInput('nan', 'a few NaN in each slice: they sort as the largest value (topk returns them first); a kernel that drops or misplaces NaN differs', () => ({
  kind: 'sprinkle',
  mean: 0,
  std: 1,
  values: ['nan'],
  fraction: 1 / 64,
}));
