import type { Accuracy, OutputSpec, RefOutput } from '../ops/types.js';
import { dtypeInfo } from '../tensor/dtype.js';
import type { RefTensor } from '../tensor/tensor.js';
import { numel, unravelIndex } from '../tensor/tensor.js';
import { judgeIndexOfExtreme } from './extreme.js';
import { formatValue } from './format.js';
import { IN, PLACEMENT, UNBOUNDED, assess, newAssessment, ruleLabel, valueRule } from './interval.js';
import { type CaseJudgement, type OutputMetrics, statusFromOutputs } from './result.js';
import { ulpFunction } from './ulp.js';

export { statusFromOutputs } from './result.js';

/**
 * Judging one case: structure first, then values.
 * - The device must return exactly the expected number of outputs, each with the expected dtype and shape
 *   (PyTorch's promotion, broadcasting and keepdim rules); otherwise the output carries a `problem` and its
 *   values are not compared.
 * - Values: each element against its acceptance interval (interval.ts), or the index-of-extreme property
 *   (extreme.ts). Metrics, all against the float64 reference r:
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
 * Status comes only from `statusFromOutputs`, so status and recorded metrics cannot disagree.
 */

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function structural(index: number, spec: OutputSpec, rule: string, problem: string): OutputMetrics {
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

/** Metrics of one output: dtype and shape recorded are the expected ones; a deviation is the `problem`. */
export function judgeOutput(
  index: number,
  spec: OutputSpec,
  expected: RefOutput,
  accuracy: Accuracy,
  actual: RefTensor,
  inputs: readonly RefTensor[],
): OutputMetrics {
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

  if (accuracy.kind === 'index-of-extreme') {
    const r = judgeIndexOfExtreme(accuracy, actual, inputs);
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
  const ref = expected.values;
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
  const factor = vr.factor;
  const scale = vr.scale;
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
      u = ulp(r);
      const hw = nUlps * u + (scale === null ? 0 : factor === Infinity ? Infinity : factor * (scale[i] as number));
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
        const rel = err / (r < 0 ? -r : r);
        if (rel > maxRel) maxRel = rel;
      }
      if (ulp !== null && rFinite) {
        const ue = err / (u === 0 ? ulp(r) : u);
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

function missing(index: number, spec: OutputSpec, accuracy: Accuracy | undefined, expected: RefOutput | undefined): OutputMetrics {
  const rule = accuracy ? ruleLabel(accuracy, spec.dtype, expected) : 'none';
  return structural(index, spec, rule, 'output missing');
}

function extra(index: number, t: RefTensor): OutputMetrics {
  return structural(index, { dtype: t.dtype, shape: t.shape }, 'none', 'unexpected output');
}

function summary(o: OutputMetrics): string {
  if (o.problem !== null) return `output ${o.index}: ${o.problem}`;
  const w = o.worst;
  const where = w ? `; worst at ${shapeText(w.index)}: actual ${w.actual}, expected ${w.expected}, allowed ${w.allowed}` : '';
  if (o.mismatches > 0) return `output ${o.index}: ${o.mismatches} of ${o.elements} elements outside ${o.rule}${where}`;
  return `output ${o.index}: margin ${o.margin === null ? 'unbounded' : String(o.margin)} under ${o.rule}${where}`;
}

/**
 * Judges all outputs of a case. A missing output or an extra one is recorded as an output with a problem
 * (an extra one with the dtype and shape the device returned), so the recorded metrics alone decide the status.
 */
export function judgeCase(
  specs: readonly OutputSpec[],
  expected: readonly RefOutput[],
  accuracies: readonly Accuracy[],
  actual: readonly RefTensor[],
  inputs: readonly RefTensor[],
): CaseJudgement {
  if (expected.length !== specs.length || accuracies.length !== specs.length) {
    throw new Error(`case has ${specs.length} output specs, ${expected.length} references and ${accuracies.length} accuracy rules`);
  }
  const outputs: OutputMetrics[] = [];
  specs.forEach((spec, i) => {
    const e = expected[i];
    const acc = accuracies[i];
    const a = actual[i];
    if (!e || !acc) throw new Error(`output ${i} lacks a reference or accuracy rule`);
    outputs.push(a ? judgeOutput(i, spec, e, acc, a, inputs) : missing(i, spec, acc, e));
  });
  for (let i = specs.length; i < actual.length; i++) {
    const a = actual[i];
    if (a) outputs.push(extra(i, a));
  }
  const status = statusFromOutputs(outputs);
  let message: string | null = null;
  if (status === 'fail') {
    const counts = actual.length !== specs.length ? `returned ${actual.length} outputs, expected ${specs.length}; ` : '';
    const first = outputs.find((o) => statusFromOutputs([o]) === 'fail');
    message = counts + (first ? summary(first) : 'failed');
  }
  return { status, message, outputs };
}
