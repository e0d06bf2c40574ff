import { firstLine } from '../errors.js';
import { SessionLostError, type ExecRequest, type ExecResult, type Session } from '../drivers/types.js';
import { validateView } from '../tensor/materialize.js';
import type { TensorData } from '../tensor/tensor.js';
import type { BenchTiming } from '../workload/bench.js';
import { caseSubject, type BenchCase, type Case } from '../workload/case.js';
import { measurement, poolTimings, roundCase, timingOf } from '../bench/measure.js';
import { inThreadOracle, type Oracle, type OracleAnswer } from './oracle.js';
import { checkCase, planBench, planCollective, planFrom, planGraph, type CasePlan, type NotRun } from './plan.js';
import type { CaseResult } from './result.js';

export interface ExecuteOptions {
  /** per-case limit on the device call */
  timeoutMs: number;
  /** requests kept in flight, so the harness computes references while the device works */
  depth: number;
  /** stop after this many cases in a row crash, time out or break the protocol (default: never); the cases left are recorded as not run */
  maxConsecutiveCrashes?: number;
  /** opens a fresh session after a crash, a timeout or a protocol break */
  reopen: () => Promise<Session>;
  /** stops scheduling new cases; results of the cases already run are kept */
  signal?: AbortSignal;
  /** the user seed (`--seed`) mixed into every case's inputs; null or absent: the cases' own seeds */
  seed?: string | null;
  /**
   * computes each case's inputs and expected outputs (default: in this thread, no cache). An oracle with threads is
   * asked for the cases it computes on them ahead of the device, so that its threads work while the device does.
   */
  oracle?: Oracle;
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
  /** why the run stopped running cases (the device could not be reopened, or too many crashes in a row); the cases left were recorded as crashes */
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
  const oracle = opts.oracle ?? inThreadOracle();
  const seed = opts.seed ?? null;

  // Answers asked for ahead of the device, by case index: only of cases the oracle computes off this thread, and
  // used once (a case run again after a crash gets fresh inputs, whatever the device did to the first ones).
  const ahead = new Map<number, Promise<OracleAnswer>>();
  const lookahead = oracle.parallelism > 0 ? Math.max(opts.depth, 4 * oracle.parallelism) : 0;
  const askAhead = (from: number): void => {
    for (let j = from; j < Math.min(cases.length, from + lookahead); j++) {
      const c = cases[j] as Case;
      if (ahead.has(j) || c.kind !== 'op' || !oracle.offloads(c)) continue;
      const checked = checkCase(c, session.capabilities);
      if ('bound' in checked) ahead.set(j, oracle.compute(checked.c, seed));
    }
  };
  const plan = async (i: number, c: Case): Promise<CasePlan | NotRun> => {
    const pending = ahead.get(i);
    ahead.delete(i);
    const checked = checkCase(c, session.capabilities);
    if ('typed' in checked) return planGraph(checked, seed);
    if ('bench' in checked) return planBench(checked, seed);
    if ('collective' in checked) return planCollective(checked, seed);
    if (!('bound' in checked)) return checked;
    return planFrom(checked, await (pending ?? oracle.compute(checked.c, seed)));
  };

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
        deviceLost = `the device could not be reopened after it was lost: ${firstLine(err)}`;
      }
    })();
    await reopening;
    reopening = null;
  };

  // Requests in flight, and runs that must be alone. After a session loss, the cases that were in flight with the
  // culprit run again one at a time, nothing else in flight, so that each gets the status of its own execution: no
  // case is charged for another's crash or hang.
  let inFlight = 0;
  const waitingForIdle: (() => void)[] = [];
  let soloChain: Promise<void> = Promise.resolve();
  let solos = 0;
  const tracked = async <T>(fn: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await fn();
    } finally {
      inFlight--;
      if (inFlight === 0) for (const wake of waitingForIdle.splice(0)) wake();
    }
  };
  const idle = (): Promise<void> => (inFlight === 0 ? Promise.resolve() : new Promise<void>((wake) => waitingForIdle.push(wake)));
  const alone = async <T>(fn: () => Promise<T>): Promise<T> => {
    solos++;
    const before = soloChain;
    let release = (): void => undefined;
    soloChain = new Promise<void>((r) => (release = r));
    try {
      await before;
      await idle();
      return await tracked(fn);
    } finally {
      solos--;
      release();
    }
  };
  const notAlone = async (): Promise<void> => {
    while (solos > 0) await soloChain;
  };

  // results of cases whose device session was lost on them
  const lostBy = new WeakSet<CaseResult>();
  // One case to its result: planned, sent, and run again (alone) on a fresh session when another request's failure
  // aborted it.
  const runCase = async (i: number, c: Case, depth: number): Promise<CaseResult> => {
    let solo = false;
    for (let attempt = 1; ; attempt++) {
      // the oracle's answer first (its threads may take a while), then the session as it is once that is there
      const planned = await plan(i, c);
      if (!solo) await notAlone();
      const once = async (): Promise<{ gen: number; outcome: Outcome } | CaseResult> => {
        if (reopening) await reopening;
        // never silently skipped: every case the dead device could not run is a crash, with the reason
        if (deviceLost !== null) return { ...baseResult(c), status: 'crash', message: `not run: ${deviceLost}` };
        const gen = generation;
        return { gen, outcome: await runOne(session, c, planned, opts.timeoutMs, solo ? 1 : depth) };
      };
      const sent = solo ? await alone(once) : await tracked(once);
      if (!('outcome' in sent)) return sent;
      const { gen, outcome } = sent;
      if (outcome.kind === 'done') return outcome.result;
      await replace(gen);
      if (!outcome.aborted || attempt >= MAX_ATTEMPTS) {
        lostBy.add(outcome.fallback);
        return outcome.fallback;
      }
      solo = true;
    }
  };
  // N lost sessions in a row (crashes, timeouts, protocol breaks): the device is not usable, and the cases left are
  // recorded as not run
  let inARow = 0;
  const limit = opts.maxConsecutiveCrashes ?? Infinity;
  const record = (i: number, r: CaseResult): void => {
    results[i] = r;
    opts.onResult(r);
    inARow = lostBy.has(r) || r.status === 'crash' || r.status === 'timeout' ? inARow + 1 : 0;
    if (inARow >= limit && deviceLost === null) deviceLost = `${inARow} cases in a row crashed, timed out or broke the protocol (the limit is ${limit}): the device is not usable`;
  };

  // Benchmarks run last and alone: one request at a time, with the oracle's threads idle, so that nothing the harness
  // does competes with the device for the host while it is timed.
  const firstPhase = [...cases.keys()].filter((i) => cases[i]?.kind !== 'bench');
  const benchPhase = [...cases.keys()].filter((i) => cases[i]?.kind === 'bench');
  const worker = async (): Promise<void> => {
    while (next < firstPhase.length && !opts.signal?.aborted) {
      const i = firstPhase[next++] as number;
      askAhead(i + 1);
      record(i, await runCase(i, cases[i] as Case, opts.depth));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.depth) }, worker));

  // Each benchmark in its rounds, round-robin over the benchmarks, its samples pooled; a round that does not measure
  // ends the benchmark with that round's result. A benchmark whose rounds an interrupt cut short is not recorded.
  const rounds = new Map<number, CaseResult[]>(benchPhase.map((i) => [i, []]));
  const roundsOf = (i: number): number => (cases[i] as BenchCase).bench.timing.rounds;
  const most = Math.max(0, ...benchPhase.map(roundsOf));
  for (let round = 0; round < most && !opts.signal?.aborted; round++) {
    for (const i of benchPhase) {
      const done = rounds.get(i) ?? [];
      if (opts.signal?.aborted || round >= roundsOf(i) || done.some((r) => r.status !== 'pass')) continue;
      done.push(await runCase(i, roundCase(cases[i] as BenchCase), 1));
    }
  }
  for (const i of benchPhase) {
    const done = rounds.get(i) ?? [];
    const failed = done.find((r) => r.status !== 'pass');
    if (failed) record(i, failed);
    else if (done.length === roundsOf(i)) record(i, pooled(cases[i] as BenchCase, done));
  }
  return { results: results.filter((r): r is CaseResult => r !== undefined), deviceLost };
}

/** A benchmark's result from its rounds' results (all measured): one measurement of the pooled samples. */
function pooled(c: BenchCase, rounds: readonly CaseResult[]): CaseResult {
  const first = rounds[0] as CaseResult;
  const timings = rounds.flatMap((r) => (r.bench ? [timingOf(r.bench)] : []));
  const execMs = rounds.reduce((t, r) => t + r.timings.execMs, 0);
  return { ...first, bench: measurement(c, poolTimings(timings)), timings: { execMs, deviceMs: null } };
}

/** `aborted`: the session died on another request before this one ran; it is run again on a fresh session. */
type Outcome = { kind: 'done'; result: CaseResult } | { kind: 'session-lost'; fallback: CaseResult; aborted: boolean };

type BaseResult = Omit<CaseResult, 'status' | 'message'>;

function baseResult(c: Case): BaseResult {
  return {
    id: c.id,
    kind: c.kind,
    subject: caseSubject(c),
    family: c.family,
    dtype: c.dtype,
    outputs: [],
    outputDigest: null,
    inputDigest: null,
    timings: { execMs: 0, deviceMs: null },
  };
}

/**
 * Runs one case in DESIGN's order, once it is planned (inputs, then the oracle's answer): sends its request (twice
 * when it must repeat, back to back), gathers the answers and their timings, and hands them to the judge, which alone
 * decides the status. The other cases in flight keep the device busy while this one's reference is computed.
 */
async function runOne(session: Session, c: Case, plan: CasePlan | NotRun, timeoutMs: number, depth: number): Promise<Outcome> {
  const base = { ...baseResult(c), inputDigest: plan.inputDigest ?? null };
  if (!('request' in plan)) return { kind: 'done', result: { ...base, status: plan.status, message: plan.message } };

  const perCase = plan.repeat ? 2 : 1;
  const limitMs = timeoutMs * (depth * perCase + 1) + 5000;
  const t0 = performance.now();
  const pending = execSafely(session, plan.request);
  const pendingRepeat = plan.repeat ? execSafely(session, plan.request) : null;
  // whichever answer is not awaited must not become an unhandled rejection
  const settle = (): void => void pendingRepeat?.catch(() => undefined);

  const first = await answerOf(pending, t0, base, timeoutMs, limitMs);
  if (first.kind !== 'answer') {
    settle();
    return first;
  }
  const timings = { execMs: first.execMs, deviceMs: first.deviceMs };
  if (plan.measure) {
    settle();
    if (!first.timing) return { kind: 'done', result: { ...base, status: 'error', message: 'the device answered a bench request without a timing', timings } };
    return { kind: 'done', result: { ...base, status: 'pass', message: null, bench: plan.measure(first.timing), timings } };
  }
  let repeat: TensorData[] | null = null;
  if (pendingRepeat) {
    const again = await answerOf(pendingRepeat, t0, base, timeoutMs, limitMs);
    if (again.kind !== 'answer') return again;
    repeat = again.outputs;
  }

  try {
    const { divergence, ...judged } = plan.judge({ first: first.outputs, repeat });
    const where = divergence ? { divergence: { node: divergence.node, op: divergence.op, output: divergence.output } } : {};
    const note = first.note !== null ? { note: first.note.slice(0, 1000) } : {};
    return { kind: 'done', result: { ...base, ...judged, ...where, ...note, timings } };
  } catch (err) {
    // the judge throws only for harness bugs (a reference without its bound, …): never blame the device
    return { kind: 'done', result: { ...base, status: 'error', message: `the harness cannot judge this case: ${firstLine(err)}`, timings } };
  }
}

/** Starts a device call; an in-process driver that throws is a crashed device, not a crashed harness. */
function execSafely(session: Session, req: ExecRequest): Promise<ExecResult> {
  try {
    return session.exec(req);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

type Answer = { kind: 'answer'; outputs: TensorData[]; execMs: number; deviceMs: number | null; timing: BenchTiming | null; note: string | null };

/** The device's answer to one call, or the case's result when there is none (error, malformed, lost). */
async function answerOf(pending: Promise<ExecResult>, t0: number, base: BaseResult, timeoutMs: number, limitMs: number): Promise<Answer | Outcome> {
  let res: ExecResult;
  try {
    // Worker sessions time out their oldest request themselves and kill the worker; this outer limit covers
    // in-process sessions and a session that never answers, allowing for the requests queued ahead.
    res = await withTimeout(pending, limitMs);
  } catch (err) {
    const execMs = performance.now() - t0;
    const kind = err instanceof SessionLostError ? err.kind : err instanceof Timeout ? 'timeout' : 'crash';
    const fallback: CaseResult = {
      ...base,
      // a worker that breaks the protocol did not crash: it answered wrongly at the protocol level, an `error`
      status: kind === 'timeout' ? 'timeout' : kind === 'protocol' ? 'error' : 'crash',
      message:
        kind === 'timeout'
          ? `no answer within ${timeoutMs / 1000} s: ${firstLine(err)}`
          : kind === 'aborted'
            ? `the device session died ${MAX_ATTEMPTS} times while this case waited: ${firstLine(err)}`
            : kind === 'protocol'
              ? `the device session was restarted: ${firstLine(err)}`
              : `the device session died: ${firstLine(err)}`,
      timings: { execMs, deviceMs: null },
    };
    return { kind: 'session-lost', fallback, aborted: kind === 'aborted' };
  }
  const execMs = performance.now() - t0;
  if (!res.ok) {
    // a benchmark the device cannot run (float8 where it has none) is not applicable there; it never certifies an op
    const notApplicable = res.error.kind === 'unsupported' && base.kind === 'bench';
    const status = notApplicable ? 'skip' : res.error.kind === 'unsupported' ? 'unsupported' : 'error';
    const prefix = notApplicable ? 'not applicable: ' : res.error.kind === 'out_of_memory' ? 'out of memory: ' : '';
    return { kind: 'done', result: { ...base, status, message: prefix + res.error.message, timings: { execMs, deviceMs: null } } };
  }
  const deviceMs = res.deviceTimeNs === undefined ? null : res.deviceTimeNs / 1e6;
  const bad = res.outputs.map(validateView).find((e) => e !== null);
  if (bad) return { kind: 'done', result: { ...base, status: 'error', message: `the device returned a malformed tensor: ${bad}`, timings: { execMs, deviceMs } } };
  return { kind: 'answer', outputs: res.outputs, execMs, deviceMs, timing: res.timing ?? null, note: res.note ?? null };
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

