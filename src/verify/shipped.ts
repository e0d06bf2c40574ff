import type { OutputMetrics } from '../judge/result.js';
import { ruleLabel } from '../judge/interval.js';
import { getOp } from '../ops/registry.js';
import { opCall } from '../ops/types.js';
import type { DType } from '../tensor/dtype.js';
import { caseSubject, type Case } from '../workload/case.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import type { Suite } from '../suite/suite.js';
import { firstLine } from '../errors.js';
import { HARNESS_VERSION } from '../version.js';
import type { ShippedCase, ShippedCatalog } from './verify.js';

/** The accumulation length k depends on the reference's values, which verify does not recompute. */
const withoutK = (rule: string): string => rule.replace(/\(k=[^,)]*/, '(k=?');

/** Why recorded outputs do not fit what the shipped case defines: count, dtype, shape, rule. */
export function outputsProblemOf(c: Case, outputs: readonly OutputMetrics[]): string | null {
  if (c.kind !== 'op') return `accelcert ${HARNESS_VERSION} cannot check the outputs of ${c.kind} workloads yet`;
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
 * What verify compares a report against: the suites this accelcert version ships (passed in by the CLI, so verify
 * knows no suite file), and its profiles, ops and judge.
 */
export function shippedCatalog(suites: readonly Suite[]): ShippedCatalog {
  const byId = new Map<string, Case>();
  for (const s of suites) for (const c of s.cases) byId.set(c.id, c);
  const required = new Map<string, readonly string[]>();
  return {
    harnessVersion: HARNESS_VERSION,
    suites: suites.map((s) => ({
      name: s.name,
      version: s.version,
      digest: s.digest,
      cases: s.cases.map((c) => ({ id: c.id, suite: c.suite, kind: c.kind, subject: caseSubject(c), family: c.family, dtype: c.dtype })),
    })),
    requiredIds: (name) => {
      let ids = required.get(name);
      if (!ids) {
        let profile;
        try {
          profile = getProfile(name);
        } catch {
          return undefined;
        }
        ids = requiredCases(profile, suites).map((c) => c.id);
        required.set(name, ids);
      }
      return ids;
    },
    outputsProblem: (c: ShippedCase, outputs) => {
      const full = byId.get(c.id);
      if (!full) return `${c.id} is not a shipped case`;
      try {
        return outputsProblemOf(full, outputs);
      } catch (err) {
        // an op that cannot describe a shipped case is a harness bug; say so instead of crashing the checklist
        return `accelcert cannot derive the outputs of ${c.subject} for this case: ${firstLine(err)}`;
      }
    },
  };
}
