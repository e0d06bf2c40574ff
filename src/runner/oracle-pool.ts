import { availableParallelism } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { firstLine } from '../errors.js';
import type { InputSpec } from '../tensor/spec.js';
import { PACKAGE_ROOT } from '../version.js';
import type { CollectiveCase, OpCase } from '../workload/case.js';
import { count, failedReply, newStats, oracleWork, runJob, type DigestAnswer, type ExpectedDigestAnswer, type Job, type Oracle, type OracleAnswer, type Reply } from './oracle.js';
import type { CaseInputSource } from './inputs.js';
import type { OracleCacheConfig } from './oracle-cache.js';
import type { JobMessage, WorkerMessage } from './oracle-worker.js';

/**
 * Below this many input elements a case is computed in the runner's thread: handing it to a worker and back costs
 * more than generating and referencing it.
 */
export const MIN_OFFLOAD_ELEMENTS = 4096;

export interface OraclePoolOptions {
  /** worker threads at most; default: the available cores (at least 1); 0 computes every case in this thread */
  size?: number;
  /** where answers are cached, or null (the default) for no cache */
  cache?: OracleCacheConfig | null;
  /** cases with fewer input elements are computed in this thread (default MIN_OFFLOAD_ELEMENTS) */
  minWork?: number;
  /** told, once, why the worker threads cannot start (the pool then computes in this thread) */
  onProblem?: (message: string) => void;
}

interface Pending {
  id: number;
  job: Job;
  resolve: (reply: Reply) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  busy: Pending | null;
}

const STOPPED = 'the run stopped before the oracle answered';

/**
 * The oracle on a pool of worker threads, started as large cases come (a run of small cases starts none). Each thread
 * computes one case at a time with the same code as the runner's thread would, and hands its buffers back without
 * copying. A thread that dies fails only the case it held (an `error` of the harness, never the device's fault) and
 * is replaced; threads that cannot start at all leave the pool computing in this thread.
 */
export class OraclePool implements Oracle {
  readonly parallelism: number;
  readonly stats = newStats();
  private readonly cache: OracleCacheConfig | null;
  private readonly minWork: number;
  private readonly onProblem: (message: string) => void;
  private readonly queue: Pending[] = [];
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private broken: string | null = null;
  private closed = false;

  constructor(opts: OraclePoolOptions = {}) {
    this.parallelism = Math.max(0, Math.floor(opts.size ?? Math.max(1, availableParallelism())));
    this.cache = opts.cache ?? null;
    this.minWork = opts.minWork ?? MIN_OFFLOAD_ELEMENTS;
    this.onProblem = opts.onProblem ?? (() => undefined);
  }

  offloads(c: { inputs: readonly InputSpec[] }): boolean {
    return this.parallelism > 0 && this.broken === null && !this.closed && oracleWork(c) >= this.minWork;
  }

  async compute(c: OpCase, seed: string | null): Promise<OracleAnswer> {
    const reply = await this.submit({ kind: 'answer', task: { case: c, seed, cache: this.cache } }, this.offloads(c));
    return count(this.stats, reply.kind === 'answer' ? reply.answer : { ok: false, message: 'the oracle answered another question', inputDigest: null });
  }

  /** The input digest of a case (any workload kind) run with the user seed, on a thread when the case is large. */
  async inputDigest(c: CaseInputSource, userSeed: string | null): Promise<DigestAnswer> {
    const task = { inputs: c.inputs, seed: c.seed, userSeed, ...(c.kind !== undefined ? { kind: c.kind } : {}) };
    const reply = await this.submit({ kind: 'inputDigest', task }, this.offloads(c));
    return reply.kind === 'inputDigest' ? reply.digest : { ok: false, message: 'the oracle answered another question' };
  }

  /** The input digests of many cases, in order, the calling thread helping (`helping`). */
  async inputDigests(cases: readonly CaseInputSource[], userSeed: string | null): Promise<DigestAnswer[]> {
    return this.helping(cases.map((c) => this.inputDigest(c, userSeed)));
  }

  /**
   * The digest of the only outputs an op or collective case's rules admit, run with the user seed (oracle.ts `computeExpectedDigest`),
   * on a thread when the case is large.
   */
  async expectedDigest(c: OpCase | CollectiveCase, userSeed: string | null): Promise<ExpectedDigestAnswer> {
    const reply = await this.submit({ kind: 'expectedDigest', task: { case: c, seed: userSeed } }, this.offloads(c));
    return reply.kind === 'expectedDigest' ? reply.digest : { ok: false, message: 'the oracle answered another question' };
  }

  /** The expected digests of many op and collective cases, in order, the calling thread helping (`helping`). */
  async expectedDigests(cases: readonly (OpCase | CollectiveCase)[], userSeed: string | null): Promise<ExpectedDigestAnswer[]> {
    return this.helping(cases.map((c) => this.expectedDigest(c, userSeed)));
  }

  /**
   * Waits for answers already submitted while the calling thread helps: it takes queued jobs from the back of the
   * queue while the threads take them from the front (verify has nothing else to do meanwhile).
   */
  private async helping<T>(answers: Promise<T>[]): Promise<T[]> {
    while (this.queue.length > 0 && !this.closed) {
      const p = this.queue.pop() as Pending;
      p.resolve(runJob(p.job));
      // let the threads' answers in, and hand them their next jobs
      await new Promise((resolve) => setImmediate(resolve));
    }
    return Promise.all(answers);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve(failedReply(p.job, STOPPED));
    const slots = this.slots.splice(0);
    for (const s of slots) {
      if (s.busy) s.busy.resolve(failedReply(s.busy.job, STOPPED));
      s.busy = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  private submit(job: Job, offload: boolean): Promise<Reply> {
    if (this.closed) return Promise.resolve(failedReply(job, STOPPED));
    if (!offload) return Promise.resolve(runJob(job));
    if (job.kind === 'answer') this.stats.offloaded += 1;
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, job, resolve });
      this.pump();
    });
  }

  /** Hands queued jobs to idle threads, and starts threads while jobs wait and the pool is not full. */
  private pump(): void {
    if (this.broken !== null) {
      for (const p of this.queue.splice(0)) p.resolve(runJob(p.job));
      return;
    }
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (slot.ready && slot.busy === null) this.assign(slot, this.queue.shift() as Pending);
    }
    let starting = this.slots.filter((s) => !s.ready).length;
    while (this.queue.length > starting && this.slots.length < this.parallelism) {
      this.spawn();
      starting += 1;
    }
  }

  private assign(slot: Slot, p: Pending): void {
    slot.busy = p;
    slot.worker.ref();
    slot.worker.postMessage({ id: p.id, job: p.job } satisfies JobMessage);
  }

  private spawn(): void {
    const { url, options } = workerEntry();
    let worker: Worker;
    try {
      worker = new Worker(url, options);
    } catch (err) {
      this.breakPool(`the oracle's worker threads cannot start: ${firstLine(err)}`);
      return;
    }
    const slot: Slot = { worker, ready: false, busy: null };
    this.slots.push(slot);
    worker.on('message', (m: WorkerMessage) => {
      if ('ready' in m) {
        slot.ready = true;
        if (slot.busy === null) worker.unref();
      } else if (slot.busy && slot.busy.id === m.id) {
        const p = slot.busy;
        slot.busy = null;
        worker.unref();
        p.resolve(m.reply);
      }
      this.pump();
    });
    worker.on('error', (err) => this.lost(slot, firstLine(err)));
    worker.on('exit', (code) => this.lost(slot, `it exited with code ${code}`));
  }

  /** A thread died: the job it held fails (a harness error), and a thread that never started breaks the pool. */
  private lost(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0 || this.closed) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate().catch(() => undefined);
    if (!slot.ready) {
      this.breakPool(`the oracle's worker threads cannot start (${why}); computing in the runner's thread`);
    } else if (slot.busy) {
      slot.busy.resolve(failedReply(slot.busy.job, `the oracle's worker thread died while computing this case: ${why}`));
      slot.busy = null;
    }
    this.pump();
  }

  private breakPool(message: string): void {
    if (this.broken !== null) return;
    this.broken = message;
    this.onProblem(message);
    this.pump();
  }
}

/*
 * Running from TypeScript sources (the tests), the worker's entry is a .ts file, which Node 20 cannot load: the thread
 * then starts from a bootstrap that registers module hooks stripping types with the TypeScript compiler (a dev
 * dependency, present wherever the sources are) and mapping `./x.js` imports to `./x.ts`. From dist/ the compiled
 * entry loads directly.
 */
const TS_HOOKS = `
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
let root;
let ts;
const cacheDir = join(tmpdir(), 'accelcert-worker-ts');
export function initialize(data) { root = data.root; }
export async function resolve(specifier, context, next) {
  if (context.parentURL && context.parentURL.endsWith('.ts') && /^\\.\\.?\\//.test(specifier) && specifier.endsWith('.js')) {
    const url = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const source = readFileSync(fileName, 'utf8');
  // transpiled files are kept in the temp folder by content, so that every thread after the first starts quickly
  const cached = join(cacheDir, createHash('sha256').update(fileName + '\\0' + source).digest('hex') + '.js');
  if (existsSync(cached)) return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  ts ??= createRequire(root + '/package.json')('typescript');
  const out = ts.transpileModule(source, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = cached + '.' + process.pid + '-' + Math.random().toString(16).slice(2) + '.tmp';
    writeFileSync(tmp, out);
    renameSync(tmp, cached);
  } catch {
    // a cache that cannot be written only costs time
  }
  return { format: 'module', source: out, shortCircuit: true };
}
`;

const TS_BOOT = `
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';
register('data:text/javascript,' + encodeURIComponent(workerData.hooks), { data: { root: workerData.root } });
await import(workerData.entry);
`;

function workerEntry(): { url: URL; options: WorkerOptions } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { url: new URL('./oracle-worker.js', here), options: {} };
  return {
    url: new URL(`data:text/javascript,${encodeURIComponent(TS_BOOT)}`),
    options: { workerData: { hooks: TS_HOOKS, root: PACKAGE_ROOT, entry: new URL('./oracle-worker.ts', here).href } },
  };
}
