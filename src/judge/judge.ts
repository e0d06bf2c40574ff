import type { OutputSpec, RefOutput } from '../ops/types.js';
import { dtypeInfo, ulpFunction } from '../tensor/dtype.js';
import { contiguousBytes, toRef } from '../tensor/materialize.js';
import type { RefTensor, TensorData } from '../tensor/tensor.js';
import { numel, unravelIndex } from '../tensor/tensor.js';
import { failureMessage } from './describe.js';
import { judgeIndexOfExtreme } from './extreme.js';
import { judgeIndexOfValues, judgeUnordered, type PropertyOutcome } from './order.js';
import { formatValue } from './format.js';
import { IN, PLACEMENT, UNBOUNDED, assess, isRandom, newAssessment, ruleLabel, valueRule } from './interval.js';
import { judgeRandom } from './distribution.js';
import { compareRepeat, digestBytes } from './repeat.js';
import { type CaseJudgement, type OutputMetrics, statusFromOutputs } from './result.js';

/**
 * Judging one case: structure first, then values, then the repeated run.
 * - The device must return exactly the expected number of outputs, each with the expected dtype and shape
 *   (PyTorch's promotion, broadcasting and keepdim rules); otherwise the output carries a `problem` and its
 *   values are not compared.
 * - Values: each element against its acceptance interval (interval.ts), or a property: index-of-extreme
 *   (extreme.ts), index-of-values and unordered (order.ts); index-of-values reads the device's own values output of
 *   the same run (`outputs`), so sort and topk indices are judged against what the device returned beside them.
 *   Metrics, all against the float64 reference r:
 *   maxAbsError = max |a − r|; maxRelError = max |a − r| / |r| over elements with finite nonzero r;
 *   maxUlpError = max |a − r| / ulp(r) (float outputs only); each null when no element was measured
 *   (matched NaN/inf count as error 0; misplaced ones are not measured) and always null for index outputs.
 *   An accepted overflow is measured from the nearest point of the overflow region (see interval.ts).
 *   mismatches = elements outside their interval (or failing the index property), misplaced NaN/inf included.
 *   margin = max over elements of |a − r| / allowed (allowed = interval half-width; zero error counts 0, an
 *   unbounded interval counts 0); null when any element broke an exact rule or the index property, or had
 *   NaN/inf in the wrong place. worst = the maximising element (the first of equals; the first unbounded
 *   one), null when margin is 0; its actual/expected/allowed are full-precision text (nan, inf, -0).
 *   problem = the first structural problem, including the first NaN/inf placement error.
 * - Repeat (numerics policy 6): the case ran twice; an output whose bytes differ the second time has the
 *   difference as its problem, unless the call is documented as nondeterministic (then it ran once). A random
 *   output (distribution.ts) must instead differ the second time, and the two draws must not correlate.
 * Status comes only from `statusFromOutputs`, so status and recorded metrics cannot disagree.
 */

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The metrics of an output whose values were not compared: its structural problem, an unbounded margin. */
export function structural(index: number, spec: Pick<OutputSpec, 'dtype' | 'shape'>, rule: string, problem: string): OutputMetrics {
  return {
    index,
    dtype: spec.dtype,
    shape: [...spec.shape],
    rule,
    elements: numel(spec.shape),
    mismatches: 0,
    maxAbsError: null,
    maxRelError: null,
    maxUlpError: null,
    margin: null,
    worst: null,
    problem,
  };
}

/**
 * Metrics of one output: dtype and shape recorded are the expected ones; a deviation is the `problem`. `outputs`: every
 * output the device returned in this run (a property such as index-of-values reads a sibling output).
 */
export function judgeOutput(
  index: number,
  spec: OutputSpec,
  expected: RefOutput,
  actual: RefTensor,
  inputs: readonly RefTensor[],
  outputs: readonly (RefTensor | undefined)[] = [],
  again: RefTensor | null = null,
): OutputMetrics {
  const accuracy = spec.accuracy;
  // an alternative dtype PyTorch documents for this output is judged as if it were the expected one
  if (actual.dtype !== spec.dtype && spec.alternativeDtypes?.includes(actual.dtype)) spec = { ...spec, dtype: actual.dtype };
  const rule = ruleLabel(accuracy, spec.dtype, expected);
  const n = numel(spec.shape);
  // A reference that disagrees with its own spec is a harness bug, not a device failure.
  if (!sameShape(expected.shape, spec.shape) || expected.values.length !== n) {
    throw new Error(`reference of output ${index} has shape ${shapeText(expected.shape)} with ${expected.values.length} values, spec says ${shapeText(spec.shape)}`);
  }
  if (actual.dtype !== spec.dtype) return structural(index, spec, rule, `returned dtype ${actual.dtype}, expected ${spec.dtype}`);
  if (!sameShape(actual.shape, spec.shape)) {
    return structural(index, spec, rule, `returned shape ${shapeText(actual.shape)}, expected ${shapeText(spec.shape)}`);
  }
  if (actual.values.length !== n) {
    return structural(index, spec, rule, `returned ${actual.values.length} values for shape ${shapeText(spec.shape)}`);
  }

  // PyTorch leaves these values undefined (empty, empty_strided): dtype and shape were all there was to judge
  if (accuracy.kind === 'unspecified') {
    return { index, dtype: spec.dtype, shape: [...spec.shape], rule, elements: n, mismatches: 0, maxAbsError: null, maxRelError: null, maxUlpError: null, margin: 0, worst: null, problem: null };
  }
  if (isRandom(accuracy)) {
    const r = judgeRandom(accuracy, spec.dtype, expected, actual, outputs, again, (flat) => unravelIndex(flat, spec.shape));
    const { elements, mismatches, worst, margin, problem } = r;
    return { index, dtype: spec.dtype, shape: [...spec.shape], rule, elements, mismatches, maxAbsError: null, maxRelError: null, maxUlpError: null, margin, worst, problem };
  }
  if (accuracy.kind === 'index-of-extreme' || accuracy.kind === 'index-of-values' || accuracy.kind === 'unordered') {
    const r: PropertyOutcome =
      accuracy.kind === 'index-of-extreme'
        ? { ...judgeIndexOfExtreme(accuracy, actual, inputs), problem: null }
        : accuracy.kind === 'index-of-values'
          ? judgeIndexOfValues(accuracy, actual, inputs, outputs)
          : judgeUnordered(accuracy, spec.dtype, expected.values, actual);
    if (r.problem !== null) return structural(index, spec, rule, r.problem);
    return {
      index,
      dtype: spec.dtype,
      shape: [...spec.shape],
      rule,
      elements: r.elements,
      mismatches: r.mismatches,
      maxAbsError: null,
      maxRelError: null,
      maxUlpError: null,
      margin: r.mismatches > 0 ? null : 0,
      worst: r.worst && {
        index: unravelIndex(r.worst.flat, spec.shape),
        actual: r.worst.actual,
        expected: r.worst.expected,
        allowed: r.worst.allowed,
      },
      problem: null,
    };
  }

  const vr = valueRule(accuracy, spec.dtype, expected);
  const isFloat = dtypeInfo(spec.dtype).kind === 'float';
  const ulp = isFloat ? ulpFunction(spec.dtype) : null;
  const open = accuracy.kind === 'exact' && (accuracy.anyWrite === true || accuracy.anyIndex === true);
  const ref = open && expected.choices ? chosen(expected, actual.values) : expected.values;
  const act = actual.values;
  const s = newAssessment();
  let mismatches = 0;
  let unbounded = false;
  let maxAbs = 0;
  let maxRel = 0;
  let maxUlp = 0;
  let measured = false;
  let relMeasured = false;
  let worstRatio = 0;
  let worstAt = -1;
  let firstPlacement = -1;
  const tolerance = vr.mode === 'tolerance' && ulp !== null;
  const nUlps = vr.ulps;
  const towardZero = vr.towardZeroUlp;
  const factor = vr.factor;
  const scale = vr.scale;
  const absolute = vr.absolute;
  const exact = vr.mode === 'exact';
  const cast = vr.cast;
  const signedZero = vr.signedZero;
  for (let i = 0; i < n; i++) {
    const r = ref[i] as number;
    const a = act[i] as number;
    const finite = r - r === 0 && a - a === 0;
    let err: number;
    let ratio: number;
    let out: boolean;
    let u = 0;
    let c = 0;
    // The two common cases (finite values under a tolerance rule, finite values under an exact rule with a
    // finite expected value) repeat `assess`'s decision inline: this loop must handle millions of elements.
    if (tolerance && finite) {
      // a correctly rounded value toward zero from a power of two is measured in the finer spacing there
      u = towardZero !== null && (a < 0 ? -a : a) < (r < 0 ? -r : r) ? towardZero(r) : ulp(r);
      const hw = nUlps * u + absolute + (scale === null ? 0 : factor === Infinity ? Infinity : factor * (scale[i] as number));
      err = a > r ? a - r : r - a;
      // `!(err <= hw)` so that a NaN allowance (a harness bug) fails, as in `assess`
      out = !(err <= hw);
      ratio = err === 0 || hw === Infinity ? 0 : err / hw;
    } else if (exact && finite && (c = cast(r)) - c === 0) {
      const hit = a === c && (!signedZero || c !== 0 || Object.is(a, c));
      err = hit ? (c > r ? c - r : r - c) : a > r ? a - r : r - a;
      out = !hit;
      ratio = hit ? 0 : Infinity;
    } else {
      assess(vr, i, r, a, s);
      const v = s.verdict;
      if (v === PLACEMENT) {
        mismatches++;
        unbounded = true;
        if (firstPlacement < 0) firstPlacement = i;
        if (worstRatio !== Infinity) {
          worstRatio = Infinity;
          worstAt = i;
        }
        continue;
      }
      err = s.error;
      out = v !== IN;
      // err ≤ allowed when IN, so a zero or infinite allowance contributes 0 there
      ratio = v === UNBOUNDED ? Infinity : err === 0 || s.allowed === Infinity ? 0 : err / s.allowed;
    }
    if (out) {
      mismatches++;
      if (!(ratio < Infinity)) ratio = Infinity;
    }
    if (ratio === Infinity) unbounded = true;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstAt = i;
    }
    measured = true;
    const rFinite = r - r === 0;
    if (rFinite && r !== 0) relMeasured = true;
    if (err > 0 && err < Infinity) {
      if (err > maxAbs) maxAbs = err;
      if (rFinite && r !== 0) {
        const rel = Math.min(err / (r < 0 ? -r : r), Number.MAX_VALUE);
        if (rel > maxRel) maxRel = rel;
      }
      if (ulp !== null && rFinite) {
        // err / ulp(0) overflows for float64 (ulp(0) = 2^-1074): the report holds finite numbers only
        const ue = Math.min(err / (u === 0 ? ulp(r) : u), Number.MAX_VALUE);
        if (ue > maxUlp) maxUlp = ue;
      }
    }
  }

  let worst: OutputMetrics['worst'] = null;
  if (worstAt >= 0) {
    const r = ref[worstAt] as number;
    const a = act[worstAt] as number;
    assess(vr, worstAt, r, a, s);
    worst = { index: unravelIndex(worstAt, spec.shape), actual: formatValue(a), expected: formatValue(s.expected), allowed: formatValue(s.allowed) };
  }
  let problem: string | null = null;
  if (firstPlacement >= 0) {
    const r = ref[firstPlacement] as number;
    const a = act[firstPlacement] as number;
    assess(vr, firstPlacement, r, a, s);
    problem = `${formatValue(a)} at ${shapeText(unravelIndex(firstPlacement, spec.shape))} where the reference is ${formatValue(s.expected)}`;
  }
  return {
    index,
    dtype: spec.dtype,
    shape: [...spec.shape],
    rule: vr.label,
    elements: n,
    mismatches,
    maxAbsError: measured ? maxAbs : null,
    maxRelError: relMeasured ? maxRel : null,
    maxUlpError: measured && ulp !== null ? maxUlp : null,
    margin: unbounded ? null : worstRatio,
    worst,
    problem,
  };
}

/**
 * The reference with every open element (RefOutput.choices) set to the choice the device made, where it made one of
 * them: which of several writes lands, or which source element a rounded index names, is PyTorch's to leave open, so
 * any of them is judged as the reference.
 */
function chosen(expected: RefOutput, actual: Float64Array): Float64Array {
  const { choiceStart, choices } = expected;
  const ref = Float64Array.from(expected.values);
  if (!choiceStart || !choices) return ref;
  for (let i = 0; i < ref.length; i++) {
    const a = actual[i] as number;
    for (let j = choiceStart[i] as number; j < (choiceStart[i + 1] as number); j++) {
      const c = choices[j] as number;
      if (Object.is(c, a) || (Number.isNaN(c) && Number.isNaN(a))) {
        ref[i] = c;
        break;
      }
    }
  }
  return ref;
}

function missing(index: number, spec: OutputSpec, expected: RefOutput | undefined): OutputMetrics {
  return structural(index, spec, ruleLabel(spec.accuracy, spec.dtype, expected), 'output missing');
}

function extra(index: number, t: RefTensor): OutputMetrics {
  return structural(index, { dtype: t.dtype, shape: t.shape }, 'none', 'unexpected output');
}

/** What the oracle expects of one case: the bound op's outputs (dtype, shape, rule), its values, and the inputs. */
export interface Expectation {
  outputs: readonly OutputSpec[];
  expected: readonly RefOutput[];
  /** the case's inputs as the oracle read them (property rules such as index-of-extreme look at them) */
  inputs: readonly RefTensor[];
}

/** The device's answers: the judged run, and the repeated run (null when the call is documented as nondeterministic). */
export interface Answers {
  first: readonly TensorData[];
  repeat: readonly TensorData[] | null;
}

/**
 * Judges a case the device answered. A missing output or an extra one is recorded as an output with a problem
 * (an extra one with the dtype and shape the device returned), so the recorded metrics alone decide the status.
 * Throws only for a harness bug (a reference that disagrees with its own outputs), never for a device's answer.
 */
export function judgeCase(e: Expectation, answers: Answers): CaseJudgement {
  const specs = e.outputs;
  if (e.expected.length !== specs.length) throw new Error(`case has ${specs.length} outputs but ${e.expected.length} references`);
  const { first, repeat } = answers;
  const outputs: OutputMetrics[] = [];
  const actual = first.map(toRef);
  // a random output's repeat is a second draw: judged for independence, never for equal bytes
  const random = specs.map((spec) => isRandom(spec.accuracy));
  const again = repeat?.map(toRef) ?? null;
  specs.forEach((spec, i) => {
    const a = actual[i];
    const second = random[i] ? (again?.[i] ?? null) : null;
    outputs.push(a ? judgeOutput(i, spec, e.expected[i] as RefOutput, a, e.inputs, actual, second) : missing(i, spec, e.expected[i]));
  });
  for (let i = specs.length; i < actual.length; i++) outputs.push(extra(i, actual[i] as RefTensor));
  const firstBytes = first.map(contiguousBytes);
  let repeatDigest: string | null = null;
  if (repeat !== null) {
    const repeatBytes = repeat.map(contiguousBytes);
    repeatDigest = digestBytes(repeatBytes);
    compareRepeat(firstBytes, repeatBytes, outputs, random);
  }
  const status = statusFromOutputs(outputs);
  return {
    status,
    message: status === 'pass' ? null : failureMessage(outputs, first.length, specs.length),
    outputs,
    outputDigest: digestBytes(firstBytes),
    repeatDigest,
  };
}
