import { FALSE_FAILURE_PROBABILITY, gamma, probabilisticGamma } from '../ops/numerics.js';
import type { Accuracy, RandomAccuracy, RefOutput } from '../ops/types.js';
import { RANDOM_KINDS } from '../ops/types.js';
import { randomRuleLabel } from './distribution.js';
import { type DType, dtypeInfo, floatFormat, unitRoundoff } from '../tensor/dtype.js';
import { castFunction, ulpFunction } from '../tensor/dtype.js';

/**
 * Acceptance intervals: for each output element, the set of values a conforming device may return.
 *
 * Value rules (r = the float64 reference of the element, before rounding to the output dtype):
 * - `exact`: only castTo(dtype, r), the reference rounded (ties to even) or converted to the output dtype;
 *   with `signedZero` the sign of a zero counts too. Integer and bool outputs always use this rule.
 * - `ulp n`: the closed interval [r − n·ulp(r), r + n·ulp(r)], ulp(r) = spacing of the output dtype at r
 *   (`ulpOf`). n = 0.5 is "correctly rounded"; a reference exactly halfway between two representables
 *   accepts both of them.
 * - `accumulation`: |a − r| ≤ γ(k, u) · absSum + n · ulp(r) + k·η, with k = `RefOutput.terms`, η the smallest
 *   subnormal of `accumDtype` (gradual underflow: each operation may err by η/2 absolutely), u the unit roundoff of
 *   `accumDtype`, absSum = Σ|terms| of the element and n = `ulps` (default 0.5: the final rounding to the
 *   output dtype). γ(k, u) = k·u / (1 − k·u); when k·u ≥ 1 the bound is +inf (every value, including either
 *   overflow value, is accepted): the classic bound says nothing there, so the rule stops constraining.
 * - `bound`: |a − r| ≤ bound[i] + n · ulp(r), bound = `RefOutput.bound` (an absolute per-element bound the op's
 *   reference derives), n = `ulps`.
 *
 * Special values (every rule):
 * - reference NaN: the actual must be NaN (any payload or sign).
 * - reference ±inf: the actual must be the same infinity (NaN for float8_e4m3fn, which has no infinity).
 * - finite reference: an actual NaN or ±inf fails, except an overflow the interval allows. The overflow value
 *   (±inf, or NaN for float8_e4m3fn) stands for every magnitude from the first value past the largest finite
 *   one — maxFinite + ulp(maxFinite), e.g. 65536 for float16, 2^128 for float32, 480 for e4m3fn — upwards,
 *   i.e. what rounding would produce if the exponent range were unbounded. It is accepted when that region
 *   meets the interval, and measured from its nearest point. So a correctly rounded result accepts +inf
 *   exactly when RN(r) overflows (a tie at the overflow threshold accepts both maxFinite and inf).
 * - subnormal references and actuals are judged like any other value (a device that flushes them fails
 *   wherever the interval does not reach zero).
 */

/** One output's value rule, prepared once so per-element checks allocate nothing. */
export interface ValueRule {
  readonly dtype: DType;
  /** short human label, e.g. `correctly-rounded` */
  readonly label: string;
  readonly mode: 'exact' | 'tolerance';
  readonly signedZero: boolean;
  readonly isFloat: boolean;
  /** overflow threshold of the dtype (maxFinite + ulp(maxFinite)); Infinity for float64 and non-floats */
  readonly overflowAt: number;
  /** whether the dtype encodes overflow as ±inf (false: as NaN, float8_e4m3fn) */
  readonly hasInfinity: boolean;
  /**
   * half-width of the interval around a finite reference r at element i (0 for exact rules), on the side of `actual`
   * when given: a correctly rounded rule is narrower toward zero from a power of two (see `towardZeroUlp`)
   */
  halfWidth(i: number, r: number, actual?: number): number;
  /**
   * correctly rounded rules only (else null): the spacing of the dtype just toward zero from r, which is half of
   * ulp(r) when r is a power of two. Half an ulp(r) below 2 would reach the next value down, 2 − 2⁻²³ in float32, and
   * accept it as a tie: but RN(2) is 2 alone.
   */
  readonly towardZeroUlp: ((r: number) => number) | null;
  /**
   * The same half-width in parts, for loops that already hold u = ulp(r):
   * halfWidth(i, r) = ulps·u + absolute + (scale ? (factor === Infinity ? Infinity : factor·scale[i]) : 0);
   * scale is absSum with factor γ for accumulation, the reference's bound with factor 1 for `bound`.
   */
  readonly ulps: number;
  readonly factor: number;
  readonly scale: Float64Array | null;
  /** an absolute allowance added to every half-width: the accumulation rule's gradual underflow (k·2^emin−p) */
  readonly absolute: number;
  /**
   * accumulation rule: 1 where a partial sum may leave the accumulation dtype's range (Σ|terms| before any
   * division reaches its overflow threshold); there ±inf and NaN are accepted too, whatever the reference
   */
  readonly mayOverflow: Uint8Array | null;
  /** castTo(dtype, ·), specialised */
  readonly cast: (x: number) => number;
}


/** Is this rule one of the random ones (judge/distribution.ts)? */
export function isRandom(accuracy: Accuracy): accuracy is RandomAccuracy {
  return RANDOM_KINDS.includes(accuracy.kind);
}

/** Human label of an accuracy rule, as recorded in `OutputMetrics.rule`. */
export function ruleLabel(accuracy: Accuracy, dtype: DType, expected?: RefOutput): string {
  const kind = dtypeInfo(dtype).kind;
  if (accuracy.kind === 'index-of-extreme') return `index-of-extreme(${accuracy.extreme})`;
  if (accuracy.kind === 'unspecified') return 'unspecified';
  if (accuracy.kind === 'index-of-values') return accuracy.stable ? 'index-of-values(stable)' : 'index-of-values';
  if (accuracy.kind === 'unordered') return 'exact(any-order)';
  if (isRandom(accuracy)) return randomRuleLabel(accuracy);
  if (kind !== 'float' || accuracy.kind === 'exact') {
    const exact = accuracy.kind === 'exact' ? accuracy : null;
    const flags = [exact?.signedZero ? 'signed-zero' : null, exact?.anyWrite ? 'any-write' : null, exact?.anyIndex ? 'any-index' : null].filter((f) => f !== null);
    return flags.length > 0 ? `exact(${flags.join(',')})` : 'exact';
  }
  if (accuracy.kind === 'ulp') return accuracy.ulps === 0.5 ? 'correctly-rounded' : `ulp≤${accuracy.ulps}`;
  if (accuracy.kind === 'bound') return `bound(+${accuracy.ulps}ulp)`;
  const k = expected?.terms ?? '?';
  const extra = accuracy.ulps !== undefined && accuracy.ulps !== 0.5 ? `,out≤${accuracy.ulps}ulp` : '';
  const passes = (accuracy.passes ?? 1) > 1 ? `,passes=${accuracy.passes}` : '';
  const model = accuracy.model === 'probabilistic' ? `,p≤${FALSE_FAILURE_PROBABILITY}` : '';
  return `accumulation(k=${k},u=${accuracy.accumDtype}${extra}${passes}${model})`;
}

/**
 * Prepares the value rule of one output. Throws for the property rules (`index-of-extreme`, extreme.ts;
 * `index-of-values` and `unordered`, order.ts)
 * and for an accumulation rule whose reference lacks `terms` or `absSum`: both are harness bugs, never a
 * device's fault.
 */
export function valueRule(accuracy: Accuracy, dtype: DType, expected: RefOutput): ValueRule {
  if (accuracy.kind === 'index-of-extreme' || accuracy.kind === 'unspecified' || accuracy.kind === 'index-of-values' || accuracy.kind === 'unordered' || isRandom(accuracy)) {
    throw new Error(`${accuracy.kind} is not a value rule`);
  }
  const info = dtypeInfo(dtype);
  const isFloat = info.kind === 'float';
  const label = ruleLabel(accuracy, dtype, expected);
  let overflowAt = Infinity;
  let hasInfinity = true;
  if (isFloat) {
    const f = floatFormat(dtype);
    const ulp = ulpFunction(dtype);
    overflowAt = f.maxFinite + ulp(f.maxFinite);
    hasInfinity = f.hasInfinity;
  }
  const base = { dtype, label, isFloat, overflowAt, hasInfinity, cast: castFunction(dtype) };
  if (!isFloat || accuracy.kind === 'exact') {
    const signedZero = accuracy.kind === 'exact' && accuracy.signedZero === true;
    return { ...base, mode: 'exact', signedZero, halfWidth: () => 0, towardZeroUlp: null, ulps: 0, factor: 0, scale: null, absolute: 0, mayOverflow: null };
  }
  const ulp = ulpFunction(dtype);
  if (accuracy.kind === 'ulp') return tolerance(base, accuracy.ulps, 0, null, ulp);
  if (accuracy.kind === 'bound') {
    const { bound } = expected;
    if (bound === undefined) throw new Error(`bound rule needs the reference's bound (output dtype ${dtype})`);
    checkLength('bound', bound, expected);
    return tolerance(base, accuracy.ulps, 1, bound, ulp);
  }
  const { terms, absSum, exact } = expected;
  if (terms === undefined || absSum === undefined) {
    throw new Error(`accumulation rule needs the reference's terms and absSum (output dtype ${dtype})`);
  }
  checkLength('absSum', absSum, expected);
  const passRounding = (Math.max(1, accuracy.passes ?? 1) - 1) * unitRoundoff(dtype);
  const u = unitRoundoff(accuracy.accumDtype);
  const g = accuracy.model === 'probabilistic' ? probabilisticGamma(terms, u, expected.values.length) : gamma(terms, u);
  // a precision witness leaves only the final rounding: its accumulation is exact in every order
  let scale = absSum;
  if (exact) {
    checkLength('exact', exact, expected);
    scale = absSum.map((s, i) => (exact[i] === 1 ? 0 : s));
  }
  const mayOverflow = expected.sumScale === undefined ? null : overflowMask(expected.sumScale, accuracy.accumDtype);
  // relative error bounds fail in gradual underflow, where each operation errs by up to half the smallest
  // subnormal of the accumulation dtype whatever its operands' size: k operations, k of them
  const acc = dtypeInfo(accuracy.accumDtype).float;
  const underflow = acc === undefined ? 0 : terms * 2 ** (acc.minExponent - acc.mantissaBits);
  return { ...tolerance(base, accuracy.ulps ?? 0.5, g + passRounding, scale, ulp, underflow), mayOverflow };
}

/**
 * Where Σ|terms| reaches the accumulation dtype's overflow threshold, a partial sum may overflow in some order
 * (PyTorch's own kernels do: an average pool of values near float32's maximum returns ±inf or NaN), so the
 * element's final value is not constrained by the classic bound. Null when no element is affected.
 */
function overflowMask(sums: Float64Array, accumDtype: DType): Uint8Array | null {
  if (dtypeInfo(accumDtype).kind !== 'float') return null;
  // float64's threshold, 2^1024, is not a double: its largest finite value stands in (a sum that reaches it
  // was already rounded up to it or to inf)
  const limit = floatFormat(accumDtype).maxFinite;
  let mask: Uint8Array | null = null;
  for (let i = 0; i < sums.length; i++) {
    if ((sums[i] as number) >= limit) (mask ??= new Uint8Array(sums.length))[i] = 1;
  }
  return mask;
}


function checkLength(name: string, a: ArrayLike<number>, expected: RefOutput): void {
  if (a.length !== expected.values.length) {
    throw new Error(`reference ${name} has ${a.length} values for ${expected.values.length} elements`);
  }
}

type RuleBase = Pick<ValueRule, 'dtype' | 'label' | 'isFloat' | 'overflowAt' | 'hasInfinity' | 'cast'>;

function tolerance(base: RuleBase, ulps: number, factor: number, scale: Float64Array | null, ulp: (x: number) => number, absolute = 0): ValueRule {
  const towardZeroUlp = ulps === 0.5 && scale === null && absolute === 0 ? towardZeroSpacing(ulp) : null;
  const sideUlp = (r: number, actual: number | undefined): number =>
    towardZeroUlp !== null && actual !== undefined && Math.abs(actual) < Math.abs(r) ? towardZeroUlp(r) : ulp(r);
  const halfWidth =
    scale === null
      ? (_i: number, r: number, actual?: number) => ulps * sideUlp(r, actual) + absolute
      : (i: number, r: number) => {
          // 0·inf would be NaN: with an unbounded factor even a zero-scale element is left unconstrained.
          const s = scale[i] ?? 0;
          return (factor === Infinity ? Infinity : factor * s) + ulps * ulp(r) + absolute;
        };
  return { ...base, mode: 'tolerance', signedZero: false, halfWidth, towardZeroUlp, ulps, factor, scale, absolute, mayOverflow: null };
}

/**
 * The spacing just toward zero from r: ulp of r's float64 neighbour toward zero, which lies in the binade below when r
 * is a power of two (and in r's own binade otherwise, giving ulp(r)).
 */
function towardZeroSpacing(ulp: (x: number) => number): (r: number) => number {
  return (r) => {
    const u = ulp(r);
    const below = ulp(r - r * 2 ** -53);
    return below < u ? below : u;
  };
}

/** Verdict codes of one element (see `Assessment`). */
export const IN = 0;
/** outside a tolerance interval: a value error with a finite ratio to the allowed error */
export const OUT = 1;
/** an exact rule broken (or a zero-width interval missed): no finite ratio exists */
export const UNBOUNDED = 2;
/** NaN or ±inf where the reference has none, or missing where it has one */
export const PLACEMENT = 3;
export type Verdict = typeof IN | typeof OUT | typeof UNBOUNDED | typeof PLACEMENT;

/** Scratch result of `assess`, reused across elements. */
export interface Assessment {
  verdict: Verdict;
  /** |actual − reference| (an accepted overflow measured from the nearest point of its region); 0 for matched NaN/inf */
  error: number;
  /** allowed error (interval half-width); 0 for exact rules and non-finite references */
  allowed: number;
  /** the value the rule expects: castTo(dtype, r) for exact rules, r otherwise */
  expected: number;
}

export function newAssessment(): Assessment {
  return { verdict: IN, error: 0, allowed: 0, expected: 0 };
}

/** Is x the value the dtype produces on overflow (±inf, or NaN for float8_e4m3fn)? */
function isOverflowValue(rule: ValueRule, x: number): boolean {
  return rule.hasInfinity ? x === Infinity || x === -Infinity : Number.isNaN(x);
}

/**
 * Distance from finite r to the overflow region on the side of `actual` (for e4m3fn's sign-free NaN, the
 * side nearer r): 0 if r lies inside it.
 */
function overflowDistance(rule: ValueRule, r: number, actual: number): number {
  const v = rule.overflowAt;
  const up = Math.max(v - r, 0);
  const down = Math.max(r + v, 0);
  if (actual === Infinity) return up;
  if (actual === -Infinity) return down;
  return Math.min(up, down);
}

/** Judges one element against its acceptance interval; writes into `out`, allocates nothing. */
export function assess(rule: ValueRule, i: number, r: number, actual: number, out: Assessment): void {
  out.error = 0;
  out.allowed = 0;
  if (rule.mode === 'exact') {
    const c = rule.cast(r);
    out.expected = c;
    if (Number.isNaN(c)) {
      out.verdict = Number.isNaN(actual) ? IN : PLACEMENT;
      return;
    }
    if (actual === c && (!rule.signedZero || c !== 0 || Object.is(actual, c))) {
      out.verdict = IN;
      out.error = Number.isFinite(r) ? (Number.isFinite(c) ? Math.abs(c - r) : overflowDistance(rule, r, c)) : 0;
      return;
    }
    const finite = Number.isFinite(actual) && Number.isFinite(c);
    out.verdict = finite ? UNBOUNDED : PLACEMENT;
    if (finite) out.error = Math.abs(actual - r);
    return;
  }
  out.expected = r;
  if (Number.isNaN(r)) {
    out.verdict = Number.isNaN(actual) ? IN : PLACEMENT;
    return;
  }
  if (rule.mayOverflow !== null && rule.mayOverflow[i] === 1 && !Number.isFinite(actual)) {
    out.verdict = IN;
    return;
  }
  if (!Number.isFinite(r)) {
    const want = rule.hasInfinity ? r : NaN;
    out.verdict = actual === want || (Number.isNaN(want) && Number.isNaN(actual)) ? IN : PLACEMENT;
    return;
  }
  const hw = rule.halfWidth(i, r, actual);
  out.allowed = hw;
  if (Number.isFinite(actual)) {
    const err = Math.abs(actual - r);
    out.error = err;
    if (err <= hw) out.verdict = IN;
    else out.verdict = hw > 0 ? OUT : UNBOUNDED;
    return;
  }
  if (isOverflowValue(rule, actual)) {
    const err = overflowDistance(rule, r, actual);
    if (err <= hw) {
      out.verdict = IN;
      out.error = err;
      return;
    }
  }
  out.verdict = PLACEMENT;
}

/**
 * The acceptance interval of one element, for display and tests: [lo, hi] for a finite reference
 * (lo == hi == castTo(r) for exact rules), [NaN, NaN] when only NaN is accepted, [±inf, ±inf] when only
 * that infinity is. `overflow` says which overflow values the interval also accepts.
 */
export interface Interval {
  lo: number;
  hi: number;
  overflow: { positive: boolean; negative: boolean };
}

export function acceptanceInterval(rule: ValueRule, i: number, r: number): Interval {
  const none = { positive: false, negative: false };
  if (rule.mode === 'exact') {
    const c = rule.cast(r);
    return { lo: c, hi: c, overflow: none };
  }
  if (Number.isNaN(r)) return { lo: NaN, hi: NaN, overflow: none };
  if (!Number.isFinite(r)) {
    const want = rule.hasInfinity ? r : NaN;
    return { lo: want, hi: want, overflow: none };
  }
  // toward zero, a correctly rounded interval may be narrower (a power of two): -0 and +0 probe each side's width
  const below = rule.halfWidth(i, r, r > 0 ? 0 : -Infinity);
  const above = rule.halfWidth(i, r, r < 0 ? 0 : Infinity);
  const lo = r - below;
  const hi = r + above;
  return { lo, hi, overflow: { positive: hi >= rule.overflowAt, negative: lo <= -rule.overflowAt } };
}
