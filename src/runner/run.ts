import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Driver, OpenOptions, Session } from '../drivers/types.js';
import { SpareWorker } from '../drivers/worker/spare.js';
import type { DeviceInfo } from '../device/device.js';
import { firstLine, UserError } from '../errors.js';
import type { Case } from '../workload/case.js';
import { executeCases } from './execute.js';
import { Journal, JOURNAL_FILE } from './journal.js';
import { openRunLog, RUN_LOG_FILE } from './log.js';
import type { OracleCacheConfig } from './oracle-cache.js';
import { OraclePool } from './oracle-pool.js';
import { Progress } from './progress.js';
import type { CaseResult } from './result.js';

export interface RunSpec {
  driver: Driver;
  device: string | undefined;
  openOptions: OpenOptions;
  cases: readonly Case[];
  outDir: string;
  timeoutMs: number;
  depth: number;
  /** the user seed (`--seed`) mixed into every case's inputs; null or absent: the cases' own seeds */
  seed?: string | null;
  /** where the oracle's answers are cached (see oracleCacheFromEnv); null or absent: no cache */
  cache?: OracleCacheConfig | null;
  /** `run --resume`: keep the journal's results (the cases given are those left to run) */
  resume?: boolean;
  /** called once the device is open, before any case: may refuse it (a resumed run on another device) by throwing */
  onOpened?: (device: DeviceInfo) => void;
  /** stop after this many cases in a row crash or time out (default: never) */
  maxConsecutiveCrashes?: number;
  /** the oracle's worker threads at most (default: the available cores); 0 computes every case in the runner's thread */
  oracleThreads?: number;
  /** keep a worker started ahead, so that a crash or a hang costs milliseconds rather than a framework import (default: true) */
  spareWorker?: boolean;
}

export interface RunOutput {
  device: DeviceInfo;
  results: CaseResult[];
  startedAt: Date;
  endedAt: Date;
  interrupted: boolean;
  /** why the device was lost for good mid-run (the cases left are crashes), or null */
  deviceLost: string | null;
  log: Logger;
}

/**
 * Opens the device, runs the selected cases, journals each result as it completes, and closes the device.
 * An interrupt (SIGINT/SIGTERM) stops scheduling, lets the cases in flight finish, keeps what completed, and marks
 * the run interrupted. A second interrupt while the run winds down stops the process at once (exit 130): the journal,
 * written and flushed line by line, holds every case that finished, for `run --resume`; the workers die with the
 * process.
 */
export async function runCases(spec: RunSpec): Promise<RunOutput> {
  mkdirSync(spec.outDir, { recursive: true });
  const log = openRunLog(join(spec.outDir, RUN_LOG_FILE));
  const journal = new Journal(join(spec.outDir, JOURNAL_FILE), { keep: spec.resume === true });
  // worker drivers start their spare once the device is open; it goes when the run does, however the run ends
  const spare = spec.spareWorker === false ? undefined : new SpareWorker();
  try {
    return await runOpened(spec, log, journal, spare);
  } finally {
    await spare?.close();
    journal.close();
  }
}

async function runOpened(spec: RunSpec, log: Logger, journal: Journal, spare: SpareWorker | undefined): Promise<RunOutput> {
  const openOptions: OpenOptions = {
    ...spec.openOptions,
    timeoutMs: spec.timeoutMs,
    log: (line) => log.info({ source: 'worker' }, line),
    ...(spare ? { spare } : {}),
  };
  const startedAt = new Date();
  log.info({ driver: spec.driver.name, device: spec.device, cases: spec.cases.length, seed: spec.seed ?? null }, 'run started');
  const open = (): Promise<Session> => spec.driver.open(spec.device, openOptions);
  let session: Session;
  try {
    session = await open();
  } catch (err) {
    log.error({ err: String(err) }, 'device could not be opened');
    if (err instanceof UserError) throw err;
    // a driver's own bug at start-up is an infrastructure failure of that driver, told in one sentence
    throw new UserError(`the ${spec.driver.name} driver could not open ${spec.device ?? 'its default device'}: ${firstLine(err)}`, 3);
  }
  log.info({ fingerprint: session.device.fingerprint, capabilities: session.capabilities }, 'device opened');
  try {
    spec.onOpened?.(session.device);
  } catch (err) {
    await session.close().catch(() => undefined);
    throw err;
  }

  let interrupted = false;
  const controller = new AbortController();
  const progress = new Progress(spec.cases.length, `${spec.driver.name}:${session.device.device}`);
  // The first interrupt lets the cases in flight finish and the report be written; a second one stops at once. Node
  // runs a signal handler between two pieces of JavaScript, never inside one, so no journal line is half-written here.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupted) {
      interrupted = true;
      controller.abort();
      log.warn({ signal }, 'interrupted: finishing the cases in flight');
      progress.note('accelcert: interrupted: finishing the cases in flight, then writing an INCOMPLETE report (press Ctrl-C again to stop at once)');
      return;
    }
    journal.close();
    log.warn({ signal, journal: journal.path, finished: journal.size }, 'interrupted again: stopped at once');
    progress.note(
      `accelcert: interrupted again: stopping at once; the journal ${journal.path} holds ${journal.size} finished cases (resume with the same command and --resume ${spec.outDir})`,
    );
    // the 'exit' handler of src/drivers/worker/process.ts kills the live workers
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let current = session;
  const oracle = new OraclePool({
    ...(spec.oracleThreads !== undefined ? { size: spec.oracleThreads } : {}),
    cache: spec.cache ?? null,
    onProblem: (message) => log.warn({ reason: message }, 'oracle threads unavailable'),
  });
  log.info({ threads: oracle.parallelism, cache: spec.cache?.dir ?? null }, 'oracle ready');
  let ran: { results: CaseResult[]; deviceLost: string | null; endedAt: Date };
  try {
    const { results, deviceLost } = await executeCases(session, spec.cases, {
      timeoutMs: spec.timeoutMs,
      depth: spec.depth,
      ...(spec.maxConsecutiveCrashes !== undefined ? { maxConsecutiveCrashes: spec.maxConsecutiveCrashes } : {}),
      seed: spec.seed ?? null,
      oracle,
      signal: controller.signal,
      reopen: async () => {
        log.warn('device session lost; opening a fresh one');
        const t0 = performance.now();
        current = await open();
        log.info({ ms: Math.round(performance.now() - t0) }, 'fresh device session opened');
        return current;
      },
      onResult: (r) => {
        journal.append(r);
        if (r.status !== 'pass') log.info({ id: r.id, status: r.status, message: r.message }, 'case not passed');
        progress.tick(r);
      },
    });
    if (deviceLost) log.error({ reason: deviceLost }, 'the run stopped running cases');
    const { hits, computed, offloaded, cacheProblem } = oracle.stats;
    log.info({ cached: hits, computed, offloaded, cacheProblem }, 'oracle answers');
    ran = { results, deviceLost, endedAt: new Date() };
  } finally {
    // closing a session may wait for a worker (up to 5 s): a second interrupt meanwhile still stops at once
    try {
      await oracle.close();
      await current.close().catch(() => undefined);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log.info('run ended');
    }
  }
  // read once the session is closed: an interrupt while it closed makes the run interrupted too, as its message says
  return { device: session.device, ...ran, startedAt, interrupted, log };
}
