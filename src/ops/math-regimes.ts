import { floatFormat, type DType } from '../tensor/dtype.js';
import type { Recipe } from '../tensor/spec.js';
import { everyInput, expOverflowAt, largest, smallestNormal, uniform } from './regimes.js';
import type { Regime } from './types.js';

/*
 * Input regimes of the unary math ops (src/ops/math.ts): the regions of each function's domain where
 * implementations differ. Thresholds come from the dtype's format, so every floating dtype gets its own edges.
 */

const choice = (values: number[]): Recipe => ({ kind: 'choice', values });

/** explicit mantissa bits of a floating dtype: from 2^m on, every value of the format is an integer */
const mantissaBits = (d: DType): number => floatFormat(d).mantissaBits;

/** Multiples of π (k = ±1…±64), rounded to the dtype by the recipe: sin and tan are tiny there. */
const PI_MULTIPLES = Array.from({ length: 64 }, (_, k) => (k + 1) * Math.PI).flatMap((v) => [v, -v]);
/** Odd multiples of π/2: cos is tiny and tan huge there. */
const HALF_PI_ODD = Array.from({ length: 64 }, (_, k) => (k + 0.5) * Math.PI).flatMap((v) => [v, -v]);

export const TINY: Regime = everyInput('tiny', 'arguments within 2^-10 of zero, where f(x) ≈ c·x: a formula that forms 1 ± x first (e^x − 1, log(1 + x), (e^x − e^−x)/2) loses the relative accuracy', () => uniform(-(2 ** -10), 2 ** -10));

/** Trigonometric functions: argument reduction. */
export const TRIG_LARGE: Regime = everyInput(
  'large',
  'arguments far from zero (up to 10^5): the result needs an argument reduction with π to many more bits than the format has; a reduction with a rounded π, or a hardware approximation (sin.approx.f32), loses every digit',
  (d) => uniform(-Math.min(1e5, largest(d) / 2), Math.min(1e5, largest(d) / 2)),
);
export const NEAR_PI_MULTIPLES: Regime = everyInput('near-zeros', 'the floats nearest kπ, where sin and tan are tiny: only a reduction with π to well beyond the format keeps their relative accuracy', () => choice(PI_MULTIPLES));
export const NEAR_HALF_PI_ODD: Regime = everyInput('near-zeros', 'the floats nearest (k + ½)π, where cos is tiny: only a reduction with π to well beyond the format keeps its relative accuracy', () => choice(HALF_PI_ODD));
export const NEAR_POLES: Regime = everyInput('near-poles', 'the floats nearest (k + ½)π, where tan is huge and its value hangs on the last bits of the reduced argument', () => choice(HALF_PI_ODD));

/** Inverse functions near the ends of their domain. */
export const NEAR_ONE: Regime = everyInput('near-one', 'arguments within 2^-8 below 1, where asin/acos/atanh have a branch point: 1 − x², or log((1 + x)/(1 − x)), cancels unless formed with care', () => uniform(1 - 2 ** -8, 1));
export const NEAR_MINUS_ONE: Regime = everyInput('near-minus-one', 'arguments within 2^-8 above −1, the other branch point (acos → π, atanh → −∞)', () => uniform(-1, -1 + 2 ** -8));
export const ACOSH_NEAR_ONE: Regime = everyInput('near-one', 'arguments just above 1, where acosh(x) ≈ √(2(x − 1)): x² − 1 cancels unless formed as (x − 1)(x + 1)', () => uniform(1, 1 + 2 ** -6));
export const HUGE: Regime = everyInput('huge', 'arguments near the largest finite value: a formula that squares x (√(x² ± 1)) overflows to inf although the result is small', (d) => uniform(largest(d) / 1024, largest(d)));

/**
 * sinh and cosh from just below e^x's overflow threshold to beyond their own (ln(2·largest)): e^|x|/2 is finite up to
 * there, so a kernel that forms e^|x| first overflows early. PyTorch's CPU kernels do (SLEEF returns ±inf once e^|x|
 * overflows), so the acceptance interval admits ±inf between the two thresholds; below them the result must be finite.
 */
export const HYPERBOLIC_OVERFLOW: Regime = everyInput('overflow-edge', 'sinh and cosh around e^x\'s overflow threshold up to their own (ln(2·largest)): finite results up to there, inf beyond', (d) =>
  uniform(expOverflowAt(d) - 1, Math.log(largest(d)) + Math.LN2 + 1),
);

/** expm1 where e^x overflows. */
export const EXPM1_OVERFLOW: Regime = everyInput('overflow-edge', 'e^x − 1 around ln(largest finite): an early or late overflow shows only here', (d) => uniform(expOverflowAt(d) - 1, expOverflowAt(d) + 1));

/** log1p near its pole at −1. */
export const LOG1P_NEAR_MINUS_ONE: Regime = everyInput('near-minus-one', 'arguments within 2^-6 above −1: log1p falls toward −inf, and 1 + x is exact there (Sterbenz), so only a careless kernel loses digits', () => uniform(-1, -1 + 2 ** -6));

/** erf's saturation. */
export const ERF_TAILS: Regime = everyInput('tails', 'erf saturates to ±1 (float32 from |x| ≈ 3.9): the last ULPs below 1 come from erfc, which a polynomial fitted near zero gets wrong', () => uniform(1.5, 6));

/**
 * Rounding functions. `halves`: the ties of round-half-to-even (±0.5, ±1.5, ±2.5, 2^m − ½) and the float just below ½,
 * where round(x) as floor(x + ½) gives 1 (x + ½ rounds up to 1). `integral-edge`: magnitudes around 2^m, where the
 * format's last fractional bits disappear; adding 2^m to round (the "magic number" trick) or converting through int32
 * breaks there or beyond. `huge`: every value an integer far beyond any integer type.
 */
export const ROUNDING_HALVES: Regime = everyInput('halves', 'exact halves (ties: PyTorch rounds half to even) and the float just below ½, where floor(x + ½) rounds up', (d) => {
  const m = mantissaBits(d);
  const belowHalf = 0.5 - 2 ** -(m + 2);
  const topHalf = 2 ** m - 0.5;
  return choice([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, -3.5, belowHalf, -belowHalf, topHalf, -topHalf, 2 ** (m - 1) + 0.5, -(2 ** (m - 1) + 0.5)]);
});
export const ROUNDING_INTEGRAL_EDGE: Regime = everyInput('integral-edge', 'magnitudes around 2^m (m the mantissa bits), where the last fractional bits disappear: a "+ 2^m − 2^m" rounding trick or an int32 round trip breaks there', (d) => {
  const e = 2 ** (mantissaBits(d) + 1);
  return uniform(-e, e);
});
export const ROUNDING_HUGE: Regime = everyInput('huge', 'magnitudes up to half the largest finite value: every one an integer, beyond any integer type a kernel might convert through', (d) => uniform(-largest(d) / 2, largest(d) / 2));

/** round.decimals: multiples of 1/8, so that x·10^d is often an exact half (x = 0.125, decimals 2: 12.5 → 12). */
export const DECIMAL_TIES: Regime = everyInput('decimal-ties', 'multiples of 1/8: x·10^decimals is often an exact tie, which PyTorch rounds half to even', () => ({ kind: 'grid', low: -256, high: 256, exponent: -3 }));

/** reciprocal: results near the overflow threshold (tiny x) and subnormal results (huge x). */
export const RECIPROCAL_REGIMES: Regime[] = [
  everyInput('tiny', 'the smallest normal inputs: 1/x near the largest finite value', (d) => uniform(smallestNormal(d), 1024 * smallestNormal(d))),
  everyInput('huge', 'inputs near the largest finite value: 1/x is subnormal, where a flushing device returns 0', (d) => uniform(largest(d) / 1024, largest(d))),
];

/**
 * Logits with a large common offset and a small spread: softmax is shift-invariant, and log_softmax's outputs stay
 * small, but max + log Σ rounds to max's ULP (2^-10 at 10^4 in float32), so a kernel that forms it before subtracting
 * (x − (max + log Σ), pytorch#11752) is off by hundreds of ULPs on every element. The offset sits where the dtype still
 * resolves the spread (float16: ULP ½ at 1000; bfloat16: 1 at 200).
 */
export const LOGITS_LARGE_OFFSET: Regime = everyInput('large-offset', 'logits of 10^4 ± a few (float32/float64): x − (max + log Σ) loses log Σ to the rounding of max + log Σ; (x − max) − log Σ does not', (d) =>
  d === 'float16' ? { kind: 'normal', mean: 1000, std: 4 } : d === 'bfloat16' ? { kind: 'normal', mean: 200, std: 8 } : { kind: 'normal', mean: 1e4, std: 2 },
);
