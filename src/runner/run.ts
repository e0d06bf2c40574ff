import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Driver, OpenOptions, Session } from '../drivers/types.js';
import type { DeviceInfo } from '../device/device.js';
import { firstLine, UserError } from '../errors.js';
import type { Case } from '../workload/case.js';
import { executeCases } from './execute.js';
import { Journal } from './journal.js';
import { openRunLog } from './log.js';
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
 * An interrupt (SIGINT/SIGTERM) stops scheduling, keeps what completed, and marks the run interrupted.
 */
export async function runCases(spec: RunSpec): Promise<RunOutput> {
  mkdirSync(spec.outDir, { recursive: true });
  const log = openRunLog(join(spec.outDir, 'run.log'));
  const journal = new Journal(join(spec.outDir, 'journal.jsonl'), { keep: spec.resume === true });
  const openOptions: OpenOptions = { ...spec.openOptions, timeoutMs: spec.timeoutMs, log: (line) => log.info({ source: 'worker' }, line) };
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
  const onSignal = (): void => {
    interrupted = true;
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = new Progress(spec.cases.length, `${spec.driver.name}:${session.device.device}`);
  let current = session;
  const oracle = new OraclePool({
    ...(spec.oracleThreads !== undefined ? { size: spec.oracleThreads } : {}),
    cache: spec.cache ?? null,
    onProblem: (message) => log.warn({ reason: message }, 'oracle threads unavailable'),
  });
  log.info({ threads: oracle.parallelism, cache: spec.cache?.dir ?? null }, 'oracle ready');
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
        current = await open();
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
    return { device: session.device, results, startedAt, endedAt: new Date(), interrupted, deviceLost, log };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await oracle.close();
    await current.close().catch(() => undefined);
    log.info('run ended');
  }
}
