import { workloadProblem, type Capabilities } from '../device/device.js';
import type { ExecRequest } from '../drivers/types.js';
import { firstLine } from '../errors.js';
import { typeGraph, type TypedGraph } from '../graph/interpret.js';
import { judgeGraphCase, type Divergence } from '../graph/judge.js';
import { judgeCase, type Answers } from '../judge/judge.js';
import type { CaseJudgement } from '../judge/result.js';
import { getOp } from '../ops/registry.js';
import { opCall, type BoundOp } from '../ops/types.js';
import { caseOps, type BenchCase, type Case, type CollectiveCase, type GraphCase, type OpCase } from '../workload/case.js';
import { collectiveProblem } from '../workload/collective.js';
import { collectiveReference } from '../collective/reference.js';
import { judgeCollective } from '../collective/judge.js';
import { toRef } from '../tensor/materialize.js';
import type { TensorData } from '../tensor/tensor.js';
import type { BenchTiming } from '../workload/bench.js';
import { measurement } from '../bench/measure.js';
import { caseInputs, inputDigest } from './inputs.js';
import type { BenchMeasurement } from './result.js';
import { graphProblem } from '../workload/graph.js';
import { computeGraphOracle, inThreadOracle, type Oracle, type OracleAnswer } from './oracle.js';

/** How the runner runs one case: the request the device gets, and what the oracle expects of its answer. */
export type CasePlan = {
  request: ExecRequest;
  /** run the request a second time and compare bytes (numerics policy 6); false when documented as nondeterministic */
  repeat: boolean;
  /** sha256 of the inputs' bytes (see inputs.ts) */
  inputDigest: string;
} & (
  | {
      /** judges the device's answers against the oracle's, computed before the device is asked: it never sees them first */
      judge: (answers: Answers) => Judged;
      measure?: undefined;
    }
  | {
      /** bench cases: the measurement from the device's timing (a benchmark is measured, not judged) */
      measure: (timing: BenchTiming) => BenchMeasurement;
      judge?: undefined;
    }
);

/** A case the runner does not send: why, and the status that says whose limit it is. */
export interface NotRun {
  /** skip: a benchmark the device cannot run (a dtype or op it lacks) is not applicable there */
  status: 'error' | 'unsupported' | 'skip';
  message: string;
  /** the digest of the inputs, when they were generated before the case was given up */
  inputDigest?: string;
}

/** What the judge decides, and for a model the first node that left its bound. */
export type Judged = CaseJudgement & { divergence?: Divergence | null };

/**
 * A case the runner can send: an op case, its op bound to the call (outputs, acceptance rules, determinism), or a
 * graph case, typed node by node.
 */
export type Runnable =
  | { c: OpCase; bound: BoundOp }
  | { c: GraphCase; typed: TypedGraph }
  | { c: BenchCase; bench: true }
  | { c: CollectiveCase; collective: true };

/**
 * What can be known of a case before any input exists, by workload kind. A kind this accelcert cannot run yet, an op
 * it does not define, or a call its op rejects is an `error` (the harness's limit); a kind, dtype or op the session
 * does not offer is `unsupported` (the device's).
 */
export function checkCase(c: Case, caps: Capabilities): Runnable | NotRun {
  if (c.kind === 'bench') return checkBench(c, caps);
  if (c.kind === 'graph') return checkGraph(c, caps);
  if (c.kind === 'collective') return checkCollective(c, caps);
  const op = getOp(c.op);
  if (!op) return { status: 'error', message: `the harness has no definition of ${c.op}` };
  const unsupported = deviceProblem(c, caps);
  if (unsupported) return { status: 'unsupported', message: `not sent: ${unsupported}` };
  try {
    return { c, bound: op.bind(opCall(c)) };
  } catch (err) {
    return { status: 'error', message: `the reference cannot compute this case: ${firstLine(err)}` };
  }
}

function checkGraph(c: GraphCase, caps: Capabilities): Runnable | NotRun {
  const problem = graphProblem(c.graph, c.inputs.length);
  if (problem) return { status: 'error', message: `the graph is malformed: ${problem}` };
  const undefinedOp = caseOps(c).find((o) => !getOp(o));
  if (undefinedOp) return { status: 'error', message: `the harness has no definition of ${undefinedOp}` };
  const unsupported = deviceProblem(c, caps);
  if (unsupported) return { status: 'unsupported', message: `not sent: ${unsupported}` };
  try {
    return { c, typed: typeGraph(c.graph, c.inputs) };
  } catch (err) {
    return { status: 'error', message: `the reference cannot type this graph: ${firstLine(err)}` };
  }
}

/**
 * A benchmark needs no reference. A session without bench workloads cannot be measured at all (`unsupported`); one
 * that lacks the benchmark's dtype or op skips it as not applicable (float8 GEMMs on a device without float8).
 */
function checkBench(c: BenchCase, caps: Capabilities): Runnable | NotRun {
  const kind = workloadProblem(caps, c.kind);
  if (kind) return { status: 'unsupported', message: kind };
  const problem = deviceProblem(c, caps) ?? ranksProblem(c, caps);
  if (problem) return { status: 'skip', message: `not applicable: ${problem}` };
  return { c, bench: true };
}

/** Why a session cannot form the ranks a collective benchmark times, or null (not a collective, or it can). */
function ranksProblem(c: BenchCase, caps: Capabilities): string | null {
  const w = c.bench.workload;
  return w.kind === 'collective' ? (ranksShortfall(w.collective.ranks, caps, 'the benchmark')?.message ?? null) : null;
}

/**
 * Whether a session forms fewer ranks than `ranks` (capabilities.collectives.maxRanks), and in which words: `none`
 * when it forms no ranks at all (fewer than 2), or null when it forms enough.
 */
function ranksShortfall(ranks: number, caps: Capabilities, what: string): { none: boolean; message: string } | null {
  const maxRanks = caps.collectives?.maxRanks ?? 0;
  if (ranks <= maxRanks) return null;
  if (maxRanks < 2) return { none: true, message: 'the device forms no ranks for collectives (capabilities.collectives.maxRanks)' };
  return { none: false, message: `${what} needs ${ranks} ranks; the device forms at most ${maxRanks} (capabilities.collectives.maxRanks)` };
}

/**
 * A collective needs a session that forms ranks. One that forms fewer than the case needs skips it as not applicable
 * (a node of 4 devices has no 8-rank collective), as long as it forms some: a device that forms none is unsupported.
 */
function checkCollective(c: CollectiveCase, caps: Capabilities): Runnable | NotRun {
  const problem = collectiveProblem(c.collective, c.inputs[0]?.shape ?? []);
  if (problem || c.inputs.length !== 1) return { status: 'error', message: `the collective is malformed: ${problem ?? 'it needs exactly one input'}` };
  const unsupported = deviceProblem(c, caps);
  if (unsupported) return { status: 'unsupported', message: `not sent: ${unsupported}` };
  const short = ranksShortfall(c.collective.ranks, caps, 'the case');
  if (short) return short.none ? { status: 'unsupported', message: `not sent: ${short.message}` } : { status: 'skip', message: `not applicable: ${short.message}` };
  return { c, collective: true };
}

/**
 * Why the session cannot run the case, from its declared capabilities (the pre-screen of docs/module-drivers.md), or
 * null: a case whose workload kind, input dtypes, compute dtype or ops the session does not list is never sent.
 */
function deviceProblem(c: Case, caps: Capabilities): string | null {
  const kind = workloadProblem(caps, c.kind);
  if (kind) return kind;
  const i = c.inputs.findIndex((s) => !caps.dtypes.includes(s.dtype));
  if (i >= 0) return `input ${i} is ${c.inputs[i]?.dtype ?? '?'}, a dtype the device does not list (capabilities.dtypes: ${caps.dtypes.join(', ') || 'none'})`;
  if (caps.computeDtypes && !caps.computeDtypes.includes(c.dtype)) {
    return `the case computes in ${c.dtype}, a dtype the device does not compute in (capabilities.computeDtypes: ${caps.computeDtypes.join(', ') || 'none'})`;
  }
  const op = caps.ops ? caseOps(c).find((o) => !caps.ops?.includes(o)) : undefined;
  return op ? `the device does not list ${op} (capabilities.ops)` : null;
}

/** The plan of a runnable case from the oracle's answer: the device's request, and the expectation the judge needs. */
export function planFrom({ c, bound }: Extract<Runnable, { bound: BoundOp }>, answer: OracleAnswer): CasePlan | NotRun {
  if (!answer.ok) return notRun(answer);
  const expectation = { outputs: bound.outputs, expected: answer.expected, inputs: answer.refs };
  return {
    request: { kind: 'op', caseId: c.id, op: c.op, args: c.args, kwargs: c.kwargs, inputs: answer.inputs },
    repeat: bound.nondeterministic !== true,
    judge: (answers) => judgeCase(expectation, answers),
    inputDigest: answer.inputDigest,
  };
}

function notRun(answer: { message: string; inputDigest: string | null }): NotRun {
  return { status: 'error', message: answer.message, ...(answer.inputDigest !== null ? { inputDigest: answer.inputDigest } : {}) };
}

/**
 * The plan of a graph case: its inputs and every value's float64 reference, computed here (models are small next to
 * the device's work); the device is asked for every node value, so that the judge can name the first node that
 * leaves its bound.
 */
export function planGraph({ c, typed }: Extract<Runnable, { typed: TypedGraph }>, userSeed: string | null): CasePlan | NotRun {
  const answer = computeGraphOracle(c, typed, userSeed);
  if (!answer.ok) return notRun(answer);
  const expectation = { typed, expected: answer.values, ideal: answer.ideal, checks: c.checks };
  return {
    request: { kind: 'graph', caseId: c.id, graph: c.graph, mode: c.mode, intermediates: true, inputs: answer.inputs },
    repeat: true,
    judge: (answers) => judgeGraphCase(expectation, answers),
    inputDigest: answer.inputDigest,
  };
}

/** A bench or collective case's inputs, or why the harness cannot generate them. */
function generated(c: BenchCase | CollectiveCase, userSeed: string | null): TensorData[] | NotRun {
  try {
    return caseInputs(c, userSeed);
  } catch (err) {
    return { status: 'error', message: `the harness cannot generate this case's inputs: ${firstLine(err)}` };
  }
}

/**
 * The plan of a bench case: its inputs (large ones in repeated blocks, inputs.ts), sent once; the device times the
 * workload and the harness computes the statistics from its samples.
 */
export function planBench({ c }: Extract<Runnable, { bench: true }>, userSeed: string | null): CasePlan | NotRun {
  const inputs = generated(c, userSeed);
  if (!Array.isArray(inputs)) return inputs;
  return {
    request: { kind: 'bench', caseId: c.id, bench: c.bench, inputs },
    repeat: false,
    measure: (timing) => measurement(c, timing),
    inputDigest: inputDigest(inputs),
  };
}

/**
 * The plan of a collective case: its stacked input, and every rank's expected answer from the float64 reference,
 * computed before the device is asked. Run twice: a collective is deterministic for a fixed world size and backend.
 */
export function planCollective({ c }: Extract<Runnable, { collective: true }>, userSeed: string | null): CasePlan | NotRun {
  const inputs = generated(c, userSeed);
  if (!Array.isArray(inputs)) return inputs;
  const x = toRef(inputs[0] as TensorData);
  const expectation = collectiveReference(c.collective, x);
  return {
    request: { kind: 'collective', caseId: c.id, collective: c.collective, inputs },
    repeat: true,
    judge: (answers) => judgeCollective(c.collective, expectation, x, answers),
    inputDigest: inputDigest(inputs),
  };
}

/**
 * Plans a case for a session, in DESIGN's order: what the case is and whether the session offers it, then its inputs
 * (tensor) and the oracle's answer (ops), here or on the oracle's threads.
 */
export async function planCase(c: Case, caps: Capabilities, oracle: Oracle = inThreadOracle(), userSeed: string | null = null): Promise<CasePlan | NotRun> {
  const checked = checkCase(c, caps);
  if ('typed' in checked) return planGraph(checked, userSeed);
  if ('bench' in checked) return planBench(checked, userSeed);
  if ('collective' in checked) return planCollective(checked, userSeed);
  if (!('bound' in checked)) return checked;
  return planFrom(checked, await oracle.compute(checked.c, userSeed));
}
