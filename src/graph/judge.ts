import type { TypedGraph } from './interpret.js';
import { isFloating, unitRoundoff, type DType } from '../tensor/dtype.js';
import { contiguousBytes, toRef } from '../tensor/materialize.js';
import { unravelIndex, type RefTensor } from '../tensor/tensor.js';
import type { TaskCheck } from '../workload/graph.js';
import { describeOutput } from '../judge/describe.js';
import { formatValue } from '../judge/format.js';
import { judgeOutput, structural, type Answers } from '../judge/judge.js';
import { compareRepeat, digestBytes } from '../judge/repeat.js';
import { outputFailed, statusFromOutputs, type CaseJudgement, type OutputMetrics } from '../judge/result.js';

/*
 * Judging a model (docs/numerics.md, Models). Every value a node defines and a later node reads (or the graph
 * returns) is compared with the float64 reference r: element i passes when
 *   |a − r| ≤ MODEL_FACTOR · (u · (|r| + rms(r)) + |d| + rms(d)),
 * where rms is a tensor's root mean square, u the unit roundoff of the coarsest floating dtype on any path from the
 * inputs to the value, and d the error of a typical conforming eager device (interpret.ts: every node's output off by
 * the error its op's accuracy model calls typical, then rounded to its dtype). The d term follows how errors grow
 * through this model's depth and conditioning (softmax over large logits, cancellation, normalisation); the u term is
 * a floor of one rounding in the coarsest dtype. It is PyTorch's own accuracy test of compiled models (a float64
 * reference, and an eager run's error as the yardstick) made independent of any one device. The factor was measured
 * on PyTorch CPU and on the fault fixtures (docs/numerics.md). Integer and bool values (greedy tokens, positions) must
 * be exact. On top come the task-level checks of the case.
 * The case fails when a value leaves its bound or a check fails; the first node (in graph order) whose output
 * leaves its bound is named, so a vendor knows where to look.
 */

/** How many times a typical conforming device's error (plus one rounding) a device may make */
export const MODEL_FACTOR = 12;

/** The rule label of a graph value: its node and the dtype whose rounding its floor counts. */
export function modelRuleLabel(node: string, path: DType | null): string {
  return path === null ? `exact(${node})` : `model(${node}, ${path} path)`;
}

/** What the oracle expects of a graph case: the typed graph, every value's float64 reference, and the checks. */
export interface GraphExpectation {
  typed: TypedGraph;
  /** every value (inputs first), exact float64 */
  expected: readonly RefTensor[];
  /** every value as a typical conforming eager device computes it (interpret.ts) */
  ideal: readonly RefTensor[];
  checks: readonly TaskCheck[];
}

/** The first node whose output left its bound: where a vendor starts looking. */
export interface Divergence {
  node: string;
  op: string;
  /** the value's number in the graph */
  value: number;
  /** its metrics */
  metrics: OutputMetrics;
  /** the position of its metrics in the judgement's outputs */
  output: number;
}

export interface GraphJudgement extends CaseJudgement {
  divergence: Divergence | null;
}

interface Measured {
  metrics: OutputMetrics;
  /** per element, what was allowed (float values; null for exact ones) */
  allowed: Float64Array | null;
}

function rms(values: Float64Array): number {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    s += v * v;
    n++;
  }
  return n === 0 ? 0 : Math.sqrt(s / n);
}

/**
 * Compares one value with its reference: integers and bool exactly (the judge's own exact rule), floating values
 * under the model bound.
 */
function measure(index: number, label: string, expected: RefTensor, ideal: RefTensor, actual: RefTensor, path: DType | null, alternatives: readonly DType[] = []): Measured {
  const rule = modelRuleLabel(label, path);
  if (!isFloating(expected.dtype) || path === null) {
    const spec = { dtype: expected.dtype, shape: expected.shape, accuracy: { kind: 'exact' as const }, alternativeDtypes: [...alternatives] };
    return { metrics: { ...judgeOutput(index, spec, expected, actual, []), rule }, allowed: null };
  }
  if (actual.dtype !== expected.dtype && !alternatives.includes(actual.dtype)) {
    return { metrics: structural(index, expected, rule, `dtype ${actual.dtype}, expected ${expected.dtype}`), allowed: null };
  }
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return { metrics: structural(index, expected, rule, `shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`), allowed: null };
  }
  const u = unitRoundoff(path);
  const r = expected.values;
  const a = actual.values;
  const scale = rms(r);
  // the typical device's error, element by element, and its scale (non-finite where r is: not used there)
  const d = ideal.values.map((x, i) => x - (r[i] as number));
  const idealScale = rms(d);
  const allowed = new Float64Array(r.length);
  let mismatches = 0;
  let margin: number | null = 0;
  let worst = -1;
  let maxAbs = 0;
  let maxRel = 0;
  let measured = false;
  for (let i = 0; i < r.length; i++) {
    const e = r[i] as number;
    const x = a[i] as number;
    if (!Number.isFinite(e) || !Number.isFinite(x)) {
      // NaN and ±inf must sit exactly where the reference has them
      if (Object.is(e, x) || (Number.isNaN(e) && Number.isNaN(x))) continue;
      mismatches++;
      if (margin !== null) worst = i;
      margin = null;
      continue;
    }
    const err = Math.abs(x - e);
    measured = true;
    maxAbs = Math.max(maxAbs, err);
    if (e !== 0) maxRel = Math.max(maxRel, err / Math.abs(e));
    const allow = MODEL_FACTOR * (u * (Math.abs(e) + scale) + (Number.isFinite(d[i]) ? Math.abs(d[i] as number) : 0) + idealScale);
    allowed[i] = allow;
    const ratio = err === 0 ? 0 : allow > 0 ? err / allow : Infinity;
    if (ratio > 1) mismatches++;
    if (margin !== null && ratio > margin) {
      margin = ratio;
      worst = i;
    }
  }
  if (margin === Infinity) margin = null;
  const metrics: OutputMetrics = {
    index,
    dtype: expected.dtype,
    shape: [...expected.shape],
    rule,
    elements: r.length,
    mismatches,
    maxAbsError: measured ? maxAbs : null,
    maxRelError: measured ? maxRel : null,
    maxUlpError: null,
    margin,
    worst:
      worst < 0 || margin === 0
        ? null
        : { index: unravelIndex(worst, expected.shape), actual: formatValue(a[worst] as number), expected: formatValue(r[worst] as number), allowed: formatValue(allowed[worst] as number) },
    problem: null,
  };
  return { metrics, allowed };
}

function countDifferent(r: Float64Array, a: Float64Array): number {
  let n = 0;
  for (let i = 0; i < r.length; i++) if (!Object.is(r[i], a[i]) && !(Number.isNaN(r[i]) && Number.isNaN(a[i]))) n++;
  return n;
}

/** Index of the largest element of row p (length n): NaN counts as largest, as torch.argmax does. */
function argmaxRow(v: Float64Array, p: number, n: number): number {
  let best = p * n;
  for (let i = p * n + 1; i < (p + 1) * n; i++) {
    const x = v[i] as number;
    const b = v[best] as number;
    if (Number.isNaN(b)) break;
    if (Number.isNaN(x) || x > b) best = i;
  }
  return best - p * n;
}

/**
 * Whether the device's choice j in row p agrees with the reference's: the same index, or one the reference ranks
 * within the bound of its best (a tie at this precision, which a correct device may break either way).
 */
function agrees(ref: Float64Array, allowed: Float64Array | null, p: number, n: number, j: number): boolean {
  const i = argmaxRow(ref, p, n);
  if (i === j) return true;
  if (!allowed) return false;
  const ri = ref[p * n + i] as number;
  const rj = ref[p * n + j] as number;
  return ri - rj <= (allowed[p * n + i] as number) + (allowed[p * n + j] as number);
}

function lastDim(t: RefTensor): { rows: number; n: number } {
  const n = t.shape.length === 0 ? 1 : (t.shape[t.shape.length - 1] as number);
  return { rows: n === 0 ? 0 : t.values.length / n, n };
}

/** One task-level check, recorded as metrics over the positions it looks at (docs/report-format.md). */
function judgeCheck(index: number, check: TaskCheck, expected: RefTensor, actual: RefTensor, allowed: Float64Array | null): OutputMetrics {
  const { rows, n } = lastDim(expected);
  const base = { index, dtype: expected.dtype, shape: [rows], elements: rows, maxAbsError: null, maxUlpError: null, problem: null };
  if (actual.values.length !== expected.values.length) return structural(index, { dtype: expected.dtype, shape: [rows] }, check.kind, 'shape differs from the reference');
  if (check.kind === 'tokens') {
    const different = countDifferent(expected.values, actual.values);
    const first = expected.values.findIndex((v, i) => !Object.is(v, actual.values[i]));
    return {
      ...base,
      shape: [...expected.shape],
      elements: expected.values.length,
      rule: 'tokens identical',
      mismatches: different,
      maxRelError: null,
      margin: different === 0 ? 0 : null,
      worst:
        first < 0
          ? null
          : { index: unravelIndex(first, expected.shape), actual: formatValue(actual.values[first] as number), expected: formatValue(expected.values[first] as number), allowed: '0' },
    };
  }
  if (check.kind === 'top1') {
    let disagree = 0;
    let firstBad = -1;
    for (let p = 0; p < rows; p++) {
      if (!agrees(expected.values, allowed, p, n, argmaxRow(actual.values, p, n))) {
        disagree++;
        if (firstBad < 0) firstBad = p;
      }
    }
    const share = rows === 0 ? 0 : disagree / rows;
    const margin = share === 0 ? 0 : check.min >= 1 ? null : share / (1 - check.min);
    const failed = margin === null || margin > 1;
    return {
      ...base,
      rule: `top1≥${check.min}`,
      mismatches: failed ? disagree : 0,
      maxRelError: share,
      margin,
      worst:
        firstBad < 0
          ? null
          : { index: [firstBad], actual: String(argmaxRow(actual.values, firstBad, n)), expected: String(argmaxRow(expected.values, firstBad, n)), allowed: String(1 - check.min) },
    };
  }
  // cosine similarity per row
  let worstCos = 1;
  let worstRow = -1;
  let below = 0;
  for (let p = 0; p < rows; p++) {
    let dot = 0;
    let na = 0;
    let ne = 0;
    for (let i = p * n; i < (p + 1) * n; i++) {
      const x = actual.values[i] as number;
      const e = expected.values[i] as number;
      dot += x * e;
      na += x * x;
      ne += e * e;
    }
    const cos = na === 0 && ne === 0 ? 1 : dot / Math.sqrt(na * ne);
    const c = Number.isNaN(cos) ? -Infinity : cos;
    if (c < check.min) below++;
    if (worstRow < 0 || c < worstCos) {
      worstCos = c;
      worstRow = p;
    }
  }
  const margin = worstCos >= 1 ? 0 : Number.isFinite(worstCos) ? (1 - worstCos) / (1 - check.min) : null;
  return {
    ...base,
    rule: `cosine≥${check.min}`,
    mismatches: below,
    maxRelError: Number.isFinite(worstCos) ? 1 - worstCos : null,
    margin,
    // as for values: |actual − expected| / allowed is the margin
    worst: worstRow < 0 || margin === 0 ? null : { index: [worstRow], actual: formatValue(worstCos), expected: '1', allowed: formatValue(1 - check.min) },
  };
}

/** The values the device returned, by value number (inputs from the request), or why they cannot be read. */
function deviceValues(typed: TypedGraph, inputs: readonly RefTensor[], first: readonly RefTensor[]): (RefTensor | undefined)[] | string {
  const all = typed.values.length - typed.inputs;
  if (first.length === all) return [...inputs, ...first];
  const outs = typed.graph.outputs;
  if (first.length === outs.length) {
    // a device that returned only the graph's outputs: no localisation
    const values: (RefTensor | undefined)[] = [...inputs];
    outs.forEach((v, i) => (values[v] = first[i]));
    return values;
  }
  return `returned ${first.length} tensors, expected ${all} (every node value) or ${outs.length} (the graph's outputs)`;
}

/** Values downstream of a token the device chose differently at a tie: a legitimate other continuation, not compared. */
function taintAfterTies(typed: TypedGraph, expected: readonly RefTensor[], device: readonly (RefTensor | undefined)[], allowedOf: (v: number) => Float64Array | null): Set<number> {
  const tainted = new Set<number>();
  for (const n of typed.nodes) {
    const readsTainted = n.call.reads.some((v) => tainted.has(v));
    const outs = n.bound.outputs.map((_, i) => n.first + i);
    if (readsTainted) {
      outs.forEach((v) => tainted.add(v));
      continue;
    }
    if (n.node.op !== 'aten.argmax.default') continue;
    const src = n.call.reads[0] as number;
    const got = device[n.first];
    const ref = expected[n.first];
    const logits = expected[src];
    if (!got || !ref || !logits || countDifferent(ref.values, got.values) === 0) continue;
    const { n: width } = lastDim(logits);
    const allowed = allowedOf(src);
    const tie = ref.values.every((_, p) => Object.is(ref.values[p], got.values[p]) || agrees(logits.values, allowed, p, width, got.values[p] as number));
    if (tie) outs.forEach((v) => tainted.add(v));
  }
  return tainted;
}

/**
 * Judges a graph case the device answered (with every node value, or only the graph's outputs). Metrics: one per
 * graph output, one per task check, and, when the first value out of bound is not a graph output, one for it.
 */
export function judgeGraphCase(e: GraphExpectation, answers: Answers): GraphJudgement {
  const { typed, expected } = e;
  const inputs = expected.slice(0, typed.inputs);
  const actual = answers.first.map(toRef);
  const firstBytes = answers.first.map(contiguousBytes);
  const outputDigest = digestBytes(firstBytes);
  const values = deviceValues(typed, inputs, actual);
  const label = (v: number): string => {
    const p = typed.producer[v] as number;
    return p < 0 ? (typed.graph.placeholders?.[v]?.name ?? `input ${v}`) : (typed.nodes[p]?.node.name ?? `value ${v}`);
  };
  if (typeof values === 'string') {
    const metrics = typed.graph.outputs.map((v, i) => structural(i, typed.values[v] as { dtype: DType; shape: number[] }, `model(${label(v)})`, values));
    return { status: 'fail', message: `the device ${values}`, outputs: metrics, outputDigest, repeatDigest: null, divergence: null };
  }

  // every value measured once, in value order, as the judge reaches it
  const cache = new Map<number, Measured>();
  const measured = (v: number, index: number): Measured => {
    let m = cache.get(v);
    if (!m) {
      const got = values[v] as RefTensor;
      const alternatives = typed.nodes[typed.producer[v] as number]?.bound.outputs[v - (typed.nodes[typed.producer[v] as number]?.first ?? 0)]?.alternativeDtypes;
      m = measure(index, label(v), expected[v] as RefTensor, e.ideal[v] as RefTensor, got, typed.pathDtypes[v] ?? null, alternatives);
      cache.set(v, m);
    }
    return { ...m, metrics: { ...m.metrics, index } };
  };
  const tainted = taintAfterTies(typed, expected, values, (v) => (values[v] ? measured(v, 0).allowed : null));

  const outputs: OutputMetrics[] = typed.graph.outputs.map((v, i) => {
    const spec = typed.values[v] as { dtype: DType; shape: number[] };
    if (tainted.has(v)) return { ...structural(i, spec, `not compared(${label(v)}): follows a token chosen differently at a tie`, ''), problem: null, margin: 0 };
    return values[v] ? measured(v, i).metrics : structural(i, spec, `model(${label(v)})`, 'missing');
  });
  e.checks.forEach((check, k) => {
    const v = typed.graph.outputs[check.output] as number;
    const got = values[v];
    const index = typed.graph.outputs.length + k;
    if (!got || tainted.has(v)) {
      outputs.push(structural(index, typed.values[v] as { dtype: DType; shape: number[] }, check.kind, got ? 'follows a token chosen differently at a tie' : 'missing'));
      return;
    }
    outputs.push(judgeCheck(index, check, expected[v] as RefTensor, got, measured(v, index).allowed));
  });

  // the first node, in graph order, whose output (read later or returned) leaves its bound
  let divergence: Divergence | null = null;
  for (const n of typed.nodes) {
    for (let i = 0; i < n.node.outputs && !divergence; i++) {
      const v = n.first + i;
      if (!typed.used[v] || tainted.has(v) || !values[v]) continue;
      const returned = typed.graph.outputs.indexOf(v);
      const output = returned >= 0 ? returned : outputs.length;
      const m = measured(v, output).metrics;
      if (outputFailed(m)) divergence = { node: n.node.name, op: n.node.op, value: v, metrics: m, output };
    }
    if (divergence) break;
  }
  if (divergence && divergence.output === outputs.length) outputs.push(divergence.metrics);

  let repeatDigest: string | null = null;
  if (answers.repeat !== null) {
    const repeatBytes = answers.repeat.map(contiguousBytes);
    repeatDigest = digestBytes(repeatBytes);
    // a graph must give the same bytes again (numerics policy 6): compared on its outputs' metrics
    const byOutput = typed.graph.outputs.map((v) => (actual.length === typed.values.length - typed.inputs ? v - typed.inputs : typed.graph.outputs.indexOf(v)));
    compareRepeat(
      byOutput.map((k) => firstBytes[k] ?? new Uint8Array()),
      byOutput.map((k) => (answers.repeat?.[k] ? contiguousBytes(answers.repeat[k]) : new Uint8Array())),
      outputs,
    );
  }
  const status = statusFromOutputs(outputs);
  return { status, message: status === 'pass' ? null : graphMessage(outputs, divergence), outputs, outputDigest, repeatDigest, divergence };
}

function graphMessage(outputs: readonly OutputMetrics[], divergence: Divergence | null): string {
  const first = outputs.find(outputFailed);
  const head = first ? describeOutput(first) : 'failed';
  if (!divergence) return head;
  const m = divergence.metrics;
  const where = m.problem ?? `margin ${m.margin === null ? 'unbounded' : m.margin.toPrecision(3)}${m.worst ? ` at [${m.worst.index.join(',')}]` : ''}`;
  return `first node out of bound: ${divergence.node} (${divergence.op}), ${where}; ${head}`;
}
