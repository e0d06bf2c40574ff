import { createHash } from 'node:crypto';
import { firstLine } from '../errors.js';
import { SessionLostError, type ExecRequest, type ExecResult, type Session } from '../drivers/types.js';
import { judgeCase } from '../judge/judge.js';
import { statusFromOutputs, type OutputMetrics } from '../judge/result.js';
import { getOp } from '../ops/registry.js';
import type { Case } from '../suite/case.js';
import { contiguousBytes, materialize, toRef, validateView } from '../tensor/materialize.js';
import type { TensorData } from '../tensor/tensor.js';
import type { CaseResult } from './result.js';

export interface ExecuteOptions {
  /** per-case limit on the device call */
  timeoutMs: number;
  /** requests kept in flight, so the harness computes references while the device works */
  depth: number;
  /** opens a fresh session after a crash or a timeout */
  reopen: () => Promise<Session>;
  /** stops scheduling new cases; results of the cases already run are kept */
  signal?: AbortSignal;
  onResult: (result: CaseResult) => void;
}

/** A case aborted by other cases' crashes this often is recorded as a crash itself. */
const MAX_ATTEMPTS = 3;

class Timeout extends Error {
  constructor() {
    super('the device did not answer');
  }
}

export interface ExecuteOutput {
  /** one result per case that ran (all of them unless the run was interrupted), in case order */
  results: CaseResult[];
  /** why the device could not be reopened after it was lost; the cases left were recorded as crashes */
  deviceLost: string | null;
}

/** Runs cases on a session, pipelined. */
export async function executeCases(first: Session, cases: readonly Case[], opts: ExecuteOptions): Promise<ExecuteOutput> {
  let session = first;
  let generation = 0;
  let reopening: Promise<void> | null = null;
  let deviceLost: string | null = null;
  const results = new Array<CaseResult>(cases.length);
  let next = 0;

  // A crash or timeout kills the session. The case that saw `crash` or `timeout` is the culprit (workers
  // answer in order and charge the failure to the oldest request); the others in flight were `aborted`
  // and run again on the fresh session. The session is replaced once per generation.
  const replace = async (gen: number): Promise<void> => {
    if (gen !== generation) {
      if (reopening) await reopening;
      return;
    }
    generation++;
    reopening = (async () => {
      await session.close().catch(() => undefined);
      try {
        session = await opts.reopen();
      } catch (err) {
        deviceLost = firstLine(err);
      }
    })();
    await reopening;
    reopening = null;
  };

  const worker = async (): Promise<void> => {
    while (next < cases.length && !opts.signal?.aborted) {
      const i = next++;
      const c = cases[i] as Case;
      for (let attempt = 1; ; attempt++) {
        if (reopening) await reopening;
        if (deviceLost !== null) {
          // never silently skipped: every case the dead device could not run is a crash, with the reason
          results[i] = { ...baseResult(c), status: 'crash', message: `not run: the device could not be reopened after it was lost: ${deviceLost}` };
          break;
        }
        const gen = generation;
        const outcome = await runOne(session, c, opts.timeoutMs, opts.depth);
        if (outcome.kind === 'done') {
          results[i] = outcome.result;
          break;
        }
        await replace(gen);
        if (!outcome.aborted || attempt >= MAX_ATTEMPTS) {
          results[i] = outcome.fallback;
          break;
        }
      }
      opts.onResult(results[i] as CaseResult);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.depth) }, worker));
  return { results: results.filter((r): r is CaseResult => r !== undefined), deviceLost };
}

/** `aborted`: the session died on another request before this one ran; it is run again on a fresh session. */
type Outcome = { kind: 'done'; result: CaseResult } | { kind: 'session-lost'; fallback: CaseResult; aborted: boolean };

type BaseResult = Omit<CaseResult, 'status' | 'message'>;

function baseResult(c: Case): BaseResult {
  return { id: c.id, op: c.op, family: c.family, dtype: c.dtype, outputs: [], outputDigest: null, timings: { execMs: 0, deviceMs: null } };
}

async function runOne(session: Session, c: Case, timeoutMs: number, depth: number): Promise<Outcome> {
  const base = baseResult(c);
  const op = getOp(c.op);
  if (!op) return { kind: 'done', result: { ...base, status: 'error', message: `the harness has no definition of ${c.op}` } };
  const caps = session.capabilities;
  const missing = c.inputs.map((s) => s.dtype).find((d) => !caps.dtypes.includes(d));
  if (missing) return { kind: 'done', result: { ...base, status: 'unsupported', message: `the device does not support ${missing}` } };
  if (caps.ops && !caps.ops.includes(c.op)) return { kind: 'done', result: { ...base, status: 'unsupported', message: `the device does not support ${c.op}` } };

  const inputs = c.inputs.map((spec, i) => materialize(spec, c.seed, i));
  const request = { caseId: c.id, op: c.op, args: c.args, kwargs: c.kwargs, inputs };
  const t0 = performance.now();
  const pending = execSafely(session, request);
  // The oracle works while the device does; it never sees the device's answer before its own.
  const refInputs = inputs.map(toRef);
  const call = { args: c.args, kwargs: c.kwargs, inputs: inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })) };
  let expected;
  let specs;
  let accuracies;
  try {
    specs = op.outputs(call);
    expected = op.reference(call, refInputs);
    accuracies = specs.map((_, k) => op.accuracy(call, k));
  } catch (err) {
    pending.catch(() => undefined);
    return { kind: 'done', result: { ...base, status: 'error', message: `the reference cannot compute this case: ${firstLine(err)}` } };
  }

  const first = await answerOf(pending, t0, base, timeoutMs, depth);
  if (first.kind !== 'answer') return first;
  const { outputs: got, execMs, deviceMs } = first;
  const timings = { execMs, deviceMs };

  let judged;
  try {
    judged = judgeCase(specs, expected, accuracies, got.map(toRef), refInputs);
  } catch (err) {
    // the judge throws only for harness bugs (a reference without its bound, …): never blame the device
    return { kind: 'done', result: { ...base, status: 'error', message: `the harness cannot judge this case: ${firstLine(err)}`, timings } };
  }
  const outputs = judged.outputs;
  const gotBytes = got.map(contiguousBytes);
  let repeatDigest: string | null = null;
  if (!op.nondeterministic) {
    // Numerics policy 6: the same case run again must give the same bytes (unless the op is documented
    // as nondeterministic); a difference is a failure of the output that differs.
    const again = await answerOf(execSafely(session, request), performance.now(), base, timeoutMs, depth);
    if (again.kind !== 'answer') return again;
    const againBytes = again.outputs.map(contiguousBytes);
    repeatDigest = digestBytes(againBytes);
    gotBytes.forEach((bytes, k) => {
      const o = outputs[k];
      const other = againBytes[k];
      if (!o || o.problem !== null) return;
      if (!other) o.problem = 'the repeated run returned fewer outputs';
      else if (Buffer.compare(bytes, other) !== 0) {
        o.problem = `not bit-identical when the case ran again: ${differingElements(bytes, other, o.elements)} of ${o.elements} elements differ`;
      }
    });
  }
  const status = statusFromOutputs(outputs);
  return {
    kind: 'done',
    result: {
      ...base,
      status,
      message: status === 'pass' ? null : judged.status === 'fail' && judged.message ? judged.message : describeFailure(outputs),
      outputs,
      outputDigest: digestBytes(gotBytes),
      repeatDigest,
      timings,
    },
  };
}

/** Starts a device call; an in-process driver that throws is a crashed device, not a crashed harness. */
function execSafely(session: Session, req: ExecRequest): Promise<ExecResult> {
  try {
    return session.exec(req);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

type Answer = { kind: 'answer'; outputs: TensorData[]; execMs: number; deviceMs: number | null };

/** The device's answer to one call, or the case's result when there is none (error, malformed, lost). */
async function answerOf(pending: Promise<ExecResult>, t0: number, base: BaseResult, timeoutMs: number, depth: number): Promise<Answer | Outcome> {
  let res: ExecResult;
  try {
    // Worker sessions time out their oldest request themselves and kill the worker; this outer limit covers
    // in-process sessions and a session that never answers, allowing for the requests queued ahead.
    res = await withTimeout(pending, timeoutMs * (depth + 1) + 5000);
  } catch (err) {
    const execMs = performance.now() - t0;
    const kind = err instanceof SessionLostError ? err.kind : err instanceof Timeout ? 'timeout' : 'crash';
    const fallback: CaseResult = {
      ...base,
      status: kind === 'timeout' ? 'timeout' : 'crash',
      message:
        kind === 'timeout'
          ? `no answer within ${timeoutMs / 1000} s: ${firstLine(err)}`
          : kind === 'aborted'
            ? `the device session died ${MAX_ATTEMPTS} times while this case waited: ${firstLine(err)}`
            : `the device session died: ${firstLine(err)}`,
      timings: { execMs, deviceMs: null },
    };
    return { kind: 'session-lost', fallback, aborted: kind === 'aborted' };
  }
  const execMs = performance.now() - t0;
  if (!res.ok) {
    const status = res.error.kind === 'unsupported' ? 'unsupported' : 'error';
    const prefix = res.error.kind === 'out_of_memory' ? 'out of memory: ' : '';
    return { kind: 'done', result: { ...base, status, message: prefix + res.error.message, timings: { execMs, deviceMs: null } } };
  }
  const deviceMs = res.deviceTimeNs === undefined ? null : res.deviceTimeNs / 1e6;
  const bad = res.outputs.map(validateView).find((e) => e !== null);
  if (bad) return { kind: 'done', result: { ...base, status: 'error', message: `the device returned a malformed tensor: ${bad}`, timings: { execMs, deviceMs } } };
  return { kind: 'answer', outputs: res.outputs, execMs, deviceMs };
}

/** Elements whose bytes differ between two equally long byte images of `elements` elements. */
function differingElements(a: Uint8Array, b: Uint8Array, elements: number): number {
  if (a.length !== b.length || elements === 0) return elements;
  const size = a.length / elements;
  let n = 0;
  for (let i = 0; i < a.length; i += size) if (Buffer.compare(a.subarray(i, i + size), b.subarray(i, i + size)) !== 0) n++;
  return n;
}

/** sha256 (hex) over the raw bytes of every output, in order. */
export function digestBytes(outputs: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const b of outputs) h.update(b);
  return h.digest('hex');
}

/** One line that says which output is wrong, where, and by how much. */
export function describeFailure(outputs: readonly OutputMetrics[]): string {
  const o = outputs.find((m) => m.problem !== null || m.mismatches > 0 || m.margin === null || m.margin > 1);
  if (!o) return 'failed';
  if (o.problem) return `output ${o.index}: ${o.problem}`;
  const where = o.worst ? `; worst at [${o.worst.index.join(',')}]: got ${o.worst.actual}, expected ${o.worst.expected} (allowed ${o.worst.allowed})` : '';
  const margin = o.margin === null ? 'unbounded' : o.margin.toPrecision(3);
  return `output ${o.index}: ${o.mismatches} of ${o.elements} elements outside ${o.rule}${where}, margin ${margin}`;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Timeout()), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

