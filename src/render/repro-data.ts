import { isRandom, ruleLabel, valueRule, type ValueRule } from '../judge/interval.js';
import type { Accuracy, OutputSpec, RefOutput } from '../ops/types.js';
import { dtypeInfo, ulpFunction, type DType } from '../tensor/dtype.js';

/*
 * What a failure kit needs to judge one output as accelcert's judge does (src/judge/judge.ts, interval.ts), computed
 * here by the judge's own value rules, so that the script applies numbers rather than re-deriving them: per element,
 * the expected value of an exact rule, or the reference and the half-width of a tolerance rule, as `halfWidth` gives
 * it on each side of the reference (a correctly rounded power of two is narrower toward zero), and as the judge's
 * element loop sums it where that sum differs in its last bit.
 */

/** How the kit judges an output in one dtype: the rule's kind and the scalars it needs (per-element data apart). */
export type RuleMeta =
  | { kind: 'exact'; rule: string; means: string; signedZero: boolean }
  | { kind: 'tolerance'; rule: string; means: string; overflowAt: number | 'inf'; hasInfinity: boolean }
  | { kind: 'index-of-extreme'; rule: string; means: string; extreme: 'max' | 'min'; input: number; dim: number | null }
  | { kind: 'unspecified' | 'property'; rule: string; means: string };

/** Per-element arrays of one output in one dtype, by the name the script reads them under. */
export type ElementData = Record<string, Float64Array | Uint8Array | null>;

/** One output in one dtype (its own, or an alternative PyTorch documents): the rule and its per-element data. */
export interface OutputRule {
  dtype: DType;
  meta: RuleMeta;
  data: ElementData | null;
}

const NUMERICS = 'docs/numerics.md';

/** The rule of every dtype an output may come back in, the expected one first. */
export function outputRules(spec: OutputSpec, expected: RefOutput): OutputRule[] {
  return [spec.dtype, ...(spec.alternativeDtypes ?? [])].map((dtype) => outputRule(spec.accuracy, dtype, expected));
}

function outputRule(accuracy: Accuracy, dtype: DType, expected: RefOutput): OutputRule {
  const rule = ruleLabel(accuracy, dtype, expected);
  if (accuracy.kind === 'unspecified') {
    return { dtype, meta: { kind: 'unspecified', rule, means: `PyTorch leaves the values undefined: only dtype and shape are judged (${NUMERICS})` }, data: null };
  }
  if (accuracy.kind === 'index-of-extreme') {
    const means = `the index must name an element holding its slice's ${accuracy.extreme} (any of tied ones; a NaN is the extreme of a slice holding one) (${NUMERICS})`;
    return { dtype, meta: { kind: 'index-of-extreme', rule, means, extreme: accuracy.extreme, input: accuracy.input, dim: accuracy.dim }, data: null };
  }
  if (isRandom(accuracy)) {
    return { dtype, meta: { kind: 'property', rule, means: `a random draw, judged by its law (${NUMERICS}); this script checks its dtype and shape` }, data: null };
  }
  if (accuracy.kind === 'index-of-values' || accuracy.kind === 'unordered') {
    return { dtype, meta: { kind: 'property', rule, means: `judged by a property (${NUMERICS}); this script checks the dtype, the shape and the repeated run` }, data: null };
  }
  const vr = valueRule(accuracy, dtype, expected);
  return vr.mode === 'exact' ? exactRule(vr, accuracy, expected) : toleranceRule(vr, accuracy, expected);
}

function exactRule(vr: ValueRule, accuracy: Accuracy, expected: RefOutput): OutputRule {
  const exact = accuracy.kind === 'exact' ? accuracy : null;
  const data: ElementData = { expected: expected.values.map(vr.cast) };
  // where several writes (any-write) or source elements (any-index) may land, the judge takes the one the device chose
  if ((exact?.anyWrite === true || exact?.anyIndex === true) && expected.choices && expected.choiceStart) {
    data['choiceStarts'] = Float64Array.from(expected.choiceStart);
    data['choices'] = expected.choices;
    data['choiceCasts'] = expected.choices.map(vr.cast);
  }
  return { dtype: vr.dtype, meta: { kind: 'exact', rule: vr.label, means: exactMeaning(vr, exact), signedZero: vr.signedZero }, data };
}

function exactMeaning(vr: ValueRule, exact: Extract<Accuracy, { kind: 'exact' }> | null): string {
  const zero = !vr.isFloat ? '' : vr.signedZero ? ', the sign of a zero included' : ', a zero of either sign';
  const writes = exact?.anyWrite ? '; where several writes land on one element, any of them' : '';
  const index = exact?.anyIndex ? '; where the source element depends on the precision of the index arithmetic, any candidate' : '';
  return `bit-identical to the float64 reference converted to ${vr.dtype}${zero}${writes}${index} (${NUMERICS})`;
}

function toleranceRule(vr: ValueRule, accuracy: Accuracy, expected: RefOutput): OutputRule {
  const reference = expected.values;
  const n = reference.length;
  const halfWidth = new Float64Array(n);
  const towardZero = new Float64Array(n);
  const loop = new Float64Array(n);
  const ulp = ulpFunction(vr.dtype);
  for (let i = 0; i < n; i++) {
    const r = reference[i] as number;
    // only a finite reference has an interval (NaN and ±inf are matched, not measured)
    if (!Number.isFinite(r)) continue;
    // the judge's own half-width, on the side away from zero (an actual at r measures that side) and toward it
    halfWidth[i] = vr.halfWidth(i, r, r);
    towardZero[i] = vr.halfWidth(i, r, 0);
    // judge.ts's element loop adds the same parts in another order (it holds ulp(r) already): its decisions use that sum
    loop[i] = vr.ulps * ulp(r) + vr.absolute + (vr.scale === null ? 0 : vr.factor === Infinity ? Infinity : vr.factor * (vr.scale[i] as number));
  }
  const meta: RuleMeta = {
    kind: 'tolerance',
    rule: vr.label,
    means: toleranceMeaning(vr, accuracy, expected),
    overflowAt: vr.overflowAt === Infinity ? 'inf' : vr.overflowAt,
    hasInfinity: vr.hasInfinity,
  };
  const data: ElementData = {
    reference,
    halfWidth,
    halfWidthTowardZero: sameBits(towardZero, halfWidth) ? null : towardZero,
    loopHalfWidth: sameBits(loop, halfWidth) ? null : loop,
    mayOverflow: vr.mayOverflow,
  };
  return { dtype: vr.dtype, meta, data };
}

/** Whether two arrays hold the same values, bit for bit (then the kit needs only one of them). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

function toleranceMeaning(vr: ValueRule, accuracy: Accuracy, expected: RefOutput): string {
  const ref = `ref the float64 reference, ulp the spacing of ${vr.dtype} at ref`;
  const n = vr.ulps;
  if (accuracy.kind === 'ulp') return `|actual − ref| ≤ ${n}·ulp(ref)${n === 0.5 ? ' (correctly rounded)' : ''}, ${ref} (${NUMERICS})`;
  if (accuracy.kind === 'bound') return `|actual − ref| ≤ B + ${n}·ulp(ref), B a bound the reference derives per element, ${ref} (${NUMERICS})`;
  if (accuracy.kind !== 'accumulation') return `|actual − ref| within the rule's half-width, ${ref} (${NUMERICS})`;
  const u = dtypeInfo(accuracy.accumDtype).name;
  const gamma = accuracy.model === 'probabilistic' ? 'γ̃' : 'γ';
  return `|actual − ref| ≤ ${gamma}(k, u)·Σ|terms| + ${n}·ulp(ref) + k·η, k = ${expected.terms ?? '?'} terms, u and η of ${u}, Σ|terms| per element from the reference, ${ref} (${NUMERICS})`;
}
