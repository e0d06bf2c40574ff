import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { materialize } from '../tensor/materialize.js';
import { mixSeed, userSeedProblem } from '../tensor/prng.js';
import { numel, type TensorData } from '../tensor/tensor.js';
import type { Case } from '../workload/case.js';
import { shippedSuites } from '../../suites/index.js';
import { recordingReference, runMain } from '../testing/helpers.js';
import { executeCases } from './execute.js';
import { inputDigest } from './inputs.js';

/**
 * `--seed`: a user seed mixed into every case's inputs by a documented function; without one, the inputs are exactly
 * those of the case's own seed. Every result records the sha256 of the inputs the device got.
 */
const small = shippedSuites()
  .flatMap((s) => s.cases)
  .filter((c) => c.inputs.reduce((n, spec) => n + numel(spec.shape), 0) <= 4096);
/** every 67th small shipped case: every family, dtype, layout and recipe shows up, and the reference device is quick */
const sample: Case[] = small.filter((_, i) => i % 67 === 0);

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Runs cases on the reference device and keeps the inputs of every request it was sent. */
async function recordedRun(cases: readonly Case[], seed: string | null) {
  const { session, sent } = recordingReference();
  const { results } = await executeCases(session, cases, { timeoutMs: 10_000, depth: 4, seed, reopen: () => Promise.resolve(session), onResult: () => undefined });
  return { results, sent };
}

const storages = (ts: readonly TensorData[] | undefined): Uint8Array[] => (ts ?? []).map((t) => t.storage);

describe('the user seed', () => {
  it('mixes as documented: the first 16 hex digits of sha256(caseSeed:userSeed); no user seed keeps the case seed', () => {
    expect(mixSeed('0123456789abcdef', 'reviewer-2025-06')).toBe(sha256('0123456789abcdef:reviewer-2025-06').slice(0, 16));
    expect(mixSeed('0123456789abcdef', 'reviewer-2025-06')).toMatch(/^[0-9a-f]{16}$/);
    expect(mixSeed('0123456789abcdef', null)).toBe('0123456789abcdef');
    expect(() => mixSeed('0123456789abcdef', 'a b')).toThrow(/user seed may hold only/);
  });

  it.each([
    ['', 'must not be empty'],
    ['a b', `may hold only ASCII letters, digits, '.', '_' and '-' (it holds " ")`],
    ['seed:1', `may hold only ASCII letters, digits, '.', '_' and '-' (it holds ":")`],
    ['grüße', `may hold only ASCII letters, digits, '.', '_' and '-' (it holds "ü")`],
    ['x'.repeat(65), 'must be at most 64 characters (it has 65)'],
  ])('rejects %j: %s', (seed, problem) => {
    expect(userSeedProblem(seed)).toBe(problem);
  });

  it.each(['0', 'reviewer-2025-06', 'A.b_C-9', 'f'.repeat(64)])('accepts %j', (seed) => {
    expect(userSeedProblem(seed)).toBeNull();
  });
});

describe('inputs and their digests through the runner', () => {
  it(`without a seed, sends exactly the inputs of the case's own seed, bit for bit (${sample.length} cases)`, async () => {
    const { results, sent } = await recordedRun(sample, null);
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.status} ${r.message}`)).toEqual([]);
    for (const c of sample) {
      const today = c.inputs.map((spec, i) => materialize(spec, c.seed, i));
      expect(storages(sent.get(c.id)), c.id).toEqual(storages(today));
      expect(results.find((r) => r.id === c.id)?.inputDigest, c.id).toBe(inputDigest(today));
    }
  });

  it('the same seed twice gives the same inputs and digests; another seed gives other inputs', async () => {
    const a = await recordedRun(sample, 'reviewer-2025-06');
    const again = await recordedRun(sample, 'reviewer-2025-06');
    const b = await recordedRun(sample, 'reviewer-2025-07');
    const none = await recordedRun(sample, null);
    const digests = (run: typeof a): (string | null | undefined)[] => sample.map((c) => run.results.find((r) => r.id === c.id)?.inputDigest);
    expect(a.results.every((r) => r.status === 'pass' && /^[0-9a-f]{64}$/.test(r.inputDigest ?? ''))).toBe(true);
    expect(digests(again)).toEqual(digests(a));
    for (const c of sample) expect(storages(again.sent.get(c.id)), c.id).toEqual(storages(a.sent.get(c.id)));
    // each recorded digest is the sha256 of the bytes the device got
    for (const c of sample) expect(a.results.find((r) => r.id === c.id)?.inputDigest).toBe(inputDigest(a.sent.get(c.id) ?? []));
    // a case whose values do not come from its seed (a fixed list of special values, an empty tensor) keeps its
    // inputs under any seed; every other case gets other inputs
    const seedFree = (c: Case): boolean => c.inputs.every((spec, i) => {
      const [x, y] = [materialize(spec, '0000000000000000', i), materialize(spec, 'ffffffffffffffff', i)];
      return Buffer.from(x.storage).equals(Buffer.from(y.storage));
    });
    const dependent = sample.filter((c) => !seedFree(c));
    expect(dependent.length).toBeGreaterThan(sample.length / 2);
    const unchanged = (x: typeof a, y: typeof a): string[] => dependent.filter((c) => digests(x)[sample.indexOf(c)] === digests(y)[sample.indexOf(c)]).map((c) => c.id);
    expect(unchanged(a, b)).toEqual([]);
    expect(unchanged(a, none)).toEqual([]);
  });
});

describe('accelcert run --seed', () => {
  it.each([
    ['', /^accelcert: --seed "" must not be empty\n$/],
    ['two words', /^accelcert: --seed "two words" may hold only ASCII letters, digits, '\.', '_' and '-' \(it holds " "\)\n$/],
    ['x'.repeat(65), /^accelcert: --seed "x{65}" must be at most 64 characters \(it has 65\)\n$/],
  ])('rejects %j with one sentence naming --seed and exit code 2, before any device starts', async (seed, message) => {
    const r = await runMain('run', '--driver', 'reference', '--no-sign', '--seed', seed);
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
  });
});
