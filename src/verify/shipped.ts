import { availableParallelism } from 'node:os';
import type { OutputMetrics } from '../judge/result.js';
import { ruleLabel } from '../judge/interval.js';
import { getOp } from '../ops/registry.js';
import { opCall } from '../ops/types.js';
import type { DType } from '../tensor/dtype.js';
import { typeGraph } from '../graph/interpret.js';
import { modelRuleLabel } from '../graph/judge.js';
import { caseSubject, type BenchCase, type Case, type GraphCase } from '../workload/case.js';
import canonicalize from 'canonicalize';
import { measurement, timingOf, type BenchMeasurement } from '../bench/measure.js';
import type { TaskCheck } from '../workload/graph.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import type { Suite } from '../suite/suite.js';
import { firstLine } from '../errors.js';
import { HARNESS_VERSION } from '../version.js';
import { caseInputDigest } from '../runner/inputs.js';
import { OraclePool } from '../runner/oracle-pool.js';
import type { DigestAnswer } from '../runner/oracle.js';
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
  const op = getOp(c.op);
  if (!op) return `op ${c.op} is not defined by accelcert ${HARNESS_VERSION}`;
  const specs = op.bind(opCall(c)).outputs;
  if (outputs.length < specs.length) return `${outputs.length} outputs recorded; ${c.op} has ${specs.length}`;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i] as OutputMetrics;
    if (o.index !== i) return `output ${i} is recorded with index ${o.index}`;
    const spec = specs[i];
    if (!spec) {
      // the judge records an extra output with its problem; one without a problem was edited
      if (o.problem === null) return `output ${i} is extra (${c.op} has ${specs.length}) yet records no problem`;
      continue;
    }
    const dtypeOk = o.dtype === spec.dtype || (spec.alternativeDtypes ?? []).includes(o.dtype as DType);
    if (!dtypeOk || o.shape.length !== spec.shape.length || o.shape.some((d, k) => d !== spec.shape[k])) {
      return `output ${i} is recorded as ${o.dtype}[${o.shape.join(',')}]; ${c.op} gives ${spec.dtype}[${spec.shape.join(',')}] for this case`;
    }
    const rule = ruleLabel(spec.accuracy, o.dtype as DType);
    if (withoutK(o.rule) !== withoutK(rule)) return `output ${i} recorded under rule ${o.rule}; ${c.op} is judged under ${rule} here`;
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

/**
 * What verify compares a report against: the suites this accelcert version ships (passed in by the CLI, so verify
 * knows no suite file), and its profiles, ops and judge.
 */
export function shippedCatalog(suites: readonly Suite[], options: { /** threads for input digests (default: verifyThreads()) */ threads?: number } = {}): ShippedCatalog {
  const byId = new Map<string, Case>();
  for (const s of suites) for (const c of s.cases) byId.set(c.id, c);
  // input digests computed ahead, by seed and case id: a digest, or why the inputs cannot be generated
  const prepared = new Map<string, string | Error>();
  const preparedKey = (id: string, seed: string | null): string => `${seed ?? ''}\n${id}`;
  const required = new Map<string, readonly string[]>();
  return {
    harnessVersion: HARNESS_VERSION,
    suites: suites.map((s) => ({
      name: s.name,
      version: s.version,
      digest: s.digest,
      cases: s.cases.map((c) => ({ id: c.id, suite: c.suite, kind: c.kind, subject: caseSubject(c), family: c.family, dtype: c.dtype })),
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
  };
}
