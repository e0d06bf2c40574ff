import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { firstLine } from '../errors.js';
import { IN, assess, newAssessment, ruleLabel, valueRule, type Assessment, type ValueRule } from '../judge/interval.js';
import { digestBytes } from '../judge/repeat.js';
import { getOp } from '../ops/registry.js';
import { opCall, type OutputSpec, type RefOutput } from '../ops/types.js';
import { floatFormat, ulpFunction } from '../tensor/dtype.js';
import { contiguousBytes, fromValues, toRef } from '../tensor/materialize.js';
import type { InputSpec } from '../tensor/spec.js';
import { numel, type RefTensor, type TensorData } from '../tensor/tensor.js';
import { interpretReference, type TypedGraph } from '../graph/interpret.js';
import type { CollectiveCase, GraphCase, OpCase } from '../workload/case.js';
import { collectiveOutputSpecs, collectiveReference } from '../collective/reference.js';
import { caseInputDigest, caseInputs, inputDigest } from './inputs.js';
import { mixSeed } from '../tensor/prng.js';
import { MIN_CACHED_ELEMENTS, oracleCacheKey, readEntry, writeEntry, type OracleCacheConfig } from './oracle-cache.js';

/*
 * The oracle's side of a case: its inputs generated (the bytes the device gets, and their exact float64 values), then
 * the float64 reference, or the reference's answer from the disk cache. `computeOracle` is one pure function of its
 * task, run in the runner's thread for small cases and in a worker thread (oracle-pool.ts) for large ones: both give
 * the same bytes.
 */

/** One case for the oracle: plain data, so that it can travel to a worker thread. */
export interface OracleTask {
  case: OpCase;
  /** the user seed of `--seed`, or null */
  seed: string | null;
  /** where answers are cached, or null for no cache */
  cache: OracleCacheConfig | null;
}

export interface OracleResult {
  ok: true;
  /** the inputs as the device gets them */
  inputs: TensorData[];
  /** the same inputs' logical values, decoded exactly (what the reference read, and what property rules read) */
  refs: RefTensor[];
  /** sha256 of the inputs' bytes (inputs.ts) */
  inputDigest: string;
  /** the reference's answer, one per output */
  expected: RefOutput[];
  /** whether the answer came from the disk cache ('hit'), was computed and stored ('miss'), or is not cached ('off': no cache, or a case too small to be worth it) */
  cache: 'hit' | 'miss' | 'off';
  /** why the computed answer could not be stored, or null */
  cacheProblem: string | null;
}

export interface OracleFailure {
  ok: false;
  /** why the harness cannot run the case: one sentence for the result's message */
  message: string;
  inputDigest: string | null;
}

export type OracleAnswer = OracleResult | OracleFailure;

/** sha256 of the case's canonical (RFC 8785) JSON: the same digest means the same case, inputs and call. */
export function caseDigest(c: OpCase): string {
  const text = canonicalize(c);
  if (text === undefined) throw new Error(`case ${c.id} cannot be canonicalised`);
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The elements of all inputs: how much work generating and referencing a case is, roughly. */
export function oracleWork(c: { inputs: readonly InputSpec[] }): number {
  return c.inputs.reduce((n, spec) => n + numel(spec.shape), 0);
}

/** Outputs read from the cache, when they are what the op's outputs need (count, shape, one value per element). */
function fitting(outputs: Record<string, unknown>[], specs: readonly OutputSpec[]): RefOutput[] | null {
  if (outputs.length !== specs.length) return null;
  for (let i = 0; i < specs.length; i++) {
    const o = outputs[i] as Record<string, unknown>;
    const spec = specs[i] as OutputSpec;
    const shape = o['shape'];
    if (!Array.isArray(shape) || shape.length !== spec.shape.length || shape.some((d, k) => d !== spec.shape[k])) return null;
    if (!(o['values'] instanceof Float64Array) || o['values'].length !== numel(spec.shape)) return null;
  }
  return outputs as unknown as RefOutput[];
}

/**
 * The oracle's answer for one case: inputs (generated from the case's seed mixed with the user seed), their digest and
 * decoded values, and the reference's outputs, read from the cache when an entry for this case, seed, version and
 * code is there and intact, else computed (and stored). Never throws: a case the harness cannot run is a failure.
 */
export function computeOracle(task: OracleTask): OracleAnswer {
  const c = task.case;
  let inputs: TensorData[];
  try {
    inputs = caseInputs(c, task.seed);
  } catch (err) {
    return { ok: false, message: `the harness cannot generate this case's inputs: ${firstLine(err)}`, inputDigest: null };
  }
  const digest = inputDigest(inputs);
  try {
    const refs = inputs.map(toRef);
    const op = getOp(c.op);
    if (!op) return { ok: false, message: `the harness has no definition of ${c.op}`, inputDigest: digest };
    const bound = op.bind(opCall(c));
    const cache = task.cache && oracleWork(c) >= (task.cache.minElements ?? MIN_CACHED_ELEMENTS) ? task.cache : null;
    const key = cache ? oracleCacheKey(caseDigest(c), task.seed, cache) : null;
    if (cache && key) {
      const stored = readEntry(cache, key);
      const expected = stored && fitting(stored, bound.outputs);
      if (expected) return { ok: true, inputs, refs, inputDigest: digest, expected, cache: 'hit', cacheProblem: null };
    }
    const expected = bound.reference(refs);
    const cacheProblem = cache && key ? writeEntry(cache, key, expected) : null;
    return { ok: true, inputs, refs, inputDigest: digest, expected, cache: cache ? 'miss' : 'off', cacheProblem };
  } catch (err) {
    return { ok: false, message: `the reference cannot compute this case: ${firstLine(err)}`, inputDigest: digest };
  }
}

export type GraphOracleAnswer =
  | {
      ok: true;
      inputs: TensorData[];
      inputDigest: string;
      /** every value of the graph, inputs first: exact */
      values: RefTensor[];
      /** the same, as a typical conforming eager device computes them (interpret.ts) */
      ideal: RefTensor[];
    }
  | OracleFailure;

/** The last few graph answers: a model's eager and compiled cases share their inputs and so their answer. */
const graphAnswers = new Map<string, GraphOracleAnswer>();
const GRAPH_ANSWERS_KEPT = 4;

/**
 * The oracle's answer for a graph case: its inputs, and every value the graph defines interpreted in float64 from the
 * op definitions (interpret.ts), exactly and as an ideal eager device rounds them. Never throws: a case the harness
 * cannot run is a failure.
 */
export function computeGraphOracle(c: GraphCase, typed: TypedGraph, userSeed: string | null): GraphOracleAnswer {
  const text = canonicalize({ graph: c.graph, inputs: c.inputs, seed: c.seed, userSeed });
  const key = createHash('sha256').update(text ?? c.id).digest('hex');
  const kept = graphAnswers.get(key);
  if (kept) return kept;
  const answer = graphAnswer(c, typed, userSeed);
  graphAnswers.set(key, answer);
  if (graphAnswers.size > GRAPH_ANSWERS_KEPT) graphAnswers.delete(graphAnswers.keys().next().value as string);
  return answer;
}

function graphAnswer(c: GraphCase, typed: TypedGraph, userSeed: string | null): GraphOracleAnswer {
  let inputs: TensorData[];
  try {
    inputs = caseInputs(c, userSeed);
  } catch (err) {
    return { ok: false, message: `the harness cannot generate this case's inputs: ${firstLine(err)}`, inputDigest: null };
  }
  const digest = inputDigest(inputs);
  try {
    const refs = inputs.map(toRef);
    return { ok: true, inputs, inputDigest: digest, values: interpretReference(typed, refs), ideal: interpretReference(typed, refs, mixSeed(c.seed, userSeed)) };
  } catch (err) {
    return { ok: false, message: `the reference cannot compute this graph: ${firstLine(err)}`, inputDigest: digest };
  }
}

/** A case's input digest alone, for `verify`: its inputs (any workload kind) and seeds. */
export interface DigestTask {
  inputs: readonly InputSpec[];
  /** the case's own seed */
  seed: string;
  userSeed: string | null;
  /** the workload kind: bench cases draw their inputs in blocks (inputs.ts) */
  kind?: string;
}

export type DigestAnswer = { ok: true; digest: string } | { ok: false; message: string };

/** The digest a run of the case with the user seed records (inputs.ts); never throws. */
export function computeInputDigest(task: DigestTask): DigestAnswer {
  try {
    return { ok: true, digest: caseInputDigest(task, task.userSeed) };
  } catch (err) {
    return { ok: false, message: `the harness cannot generate this case's inputs: ${firstLine(err)}` };
  }
}

/**
 * The rule labels (`ruleLabel`, judge/interval.ts) under which an element admits at most one value: `exact` (every
 * integer and bool output; floats with the sign of a zero free), `exact(signed-zero)` (bit for bit) and
 * `correctly-rounded` (ulp 0.5). Every other label admits several answers by design: a tolerance, any of several writes
 * or source indices (`exact(any-write)`, `exact(signed-zero,any-index)`), any order, an index property, a law. Even
 * under these three an element may admit two values (a zero whose sign is free, a tie: `floatOthers`),
 * which only the reference's values tell.
 */
export const SINGLE_ANSWER_RULES: readonly string[] = ['exact', 'exact(signed-zero)', 'correctly-rounded'];

/** Whether every output of a call is judged under a single-answer rule, in one dtype (an alternative dtype is another answer). */
export function singleAnswerRules(outputs: readonly OutputSpec[]): boolean {
  return outputs.every((o) => (o.alternativeDtypes ?? []).length === 0 && SINGLE_ANSWER_RULES.includes(ruleLabel(o.accuracy, o.dtype)));
}

/** A case's expected output digest, for `verify`: the case and the user seed of `--seed` (or null). */
export interface ExpectedDigestTask {
  /** an op case, or a collective (every rank's answer from the collective reference) */
  case: OpCase | CollectiveCase;
  seed: string | null;
}

/**
 * sha256 of the only output bytes the case's rules admit (null: they admit more than one), with the input digest when
 * the inputs were generated for it (null: the rules alone ruled the case out), or why it cannot be computed.
 */
export type ExpectedDigestAnswer = { ok: true; digest: string | null; inputDigest: string | null } | { ok: false; message: string };

/**
 * The `outputDigest` every passing run of the case must record when its acceptance rules admit exactly one answer: the
 * inputs and reference exactly as the runner computes them (`computeOracle`, without a cache), each element rounded to
 * its output dtype as the judge rounds it, hashed as `judgeCase` hashes a device's outputs. Never throws.
 */
export function computeExpectedDigest(task: ExpectedDigestTask): ExpectedDigestAnswer {
  const c = task.case;
  if (c.kind === 'collective') return collectiveExpectedDigest(c, task.seed);
  let outputs: OutputSpec[];
  try {
    const op = getOp(c.op);
    if (!op) return { ok: false, message: `the harness has no definition of ${c.op}` };
    outputs = op.bind(opCall(c)).outputs;
  } catch (err) {
    return { ok: false, message: `the reference cannot compute this case: ${firstLine(err)}` };
  }
  // a tolerance or a property admits many answers whatever the values: no input needs generating
  if (!singleAnswerRules(outputs)) return { ok: true, digest: null, inputDigest: null };
  const answer = computeOracle({ case: c, seed: task.seed, cache: null });
  if (!answer.ok) return { ok: false, message: answer.message };
  try {
    const bytes = onlyAnswerBytes(outputs, answer.expected);
    return { ok: true, digest: bytes === null ? null : digestBytes(bytes), inputDigest: answer.inputDigest };
  } catch (err) {
    return { ok: false, message: `the expected outputs cannot be derived: ${firstLine(err)}` };
  }
}

/** computeExpectedDigest of a collective: every rank's one answer, where its rules admit only one (copies, max, integer sums). */
function collectiveExpectedDigest(c: CollectiveCase, seed: string | null): ExpectedDigestAnswer {
  const outputs = collectiveOutputSpecs(c.collective, c.dtype, c.inputs[0]?.shape ?? []);
  if (!singleAnswerRules(outputs)) return { ok: true, digest: null, inputDigest: null };
  try {
    const inputs = caseInputs(c, seed);
    const x = toRef(inputs[0] as TensorData);
    const bytes = onlyAnswerBytes(outputs, collectiveReference(c.collective, x).expected);
    return { ok: true, digest: bytes === null ? null : digestBytes(bytes), inputDigest: inputDigest(inputs) };
  } catch (err) {
    return { ok: false, message: `the expected outputs cannot be derived: ${firstLine(err)}` };
  }
}

/**
 * Every output's bytes as the one answer its rule admits (contiguous, in the output dtype, as a device returns them),
 * or null when some element of some output admits more than one value. Throws for a harness bug: a reference whose
 * own rounding its rule rejects.
 */
export function onlyAnswerBytes(outputs: readonly OutputSpec[], expected: readonly RefOutput[]): Uint8Array[] | null {
  if (expected.length !== outputs.length) throw new Error(`${outputs.length} outputs but ${expected.length} references`);
  const bytes: Uint8Array[] = [];
  for (let k = 0; k < outputs.length; k++) {
    const spec = outputs[k] as OutputSpec;
    const ref = expected[k] as RefOutput;
    const values = onlyAnswer(valueRule(spec.accuracy, spec.dtype, ref), ref.values);
    if (values === null) return null;
    bytes.push(contiguousBytes(fromValues(spec.dtype, spec.shape, values)));
  }
  return bytes;
}

/** Each element's one admissible value (the reference cast to the dtype, as the judge casts it), or null. */
function onlyAnswer(rule: ValueRule, refs: Float64Array): Float64Array | null {
  const others = rule.isFloat ? floatOthers(rule) : integerOthers(rule);
  const s = newAssessment();
  const out = new Float64Array(refs.length);
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i] as number;
    const c = rule.cast(r);
    // a NaN's payload and sign are free (docs/numerics.md): its bytes are the device's choice
    if (c !== c) return null;
    assess(rule, i, r, c, s);
    if (s.verdict !== IN) throw new Error(`the rule ${rule.label} rejects the reference's own ${rule.dtype} value ${c} at element ${i}`);
    if (others(i, r, c, s)) return null;
    out[i] = c;
  }
  return out;
}

/** Whether a value other than c passes at element i (r its reference). */
type OthersAdmitted = (i: number, r: number, c: number, s: Assessment) => boolean;

/**
 * Integers and bool have one encoding per value, except int64 beyond 2^53, where several integers decode to the
 * double the judge compares (the reference cannot tell them apart either).
 */
function integerOthers(rule: ValueRule): OthersAdmitted {
  return rule.dtype === 'int64' ? (_i, _r, c) => !Number.isSafeInteger(c) : () => false;
}

/**
 * For a float dtype, whether the judge also accepts a neighbour of c: the next representable value either side (the
 * spacing below a power of two is half the one above; the judge measures a correctly rounded answer toward zero in
 * that finer spacing, so 2^k's predecessor is a whole ULP away, not half of one), the other zero (the sign of a zero is free under `exact` and `correctly-rounded`), the
 * overflow values and NaN. Acceptance intervals are convex, so when neither neighbour passes no farther value does.
 */
function floatOthers(rule: ValueRule): OthersAdmitted {
  const spacing = ulpFunction(rule.dtype);
  const { maxFinite } = floatFormat(rule.dtype);
  const sub = spacing(0);
  return (i, r, c, s) => {
    const admits = (x: number): boolean => {
      assess(rule, i, r, x, s);
      return s.verdict === IN;
    };
    // NaN stands for e4m3fn's overflow too; ±inf exist only where the format has them
    if (admits(NaN) || (rule.hasInfinity && ((c !== Infinity && admits(Infinity)) || (c !== -Infinity && admits(-Infinity))))) return true;
    if (c === Infinity || c === -Infinity) return admits(Math.sign(c) * maxFinite);
    if (c === 0) return admits(-c) || admits(sub) || admits(-sub);
    const a = Math.abs(c);
    const up = a + spacing(a);
    const down = a - spacing(a - spacing(a) / 2);
    const sign = c < 0 ? -1 : 1;
    return (up <= maxFinite && admits(sign * up)) || admits(sign * down);
  };
}

/** What a thread of the pool is asked to do, and what it answers. */
export type Job = { kind: 'answer'; task: OracleTask } | { kind: 'inputDigest'; task: DigestTask } | { kind: 'expectedDigest'; task: ExpectedDigestTask };
export type Reply =
  | { kind: 'answer'; answer: OracleAnswer }
  | { kind: 'inputDigest'; digest: DigestAnswer }
  | { kind: 'expectedDigest'; digest: ExpectedDigestAnswer };

export function runJob(job: Job): Reply {
  switch (job.kind) {
    case 'answer':
      return { kind: 'answer', answer: computeOracle(job.task) };
    case 'inputDigest':
      return { kind: 'inputDigest', digest: computeInputDigest(job.task) };
    case 'expectedDigest':
      return { kind: 'expectedDigest', digest: computeExpectedDigest(job.task) };
  }
}

/** The reply of a job that could not run: why, in one sentence. */
export function failedReply(job: Job, message: string): Reply {
  switch (job.kind) {
    case 'answer':
      return { kind: 'answer', answer: { ok: false, message, inputDigest: null } };
    case 'inputDigest':
      return { kind: 'inputDigest', digest: { ok: false, message } };
    case 'expectedDigest':
      return { kind: 'expectedDigest', digest: { ok: false, message } };
  }
}

/**
 * The buffers an answer can hand to another thread instead of copying: each one that some typed array of the answer
 * covers whole (a buffer shared with something else, such as Node's pool of small buffers, is copied instead).
 */
export function transferables(reply: Reply | OracleAnswer): ArrayBuffer[] {
  const answer = 'kind' in reply ? (reply.kind === 'answer' ? reply.answer : null) : reply;
  if (!answer?.ok) return [];
  const buffers = new Set<ArrayBuffer>();
  const add = (v: unknown): void => {
    if (!ArrayBuffer.isView(v) || !(v.buffer instanceof ArrayBuffer)) return;
    if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) buffers.add(v.buffer);
  };
  for (const t of answer.inputs) add(t.storage);
  for (const r of answer.refs) add(r.values);
  for (const o of answer.expected) for (const v of Object.values(o)) add(v);
  return [...buffers];
}

/** Computes cases' oracle answers: in this thread, or on a pool of worker threads (oracle-pool.ts). */
export interface Oracle {
  /** how many cases it computes at once off this thread (0: none); the runner asks for up to four times this many ahead of the device */
  readonly parallelism: number;
  /** whether the case is computed off this thread (then it is worth asking for ahead of time) */
  offloads(c: OpCase): boolean;
  /** the case's answer; never rejects */
  compute(c: OpCase, seed: string | null): Promise<OracleAnswer>;
  /** stops its threads; answers still pending resolve as failures */
  close(): Promise<void>;
  /** how many answers came from the cache, were computed, and the first reason an answer could not be stored */
  readonly stats: OracleStats;
}

export interface OracleStats {
  hits: number;
  computed: number;
  offloaded: number;
  cacheProblem: string | null;
}

export function newStats(): OracleStats {
  return { hits: 0, computed: 0, offloaded: 0, cacheProblem: null };
}

export function count(stats: OracleStats, answer: OracleAnswer): OracleAnswer {
  if (answer.ok) {
    if (answer.cache === 'hit') stats.hits += 1;
    else stats.computed += 1;
    stats.cacheProblem ??= answer.cacheProblem;
  }
  return answer;
}

/** The oracle in the runner's own thread (what the runner always did), with an optional cache. */
export function inThreadOracle(cache: OracleCacheConfig | null = null): Oracle {
  const stats = newStats();
  return {
    parallelism: 0,
    stats,
    offloads: () => false,
    compute: (c, seed) => Promise.resolve(count(stats, computeOracle({ case: c, seed, cache }))),
    close: () => Promise.resolve(),
  };
}
