import { workloadProblem, type Capabilities } from '../device/device.js';
import type { ExecRequest } from '../drivers/types.js';
import { firstLine } from '../errors.js';
import type { Expectation } from '../judge/judge.js';
import { getOp } from '../ops/registry.js';
import { opCall, type OpDef } from '../ops/types.js';
import { materialize, toRef } from '../tensor/materialize.js';
import { HARNESS_VERSION } from '../version.js';
import { caseOps, type Case, type OpCase } from '../workload/case.js';

/** How the runner runs one case: the request the device gets, and what the oracle expects of its answer. */
export interface CasePlan {
  request: ExecRequest;
  /** run the request a second time and compare bytes (numerics policy 6); false when documented as nondeterministic */
  repeat: boolean;
  /** the oracle's answer, computed before the device is asked: it never sees the device's answer first */
  expectation: Expectation;
}

/** A case the runner does not send: why, and the status that says whose limit it is. */
export interface NotRun {
  status: 'error' | 'unsupported';
  message: string;
}

/**
 * Plans a case for a session, by workload kind: the inputs generated (tensor), then the oracle's answer (ops). A kind
 * this accelcert cannot run yet, an op it does not define, or a call its reference cannot compute is an `error` (the
 * harness's limit); a kind, dtype or op the session does not offer is `unsupported` (the device's).
 */
export function planCase(c: Case, caps: Capabilities): CasePlan | NotRun {
  if (c.kind !== 'op') return { status: 'error', message: `accelcert ${HARNESS_VERSION} does not run ${c.kind} workloads yet` };
  const op = getOp(c.op);
  if (!op) return { status: 'error', message: `the harness has no definition of ${c.op}` };
  const unsupported = deviceProblem(c, caps);
  if (unsupported) return { status: 'unsupported', message: unsupported };
  return planOp(c, op);
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

function planOp(c: OpCase, op: OpDef): CasePlan | NotRun {
  const inputs = c.inputs.map((spec, i) => materialize(spec, c.seed, i));
  const refs = inputs.map(toRef);
  try {
    const bound = op.bind(opCall(c));
    return {
      request: { kind: 'op', caseId: c.id, op: c.op, args: c.args, kwargs: c.kwargs, inputs },
      repeat: bound.nondeterministic !== true,
      expectation: { outputs: bound.outputs, expected: bound.reference(refs), inputs: refs },
    };
  } catch (err) {
    return { status: 'error', message: `the reference cannot compute this case: ${firstLine(err)}` };
  }
}
