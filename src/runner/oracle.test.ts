import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingReference } from '../testing/helpers.js';
import type { RefOutput } from '../ops/types.js';
import type { TensorData } from '../tensor/tensor.js';
import type { Case, OpCase } from '../workload/case.js';
import { shippedSuites } from '../../suites/index.js';
import { executeCases } from './execute.js';
import { caseDigest, computeOracle, inThreadOracle, oracleWork, transferables, type Oracle, type OracleAnswer, type OracleResult } from './oracle.js';
import { cacheRoot, decodeEntry, encodeEntry, entryPath, MIN_CACHED_ELEMENTS, oracleCacheFromEnv, oracleCacheKey, oracleCodeDigest, type OracleCacheConfig } from './oracle-cache.js';
import { MIN_OFFLOAD_ELEMENTS, OraclePool } from './oracle-pool.js';
import type { CaseResult } from './result.js';

/**
 * The oracle on worker threads and from the disk cache gives the same bytes as the oracle in the runner's thread: the
 * same inputs for the device, the same expected outputs, the same results. A cache entry is trusted only when whole.
 */
const opCases = shippedSuites()
  .flatMap((s) => s.cases)
  .filter((c): c is OpCase => c.kind === 'op');
const work = (c: OpCase): number => oracleWork(c);
/** large enough to go to a thread, small enough that the reference device answers quickly */
const large = opCases.filter((c) => work(c) >= MIN_OFFLOAD_ELEMENTS && work(c) <= 20_000).filter((_, i) => i % 3 === 0).slice(0, 24);
const small = opCases.filter((c) => work(c) < 256).filter((_, i) => i % 40 === 0).slice(0, 24);
const mixed: OpCase[] = [...large, ...small].sort((a, b) => (a.id < b.id ? -1 : 1));

const bytesOf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Every typed-array field of every output, as bytes (NaN payloads and −0 included), and every other field as is. */
function exactly(outputs: readonly RefOutput[]): unknown[] {
  return outputs.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, ArrayBuffer.isView(v) ? `${v.constructor.name}:${bytesOf(v).toString('hex')}` : Object.is(v, -0) ? '-0' : v])));
}
function sameAnswer(a: OracleAnswer, b: OracleAnswer): void {
  expect(a.ok && b.ok).toBe(true);
  const x = a as OracleResult;
  const y = b as OracleResult;
  expect(y.inputDigest).toBe(x.inputDigest);
  expect(y.inputs.map((t) => ({ ...t, storage: bytesOf(t.storage).toString('hex') }))).toEqual(x.inputs.map((t) => ({ ...t, storage: bytesOf(t.storage).toString('hex') })));
  expect(y.refs.map((r) => ({ ...r, values: bytesOf(r.values).toString('hex') }))).toEqual(x.refs.map((r) => ({ ...r, values: bytesOf(r.values).toString('hex') })));
  expect(exactly(y.expected)).toEqual(exactly(x.expected));
}

/** a cache in a fresh folder that keeps every case, however small */
const tmpCache = (): OracleCacheConfig => ({ dir: mkdtempSync(join(tmpdir(), 'accelcert-oracle-')), version: 'test', code: oracleCodeDigest(), minElements: 0 });

async function runWith(oracle: Oracle | undefined, cases: readonly Case[], seed: string | null = null): Promise<{ results: CaseResult[]; sent: Map<string, TensorData[]> }> {
  const { session, sent } = recordingReference();
  const out = await executeCases(session, cases, { timeoutMs: 30_000, depth: 4, seed, ...(oracle ? { oracle } : {}), reopen: () => Promise.resolve(session), onResult: () => undefined });
  return { results: out.results, sent };
}
const withoutTimings = (rs: CaseResult[]): unknown[] => rs.map(({ timings: _, ...r }) => r);
const storages = (m: Map<string, TensorData[]>): Record<string, string[]> =>
  Object.fromEntries([...m].map(([id, ts]) => [id, ts.map((t) => bytesOf(t.storage).toString('hex'))]));

const pools: OraclePool[] = [];
const pool = (opts: ConstructorParameters<typeof OraclePool>[0]): OraclePool => {
  const p = new OraclePool(opts);
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe('the oracle on worker threads', () => {
  it(`gives the runner's-thread answer bit for bit (${large.length} large cases)`, async () => {
    expect(large.length).toBeGreaterThan(10);
    const problems: string[] = [];
    const p = pool({ size: 2, onProblem: (m) => problems.push(m) });
    expect(large.every((c) => p.offloads(c))).toBe(true);
    const answers = await Promise.all(large.map((c) => p.compute(c, 'reviewer-2025-06')));
    // the threads really started (a pool whose threads cannot start computes here instead, and says so)
    expect(problems).toEqual([]);
    for (const [i, c] of large.entries()) sameAnswer(computeOracle({ case: c, seed: 'reviewer-2025-06', cache: null }), answers[i] as OracleAnswer);
    expect(p.stats).toMatchObject({ offloaded: large.length, computed: large.length, hits: 0 });
  });

  it(`runs the same results, with the same device inputs, as the oracle in the runner's thread (${mixed.length} cases)`, async () => {
    const here = await runWith(undefined, mixed);
    const p = pool({ size: 2 });
    const threads = await runWith(p, mixed);
    expect(here.results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.message}`)).toEqual([]);
    expect(withoutTimings(threads.results)).toEqual(withoutTimings(here.results));
    expect(storages(threads.sent)).toEqual(storages(here.sent));
    // the small cases stayed in this thread; the large ones went to the threads
    expect(p.stats.offloaded).toBe(large.length);
  });

  it('computes everything in this thread with size 0, and small cases in this thread by default', () => {
    const none = pool({ size: 0 });
    expect(none.parallelism).toBe(0);
    expect(mixed.some((c) => none.offloads(c))).toBe(false);
    const p = pool({});
    expect(p.parallelism).toBeGreaterThanOrEqual(1);
    expect(small.some((c) => p.offloads(c))).toBe(false);
  });

  it('hands every buffer of an answer over instead of copying it', () => {
    const answer = computeOracle({ case: large[0]!, seed: null, cache: null }) as OracleResult;
    const buffers = transferables(answer);
    for (const t of answer.inputs) expect(buffers).toContain(t.storage.buffer);
    for (const r of answer.refs) expect(buffers).toContain(r.values.buffer);
    for (const o of answer.expected) expect(buffers).toContain(o.values.buffer);
  });

  it('a thread that dies fails only the case it held, as a harness error, and a fresh thread takes the rest', async () => {
    const huge = opCases.filter((c) => work(c) > 200_000).slice(0, 1);
    const rest = large.slice(0, 3);
    const p = pool({ size: 1 });
    const answers = [...huge, ...rest].map((c) => p.compute(c, null));
    const inside = p as unknown as { slots: { worker: { terminate(): Promise<number> }; ready: boolean; busy: unknown }[] };
    while (!(inside.slots[0]?.ready && inside.slots[0].busy)) await new Promise((r) => setTimeout(r, 5));
    await inside.slots[0].worker.terminate();
    const [first, ...others] = await Promise.all(answers);
    expect(first).toEqual({ ok: false, message: expect.stringMatching(/^the oracle's worker thread died while computing this case: it exited with code 1$/) as unknown, inputDigest: null });
    for (const [i, a] of others.entries()) sameAnswer(computeOracle({ case: rest[i]!, seed: null, cache: null }), a);
  });

  it('answers cases still waiting when it is closed as failures, never leaving them pending', async () => {
    const p = new OraclePool({ size: 1 });
    const pending = large.slice(0, 4).map((c) => p.compute(c, null));
    await p.close();
    const answers = await Promise.all(pending);
    expect(answers.every((a) => a.ok || a.message === 'the run stopped before the oracle answered')).toBe(true);
    expect(await p.compute(large[0]!, null)).toEqual({ ok: false, message: 'the run stopped before the oracle answered', inputDigest: null });
  });
});

describe('the oracle cache', () => {
  it('a second run reads every answer from the cache and gives the same results and inputs', async () => {
    const cache = tmpCache();
    const cold = inThreadOracle(cache);
    const first = await runWith(cold, mixed);
    expect(cold.stats).toMatchObject({ hits: 0, computed: mixed.length, cacheProblem: null });
    expect(readdirSync(cache.dir).flatMap((d) => readdirSync(join(cache.dir, d)))).toHaveLength(mixed.length);
    const warm = pool({ size: 2, cache });
    const second = await runWith(warm, mixed);
    expect(warm.stats).toMatchObject({ hits: mixed.length, computed: 0 });
    expect(withoutTimings(second.results)).toEqual(withoutTimings(first.results));
    expect(storages(second.sent)).toEqual(storages(first.sent));
    for (const c of mixed) sameAnswer(computeOracle({ case: c, seed: null, cache: null }), computeOracle({ case: c, seed: null, cache }));
  });

  it('ignores a corrupt, truncated, foreign or garbage entry, recomputes the answer and stores it again', () => {
    const cache = tmpCache();
    const c = large[1]!;
    const fresh = computeOracle({ case: c, seed: null, cache });
    expect(fresh).toMatchObject({ ok: true, cache: 'miss', cacheProblem: null });
    const path = entryPath(cache, oracleCacheKey(caseDigest(c), null, cache));
    const good = readFileSync(path);
    const other = large[2]!;
    computeOracle({ case: other, seed: null, cache });
    const foreign = readFileSync(entryPath(cache, oracleCacheKey(caseDigest(other), null, cache)));
    const flipped = Buffer.from(good);
    const mid = flipped.length >> 1;
    flipped.writeUInt8((flipped[mid] ?? 0) ^ 0x10, mid);
    const damaged: [string, Buffer][] = [
      ['one bit flipped', flipped],
      ['truncated', good.subarray(0, good.length - 100)],
      ['cut in the header', good.subarray(0, 40)],
      ["another case's entry", foreign],
      ['garbage', Buffer.from('not an entry at all')],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, bytes] of damaged) {
      writeFileSync(path, bytes);
      const again = computeOracle({ case: c, seed: null, cache });
      expect(again, what).toMatchObject({ ok: true, cache: 'miss' });
      sameAnswer(fresh, again);
      expect(readFileSync(path).equals(good), what).toBe(true);
      expect(computeOracle({ case: c, seed: null, cache }), what).toMatchObject({ ok: true, cache: 'hit' });
    }
    // no temp file is left behind
    expect(readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keys an entry by the case, the seed, the version and the oracle code', () => {
    const c = large[0]!;
    const d = caseDigest(c);
    const cfg = { version: '0.1.0', code: 'a'.repeat(64) };
    const key = oracleCacheKey(d, null, cfg);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(oracleCacheKey(d, null, cfg)).toBe(key);
    const others = [
      oracleCacheKey(d, 'reviewer-2025-06', cfg),
      oracleCacheKey(d, 'reviewer-2025-07', cfg),
      oracleCacheKey(d, null, { ...cfg, version: '0.2.0' }),
      oracleCacheKey(d, null, { ...cfg, code: 'b'.repeat(64) }),
      oracleCacheKey(caseDigest({ ...c, args: [...c.args] , id: `${c.id}-x` }), null, cfg),
    ];
    expect(new Set([key, ...others]).size).toBe(others.length + 1);
    // a seeded answer is another entry: the same case with a seed reads nothing that the seedless run stored
    const cache = tmpCache();
    expect(computeOracle({ case: c, seed: null, cache })).toMatchObject({ cache: 'miss' });
    expect(computeOracle({ case: c, seed: 'reviewer-2025-06', cache })).toMatchObject({ cache: 'miss' });
    expect(computeOracle({ case: c, seed: 'reviewer-2025-06', cache })).toMatchObject({ cache: 'hit' });
    expect(computeOracle({ case: c, seed: null, cache: { ...cache, version: 'test-2' } })).toMatchObject({ cache: 'miss' });
  });

  it('stores every typed-array and number field of an output, whatever its name, and nothing it cannot hold exactly', () => {
    const out = {
      shape: [2, 3],
      values: new Float64Array([1, NaN, -0, Infinity, -Infinity, 5e-324]),
      absSum: new Float64Array(6).fill(2),
      exact: new Uint8Array([1, 0, 1, 0, 1, 1]),
      lanes: new Int32Array([-1, 2, -3]),
      words: new BigInt64Array([-(2n ** 63n), 7n]),
      halves: new Uint16Array([0x7e00, 0xfc00]),
      terms: 4096,
      odd: NaN,
      negZero: -0,
      note: 'x',
      skipped: undefined,
    };
    const key = 'k'.repeat(64);
    const bytes = encodeEntry(key, [out, { shape: [], values: new Float64Array([3]) }]);
    expect(bytes).not.toBeNull();
    const back = decodeEntry(bytes!, key)!;
    expect(back).toHaveLength(2);
    const o = back[0]!;
    expect(Object.keys(o).sort()).toEqual(Object.keys(out).filter((k) => k !== 'skipped').sort());
    for (const [k, v] of Object.entries(out)) {
      if (v === undefined) continue;
      if (ArrayBuffer.isView(v)) {
        expect(o[k]?.constructor, k).toBe(v.constructor);
        expect(bytesOf(o[k] as ArrayBufferView).equals(bytesOf(v)), k).toBe(true);
      } else expect(Object.is(o[k], v) || JSON.stringify(o[k]) === JSON.stringify(v), k).toBe(true);
    }
    expect(decodeEntry(bytes!, 'j'.repeat(64))).toBeNull();
    // a field of a kind the format cannot hold exactly makes the outputs uncacheable, never silently altered
    expect(encodeEntry(key, [{ shape: [1], values: new Float64Array(1), at: new Date(0) }])).toBeNull();
    expect(encodeEntry(key, [{ shape: [1], values: new Float64Array(1), nested: { a: new Float64Array(1) } }])).toBeNull();
    expect(encodeEntry(key, [{ shape: [1], values: new Float64Array(1), big: 1n }])).toBeNull();
  });

  it('keeps only cases large enough for the reference to cost more than reading an entry', () => {
    const cache: OracleCacheConfig = { ...tmpCache(), minElements: undefined };
    const tiny = small[0]!;
    expect(computeOracle({ case: tiny, seed: null, cache })).toMatchObject({ ok: true, cache: 'off' });
    expect(readdirSync(cache.dir)).toEqual([]);
    const big = opCases.find((c) => work(c) >= MIN_CACHED_ELEMENTS && work(c) < 4 * MIN_CACHED_ELEMENTS)!;
    expect(computeOracle({ case: big, seed: null, cache })).toMatchObject({ ok: true, cache: 'miss' });
    expect(computeOracle({ case: big, seed: null, cache })).toMatchObject({ ok: true, cache: 'hit' });
  });

  it('lives in $ACCELCERT_CACHE, else $XDG_CACHE_HOME/accelcert, else ~/.cache/accelcert; ACCELCERT_CACHE=off turns it off', () => {
    expect(cacheRoot({})).toBe(join(homedir(), '.cache', 'accelcert'));
    expect(cacheRoot({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/accelcert');
    expect(cacheRoot({ XDG_CACHE_HOME: 'relative/ignored' })).toBe(join(homedir(), '.cache', 'accelcert'));
    expect(cacheRoot({ XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'accelcert'));
    expect(cacheRoot({ ACCELCERT_CACHE: '/tmp/ac', XDG_CACHE_HOME: '/var/cache/me' })).toBe('/tmp/ac');
    expect(cacheRoot({ ACCELCERT_CACHE: 'off', XDG_CACHE_HOME: '/var/cache/me' })).toBeNull();
    expect(oracleCacheFromEnv({ ACCELCERT_CACHE: 'off' })).toBeNull();
    expect(oracleCacheFromEnv({ ACCELCERT_CACHE: '/tmp/ac' }, '1.2.3')).toEqual({ dir: '/tmp/ac/oracle/1.2.3', version: '1.2.3', code: oracleCodeDigest() });
    expect(oracleCacheFromEnv({ ACCELCERT_CACHE: '/tmp/ac' }, '1.2.3/../x')?.dir).toBe('/tmp/ac/oracle/1.2.3_.._x');
  });

  it('a cache it cannot write to is skipped with a reason, and the answer is still right', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'accelcert-oracle-')), 'a-file');
    writeFileSync(file, '');
    const cache: OracleCacheConfig = { dir: join(file, 'oracle'), version: 'test', code: 'c'.repeat(64), minElements: 0 };
    const c = large[0]!;
    const a = computeOracle({ case: c, seed: null, cache });
    expect(a).toMatchObject({ ok: true, cache: 'miss', cacheProblem: expect.stringMatching(/^cannot write .*: ENOTDIR/) as unknown });
    sameAnswer(computeOracle({ case: c, seed: null, cache: null }), a);
  });
});
