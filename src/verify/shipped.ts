import { availableParallelism } from 'node:os';
import type { OutputMetrics } from '../judge/result.js';
import { ruleLabel } from '../judge/interval.js';
import { getOp } from '../ops/registry.js';
import { opCall, type OutputSpec } from '../ops/types.js';
import { collectiveOutputSpecs } from '../collective/reference.js';
import type { DType } from '../tensor/dtype.js';
import { typeGraph } from '../graph/interpret.js';
import { modelRuleLabel } from '../graph/judge.js';
import { caseSubject, type BenchCase, type Case, type CollectiveCase, type GraphCase, type OpCase } from '../workload/case.js';
import canonicalize from 'canonicalize';
import { measurement, timingOf, type BenchMeasurement } from '../bench/measure.js';
import type { TaskCheck } from '../workload/graph.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import type { Suite } from '../suite/suite.js';
import { firstLine } from '../errors.js';
import { HARNESS_VERSION } from '../version.js';
import { caseInputDigest } from '../runner/inputs.js';
import { OraclePool } from '../runner/oracle-pool.js';
import { computeExpectedDigest, singleAnswerRules, type DigestAnswer, type ExpectedDigestAnswer } from '../runner/oracle.js';
import type { ShippedCase, ShippedCatalog } from './verify.js';

/**
 * Why a passed benchmark's measurement cannot be what the harness recorded for this case, or null: it has no outputs,
 * and its statistics and description (scale, cache, math mode, work, bound, rounds, stability) are what `measurement` gives
 * for the shipped case and the recorded samples, so an edited figure shows unless the samples are rewritten to match.
 */
function measurementProblem(c: BenchCase, outputs: readonly OutputMetrics[], bench: BenchMeasurement | undefined): string | null {
  if (outputs.length > 0) return `${outputs.length} outputs recorded for a benchmark, which has none`;
  if (!bench) return 'a passed benchmark without its measurement';
  const expected = measurement(c, timingOf(bench));
  for (const key of ['scale', 'cache', 'math', 'bound', 'work', 'rounds', 'stable', 'stats'] as const) {
    if (canonicalize(expected[key]) !== canonicalize(bench[key])) {
      return `${key} recorded as ${canonicalize(bench[key])}; the shipped case and its samples give ${canonicalize(expected[key])}`;
    }
  }
  return null;
}

/** The accumulation length k depends on the reference's values, which verify does not recompute. */
const withoutK = (rule: string): string => rule.replace(/\(k=[^,)]*/, '(k=?');

/** Why recorded outputs do not fit what the shipped case defines: count, dtype, shape, rule. */
export function outputsProblemOf(c: Case, outputs: readonly OutputMetrics[], bench?: BenchMeasurement): string | null {
  if (c.kind === 'graph') return graphOutputsProblem(c, outputs);
  if (c.kind === 'bench') return measurementProblem(c, outputs, bench);
  if (c.kind === 'collective') return specsProblem(c.collective.name, collectiveOutputSpecs(c.collective, c.dtype, c.inputs[0]?.shape ?? []), outputs);
  const op = getOp(c.op);
  if (!op) return `op ${c.op} is not defined by accelcert ${HARNESS_VERSION}`;
  return specsProblem(c.op, op.bind(opCall(c)).outputs, outputs);
}

/** Why recorded outputs do not fit the outputs a call defines (`name` says whose): count, dtype, shape, rule. */
function specsProblem(name: string, specs: readonly OutputSpec[], outputs: readonly OutputMetrics[]): string | null {
  if (outputs.length < specs.length) return `${outputs.length} outputs recorded; ${name} has ${specs.length}`;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i] as OutputMetrics;
    if (o.index !== i) return `output ${i} is recorded with index ${o.index}`;
    const spec = specs[i];
    if (!spec) {
      // the judge records an extra output with its problem; one without a problem was edited
      if (o.problem === null) return `output ${i} is extra (${name} has ${specs.length}) yet records no problem`;
      continue;
    }
    const dtypeOk = o.dtype === spec.dtype || (spec.alternativeDtypes ?? []).includes(o.dtype as DType);
    if (!dtypeOk || o.shape.length !== spec.shape.length || o.shape.some((d, k) => d !== spec.shape[k])) {
      return `output ${i} is recorded as ${o.dtype}[${o.shape.join(',')}]; ${name} gives ${spec.dtype}[${spec.shape.join(',')}] for this case`;
    }
    const rule = ruleLabel(spec.accuracy, o.dtype as DType);
    if (withoutK(o.rule) !== withoutK(rule)) return `output ${i} recorded under rule ${o.rule}; ${name} is judged under ${rule} here`;
  }
  return null;
}

/**
 * Why recorded outputs do not fit a graph case: one per graph output (its dtype, shape and model bound, or exact for
 * integers, or not compared after a tie), one per task check, then at most one: the first node out of bound.
 */
function graphOutputsProblem(c: GraphCase, outputs: readonly OutputMetrics[]): string | null {
  let typed;
  try {
    typed = typeGraph(c.graph, c.inputs);
  } catch (err) {
    return `the graph of ${c.id} cannot be typed: ${firstLine(err)}`;
  }
  const expected = typed.graph.outputs.length + c.checks.length;
  if (outputs.length < expected || outputs.length > expected + 1) return `${outputs.length} outputs recorded; ${c.graph.name} has ${typed.graph.outputs.length} outputs and ${c.checks.length} checks`;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i] as OutputMetrics;
    if (o.index !== i) return `output ${i} is recorded with index ${o.index}`;
    if (i >= typed.graph.outputs.length && i < expected) {
      const check = c.checks[i - typed.graph.outputs.length] as TaskCheck;
      const rule = check.kind === 'tokens' ? 'tokens identical' : `${check.kind}≥${check.min}`;
      if (o.rule !== rule && o.problem === null) return `output ${i} recorded under rule ${o.rule}; the check is ${rule}`;
      continue;
    }
    // a graph output, or the first node out of bound (any used value)
    const v = i < typed.graph.outputs.length ? (typed.graph.outputs[i] as number) : null;
    const candidates = v === null ? typed.values.map((_, k) => k).filter((k) => k >= typed.inputs && typed.used[k]) : [v];
    const fits = candidates.some((k) => {
      const spec = typed.values[k] as { dtype: DType; shape: number[] };
      if (o.shape.length !== spec.shape.length || o.shape.some((d, j) => d !== spec.shape[j])) return false;
      if (o.rule.startsWith('not compared(')) return o.problem === null && o.margin === 0;
      // the node's name is the judge's to choose (a graph output may be any node's); the path dtype is not
      return o.rule === modelRuleLabel(o.rule.slice(o.rule.indexOf('(') + 1, o.rule.indexOf(',') < 0 ? -1 : o.rule.indexOf(',')), typed.pathDtypes[k] ?? null);
    });
    if (!fits) return `output ${i} is recorded as ${o.dtype}[${o.shape.join(',')}] under ${o.rule}, which no value of ${c.graph.name} has`;
  }
  return null;
}

/**
 * Worker threads for generating inputs again in `verify`, beside the main thread, which helps: one per other core, from
 * 4 cores up. Each thread costs ≈0.3 s to start and as much again to warm up; on 2 cores that is more than it saves
 * (inference-fp32 on a busy 2-core machine: 1.2 s in one thread, 2.5 s with two more).
 */
function verifyThreads(): number {
  const cores = availableParallelism();
  return cores >= 4 ? cores - 1 : 0;
}

/** What one bind of an op case tells verify: whether PyTorch documents the call as nondeterministic, and whether its rules can admit one answer. */
interface Bound {
  nondeterministic: boolean;
  singleAnswer: boolean;
}

/**
 * Binds an op case; null for a case whose op cannot bind it (`outputsProblem` says why). A collective is deterministic,
 * with one answer where its rules admit one. A model is always run twice and judged by model bounds, and a benchmark
 * has no outputs: neither is nondeterministic nor has one answer.
 */
function bindOf(c: Case): Bound | null {
  if (c.kind === 'collective') return { nondeterministic: false, singleAnswer: singleAnswerRules(collectiveOutputSpecs(c.collective, c.dtype, c.inputs[0]?.shape ?? [])) };
  if (c.kind !== 'op') return { nondeterministic: false, singleAnswer: false };
  try {
    const bound = getOp(c.op)?.bind(opCall(c));
    return bound ? { nondeterministic: bound.nondeterministic === true, singleAnswer: singleAnswerRules(bound.outputs) } : null;
  } catch {
    return null;
  }
}

/**
 * A case as verify compares it, its `nondeterministic` bound on first read: binding every shipped case up front would
 * cost every `verify` about a second, most of it for cases its report does not hold.
 */
function shippedCaseOf(c: Case, bound: () => Bound | null): ShippedCase {
  const shipped: ShippedCase = { id: c.id, suite: c.suite, kind: c.kind, subject: caseSubject(c), family: c.family, dtype: c.dtype };
  return Object.defineProperty(shipped, 'nondeterministic', { enumerable: true, get: () => bound()?.nondeterministic });
}

/** A prepared-digest map's key: the seed and the case id. */
const preparedKey = (id: string, seed: string | null): string => `${seed ?? ''}\n${id}`;

/** What a prepared expected digest holds: the digest (null: no single answer), or why it cannot be computed. */
function expectedOf(answer: ExpectedDigestAnswer): string | null | Error {
  return answer.ok ? answer.digest : new Error(answer.message);
}

/**
 * What verify compares a report against: the suites this accelcert version ships (passed in by the CLI, so verify
 * knows no suite file), and its profiles, ops and judge.
 */
export function shippedCatalog(suites: readonly Suite[], options: { /** threads for input and expected digests (default: verifyThreads()) */ threads?: number } = {}): ShippedCatalog {
  const byId = new Map<string, Case>();
  for (const s of suites) for (const c of s.cases) byId.set(c.id, c);
  // each case bound once, when first asked: its determinism, and whether its rules can admit one answer
  const binds = new Map<string, Bound | null>();
  const bound = (c: Case): Bound | null => {
    if (!binds.has(c.id)) binds.set(c.id, bindOf(c));
    return binds.get(c.id) ?? null;
  };
  // input digests computed ahead, by seed and case id: a digest, or why the inputs cannot be generated
  const prepared = new Map<string, string | Error>();
  // expected output digests computed ahead, likewise: a digest, null where the rules admit more than one answer, or why not
  const expected = new Map<string, string | null | Error>();
  const required = new Map<string, readonly string[]>();
  // an op or collective case that may admit one answer, or an op case that does not bind (computeExpectedDigest then
  // says why): the oracle's work
  const oracleCase = (id: string): OpCase | CollectiveCase | null => {
    const c = byId.get(id);
    if (c?.kind !== 'op' && c?.kind !== 'collective') return null;
    const b = bound(c);
    return b === null || b.singleAnswer ? c : null;
  };
  const expectedNow = (id: string, seed: string | null): string | null | Error => {
    if (!byId.has(id)) return new Error(`${id} is not a shipped case`);
    const c = oracleCase(id);
    return c ? expectedOf(computeExpectedDigest({ case: c, seed })) : null;
  };
  return {
    harnessVersion: HARNESS_VERSION,
    suites: suites.map((s) => ({
      name: s.name,
      version: s.version,
      digest: s.digest,
      cases: s.cases.map((c) => shippedCaseOf(c, () => bound(c))),
    })),
    requiredIds: (name, benchScale) => {
      const key = `${name}\n${benchScale ?? ''}`;
      let ids = required.get(key);
      if (!ids) {
        let profile;
        try {
          profile = getProfile(name);
        } catch {
          return undefined;
        }
        ids = requiredCases(profile, suites, benchScale).map((c) => c.id);
        required.set(key, ids);
      }
      return ids;
    },
    outputsProblem: (c: ShippedCase, outputs, bench) => {
      const full = byId.get(c.id);
      if (!full) return `${c.id} is not a shipped case`;
      try {
        return outputsProblemOf(full, outputs, bench);
      } catch (err) {
        // an op that cannot describe a shipped case is a harness bug; say so instead of crashing the checklist
        return `accelcert cannot derive the outputs of ${c.subject} for this case: ${firstLine(err)}`;
      }
    },
    inputDigest: (c: ShippedCase, seed: string | null) => {
      const known = prepared.get(preparedKey(c.id, seed));
      if (known instanceof Error) throw known;
      if (known !== undefined) return known;
      const full = byId.get(c.id);
      if (!full) throw new Error(`${c.id} is not a shipped case`);
      return caseInputDigest(full, seed);
    },
    // generating the inputs of every case again is most of verify's time: large cases go to worker threads
    prepareInputDigests: async (ids, seed) => {
      const cases = ids.flatMap((id) => {
        const c = byId.get(id);
        return c && !prepared.has(preparedKey(id, seed)) ? [c] : [];
      });
      const pool = new OraclePool({ size: options.threads ?? verifyThreads() });
      try {
        const digests = await pool.inputDigests(cases, seed);
        cases.forEach((c, i) => {
          const d = digests[i] as DigestAnswer;
          prepared.set(preparedKey(c.id, seed), d.ok ? d.digest : new Error(d.message));
        });
      } finally {
        await pool.close();
      }
    },
    expectedDigest: (c: ShippedCase, seed: string | null) => {
      const key = preparedKey(c.id, seed);
      const known = expected.has(key) ? (expected.get(key) as string | null | Error) : expectedNow(c.id, seed);
      if (known instanceof Error) throw known;
      return known;
    },
    // only cases whose rules can admit one answer generate inputs and references, large ones on worker threads
    prepareExpectedDigests: async (ids, seed) => {
      const cases = ids.flatMap((id) => {
        const c = oracleCase(id);
        return c && !expected.has(preparedKey(id, seed)) ? [c] : [];
      });
      if (cases.length === 0) return;
      const pool = new OraclePool({ size: options.threads ?? verifyThreads() });
      try {
        const digests = await pool.expectedDigests(cases, seed);
        cases.forEach((c, i) => {
          const answer = digests[i] as ExpectedDigestAnswer;
          const key = preparedKey(c.id, seed);
          expected.set(key, expectedOf(answer));
          // the inputs were generated for the expectation: their digest spares prepareInputDigests generating them again
          if (answer.ok && answer.inputDigest !== null && !prepared.has(key)) prepared.set(key, answer.inputDigest);
        });
      } finally {
        await pool.close();
      }
    },
  };
}
