import { workloadProblem, type Capabilities } from '../device/device.js';
import type { ExecRequest } from '../drivers/types.js';
import { firstLine } from '../errors.js';
import type { Expectation } from '../judge/judge.js';
import { getOp } from '../ops/registry.js';
import { opCall, type BoundOp } from '../ops/types.js';
import { HARNESS_VERSION } from '../version.js';
import { caseOps, type Case, type OpCase } from '../workload/case.js';
import { inThreadOracle, type Oracle, type OracleAnswer } from './oracle.js';

/** How the runner runs one case: the request the device gets, and what the oracle expects of its answer. */
export interface CasePlan {
  request: ExecRequest;
  /** run the request a second time and compare bytes (numerics policy 6); false when documented as nondeterministic */
  repeat: boolean;
  /** the oracle's answer, computed before the device is asked: it never sees the device's answer first */
  expectation: Expectation;
  /** sha256 of the inputs' bytes (see inputs.ts) */
  inputDigest: string;
}

/** A case the runner does not send: why, and the status that says whose limit it is. */
export interface NotRun {
  status: 'error' | 'unsupported';
  message: string;
  /** the digest of the inputs, when they were generated before the case was given up */
  inputDigest?: string;
}

/** A case the runner can send: an op case, its op bound to the call (outputs, acceptance rules, determinism). */
export interface Runnable {
  c: OpCase;
  bound: BoundOp;
}

/**
 * What can be known of a case before any input exists, by workload kind. A kind this accelcert cannot run yet, an op
 * it does not define, or a call its op rejects is an `error` (the harness's limit); a kind, dtype or op the session
 * does not offer is `unsupported` (the device's).
 */
export function checkCase(c: Case, caps: Capabilities): Runnable | NotRun {
  if (c.kind !== 'op') return { status: 'error', message: `accelcert ${HARNESS_VERSION} does not run ${c.kind} workloads yet` };
  const op = getOp(c.op);
  if (!op) return { status: 'error', message: `the harness has no definition of ${c.op}` };
  const unsupported = deviceProblem(c, caps);
  if (unsupported) return { status: 'unsupported', message: unsupported };
  try {
    return { c, bound: op.bind(opCall(c)) };
  } catch (err) {
    return { status: 'error', message: `the reference cannot compute this case: ${firstLine(err)}` };
  }
}

/** Why the session cannot run the case, from its declared capabilities, or null. */
function deviceProblem(c: Case, caps: Capabilities): string | null {
  const kind = workloadProblem(caps, c.kind);
  if (kind) return kind;
  const dtype = c.inputs.map((s) => s.dtype).find((d) => !caps.dtypes.includes(d));
  if (dtype) return `the device does not support ${dtype}`;
  const op = caps.ops ? caseOps(c).find((o) => !caps.ops?.includes(o)) : undefined;
  return op ? `the device does not support ${op}` : null;
}

/** The plan of a runnable case from the oracle's answer: the device's request, and the expectation the judge needs. */
export function planFrom({ c, bound }: Runnable, answer: OracleAnswer): CasePlan | NotRun {
  if (!answer.ok) return { status: 'error', message: answer.message, ...(answer.inputDigest !== null ? { inputDigest: answer.inputDigest } : {}) };
  return {
    request: { kind: 'op', caseId: c.id, op: c.op, args: c.args, kwargs: c.kwargs, inputs: answer.inputs },
    repeat: bound.nondeterministic !== true,
    expectation: { outputs: bound.outputs, expected: answer.expected, inputs: answer.refs },
    inputDigest: answer.inputDigest,
  };
}

/**
 * Plans a case for a session, in DESIGN's order: what the case is and whether the session offers it, then its inputs
 * (tensor) and the oracle's answer (ops), here or on the oracle's threads.
 */
export async function planCase(c: Case, caps: Capabilities, oracle: Oracle = inThreadOracle(), userSeed: string | null = null): Promise<CasePlan | NotRun> {
  const checked = checkCase(c, caps);
  if (!('bound' in checked)) return checked;
  return planFrom(checked, await oracle.compute(checked.c, userSeed));
}
