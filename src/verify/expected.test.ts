import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { shippedSuites } from '../../suites/index.js';
import { findPython } from '../drivers/pytorch/python.js';
import { IN, assess, newAssessment, valueRule } from '../judge/interval.js';
import type { Accuracy, OutputSpec, RefOutput } from '../ops/types.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { computeOracle, onlyAnswerBytes, SINGLE_ANSWER_RULES } from '../runner/oracle.js';
import { decodeValues } from '../tensor/codec.js';
import { castTo, floatFormat, isFloating, ulpOf, type DType } from '../tensor/dtype.js';
import { runMain } from '../testing/helpers.js';
import type { Case } from '../workload/case.js';
import { expectedOutputsCheck } from './expected.js';
import { shippedCatalog } from './shipped.js';
import type { ShippedCatalog } from './verify.js';

/**
 * Where a case's rules admit one answer, a passing result's outputDigest is known before the device runs: verify
 * recomputes it and fails a report whose digest differs (an answer fabricated to pass). The runs are real: the
 * reference device and, where torch is installed, PyTorch on the CPU.
 */
const byId = new Map(shippedSuites().flatMap((s) => s.cases).map((c) => [c.id, c]));
const SEED = 'reviewer-2025-06';
/** Exact ops (comparisons, copies, indexing, integer arithmetic) and correctly rounded ones, in float32, float16 and bfloat16. */
const FILTERS = [
  'core/*/aten.eq.Tensor/**',
  'core/*/aten.neg.default/**',
  'core/*/aten.relu.default/**',
  'core/*/aten.index_select.default/**',
  'core/*/aten.add.Tensor/**',
  'core/*/aten.mul.Tensor/**',
  'core/*/aten.div.Tensor/**',
  'core/*/aten.sqrt.default/**',
];

let root = '';
beforeAll(() => {
  vi.stubEnv('ACCELCERT_CACHE', 'off');
  root = mkdtempSync(join(tmpdir(), 'accelcert-expected-'));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

async function run(name: string, args: readonly string[], filters: readonly string[] = FILTERS): Promise<Report> {
  const dir = join(root, name);
  const r = await runMain('run', '--profile', 'inference-lowp', ...filters.flatMap((f) => ['--filter', f]), '--no-sign', '--out', dir, ...args);
  if (r.code !== 0 && r.code !== 1) throw new Error(`run exited ${r.code}: ${r.err}`);
  return ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
}

/** The shipped catalog with the report's expected digests prepared (two threads, so that large cases take the pool's path). */
async function preparedCatalog(report: Report): Promise<ShippedCatalog> {
  const catalog = shippedCatalog(shippedSuites(), { threads: 2 });
  await catalog.prepareExpectedDigests?.(
    report.results.map((r) => r.id),
    report.selection.seed ?? null,
  );
  return catalog;
}

/**
 * Whether an element admits one answer, written apart from oracle.ts from the rules' definitions (docs/numerics.md):
 * NaN's payload is free; a zero's sign is free unless the rule is exact(signed-zero); int64 beyond 2^53 shares its
 * double; correctly rounded admits both neighbours of a tie (measured in the spacing on the side of the reference:
 * below a power of two it is half the one above), and maxFinite beside inf at the overflow tie.
 */
function naiveSingle(rule: string, dtype: DType, r: number): boolean {
  const c = castTo(dtype, r);
  if (Number.isNaN(c)) return false;
  if (!isFloating(dtype)) return dtype !== 'int64' || Math.abs(c) < 2 ** 53;
  if (c === 0) return rule === 'exact(signed-zero)';
  if (rule !== 'correctly-rounded') return true;
  const { maxFinite, minExponent } = floatFormat(dtype);
  if (!Number.isFinite(c)) return Number.isFinite(r) ? Math.abs(r) !== maxFinite + ulpOf(dtype, maxFinite) / 2 : true;
  const a = Math.abs(c);
  const pow2 = a === 2 ** Math.round(Math.log2(a)) && a > 2 ** minExponent;
  if (r === c) return true;
  const spacing = Math.abs(r) < a && pow2 ? ulpOf(dtype, a) / 2 : ulpOf(dtype, a);
  return Math.abs(r - c) !== spacing / 2;
}

/** The pass results whose every output admits one answer by `naiveSingle`, the reference recomputed with the seed. */
function naiveCount(report: Report): { count: number; rules: Set<string> } {
  const rules = new Set<string>();
  let count = 0;
  for (const r of report.results) {
    const c = byId.get(r.id) as Case;
    if (r.status !== 'pass' || c.kind !== 'op' || !r.outputs.every((o) => SINGLE_ANSWER_RULES.includes(o.rule))) continue;
    const answer = computeOracle({ case: c, seed: report.selection.seed ?? null, cache: null });
    if (!answer.ok) throw new Error(answer.message);
    const single = r.outputs.every((o, k) => Array.from((answer.expected[k] as RefOutput).values).every((v) => naiveSingle(o.rule, o.dtype as DType, v)));
    if (!single) continue;
    count += 1;
    for (const o of r.outputs) rules.add(`${o.rule} ${o.dtype}`);
  }
  return { count, rules };
}

describe('expected output digests on the reference device', () => {
  let plain: Report;
  beforeAll(async () => {
    plain = await run('plain', ['--driver', 'reference']);
  }, 120_000);

  it('every result with a single admissible answer records it, exact and correctly rounded, in float32, float16 and bfloat16', async () => {
    expect(plain.results.every((r) => r.status === 'pass')).toBe(true);
    const { count, rules } = naiveCount(plain);
    expect(count).toBeGreaterThan(100);
    for (const rule of ['correctly-rounded float32', 'correctly-rounded float16', 'correctly-rounded bfloat16', 'exact bool', 'exact(signed-zero) float32', 'exact(signed-zero) int64']) {
      expect(rules, rule).toContain(rule);
    }
    const check = expectedOutputsCheck(plain, await preparedCatalog(plain));
    expect(check).toEqual({
      state: 'ok',
      message: `${count} results with a single admissible answer (exact or correctly rounded) have the output digest their inputs give`,
      details: [],
    });
  }, 120_000);

  it('derives the digests of a seeded run from the seed', async () => {
    const seeded = await run('seeded', ['--driver', 'reference', '--seed', SEED], FILTERS.slice(4));
    expect(seeded.selection.seed).toBe(SEED);
    const { count } = naiveCount(seeded);
    expect(count).toBeGreaterThan(50);
    const check = expectedOutputsCheck(seeded, await preparedCatalog(seeded));
    expect([check.state, check.message]).toEqual(['ok', `${count} results with a single admissible answer (exact or correctly rounded) have the output digest their inputs give`]);
    // the same results without the seed expect other outputs
    const unseeded = expectedOutputsCheck({ ...seeded, selection: { ...seeded.selection, seed: null } }, await preparedCatalog({ ...seeded, selection: { ...seeded.selection, seed: null } }));
    expect(unseeded.state).toBe('fail');
  }, 120_000);

  it('fails a pass whose outputDigest is another valid sha256: an answer fabricated to pass', async () => {
    const catalog = await preparedCatalog(plain);
    const forged = structuredClone(plain);
    const target = forged.results.find((r) => byId.get(r.id)?.kind === 'op' && r.outputs[0]?.rule === 'correctly-rounded' && catalog.expectedDigest?.(shipped(catalog, r.id), null));
    if (!target) throw new Error('no correctly rounded result with a single answer');
    const expected = target.outputDigest;
    const fake = createHash('sha256').update('fabricated').digest('hex');
    target.outputDigest = fake;
    const check = expectedOutputsCheck(forged, catalog);
    expect(check.state).toBe('fail');
    expect(check.message).toBe(`1 results record outputs other than the only answer their rules admit; first: ${target.id}: outputDigest ${fake}, expected ${expected}`);
    expect(check.details).toEqual([`${target.id}: outputDigest ${fake}, expected ${expected}`]);
  });

  it('leaves out results that did not pass and results whose rules admit several answers', async () => {
    const catalog = await preparedCatalog(plain);
    const forged = structuredClone(plain);
    const fake = createHash('sha256').update('fabricated').digest('hex');
    const single = forged.results.filter((r) => catalog.expectedDigest?.(shipped(catalog, r.id), null));
    const several = forged.results.filter((r) => catalog.expectedDigest?.(shipped(catalog, r.id), null) === null);
    expect(several.length).toBeGreaterThan(10);
    for (const r of several) r.outputDigest = fake;
    const failed = single[0]!;
    failed.status = 'fail';
    failed.outputDigest = fake;
    const check = expectedOutputsCheck(forged, catalog);
    expect([check.state, check.message]).toEqual(['ok', `${single.length - 1} results with a single admissible answer (exact or correctly rounded) have the output digest their inputs give`]);
  });

  it('counts the cases whose expectation cannot be computed, and warns when the catalog computes none', async () => {
    const catalog = await preparedCatalog(plain);
    const broken = plain.results[0]!.id;
    const partial: ShippedCatalog = {
      ...catalog,
      expectedDigest: (c, seed) => {
        if (c.id === broken) throw new Error('the reference cannot compute this case: no');
        return catalog.expectedDigest?.(c, seed) ?? null;
      },
    };
    const check = expectedOutputsCheck(plain, partial);
    expect(check.state).toBe('ok');
    expect(check.message).toMatch(/; 1 whose expected outputs cannot be computed are not checked$/);
    expect(check.details).toEqual([`${broken}: the reference cannot compute this case: no`]);
    expect(expectedOutputsCheck(plain, { ...catalog, expectedDigest: undefined }).state).toBe('warn');
  });
});

describe('the determinism a shipped case records', () => {
  it('is its op\'s bind of that case: scatter_add of floats is documented nondeterministic, of integers and add are not', () => {
    const catalog = shippedCatalog(shippedSuites(), { threads: 0 });
    const cases = catalog.suites.flatMap((s) => s.cases);
    const of = (pattern: RegExp): (boolean | undefined)[] => [...new Set(cases.filter((c) => pattern.test(c.id)).map((c) => c.nondeterministic))];
    expect(of(/\/aten\.scatter_add\.default\/float32\//)).toEqual([true]);
    expect(of(/\/aten\.scatter_add\.default\/int64\//)).toEqual([false]);
    expect(of(/\/aten\.add\.Tensor\//)).toEqual([false]);
    expect(cases.filter((c) => c.kind !== 'op').every((c) => c.nondeterministic === false)).toBe(true);
  });
});

type ShippedCase = ShippedCatalog['suites'][number]['cases'][number];
const indexes = new WeakMap<ShippedCatalog, Map<string, ShippedCase>>();
function shipped(catalog: ShippedCatalog, id: string): ShippedCase {
  let index = indexes.get(catalog);
  if (!index) indexes.set(catalog, (index = new Map(catalog.suites.flatMap((s) => s.cases).map((c) => [c.id, c]))));
  const c = index.get(id);
  if (!c) throw new Error(`${id} is not shipped`);
  return c;
}

describe('the one admissible answer of an element', () => {
  const RULES: [string, Accuracy][] = [
    ['exact', { kind: 'exact' }],
    ['exact(signed-zero)', { kind: 'exact', signedZero: true }],
    ['correctly-rounded', { kind: 'ulp', ulps: 0.5 }],
  ];

  /** References that probe every way a rule can admit two values: zeros, ties, powers of two, the range's ends, NaN. */
  function probes(dtype: DType): number[] {
    const { maxFinite, minExponent, mantissaBits } = floatFormat(dtype);
    const sub = 2 ** (minExponent - mantissaBits);
    const values = [0, -0, sub / 4, sub / 2, sub, 1.5 * sub, 2 ** minExponent, 2 ** minExponent - sub / 2, 1, 2, 0.75, 1 + 2 ** -(mantissaBits + 1), 1 - 2 ** -(mantissaBits + 2), 1 - 2 ** -(mantissaBits + 3)];
    values.push(maxFinite, maxFinite + ulpOf(dtype, maxFinite) / 2, maxFinite + ulpOf(dtype, maxFinite) / 4, 2 * maxFinite, Infinity, NaN, Math.PI, 1 / 3, 1e-3, 12345.678);
    return [...values, ...values.map((v) => -v)];
  }

  it.each(['float16', 'bfloat16', 'float8_e4m3fn', 'float8_e5m2'] as const)('is what remains when every %s bit pattern is judged', (dtype) => {
    const patterns = dtypeInfoPatterns(dtype);
    const actuals = decodeValues(dtype, patterns.bytes);
    const s = newAssessment();
    // probes with one passing pattern, and with several
    let unique = 0;
    let several = 0;
    for (const [label, accuracy] of RULES) {
      const spec: OutputSpec = { dtype, shape: [1], accuracy };
      for (const r of probes(dtype)) {
        const ref: RefOutput = { shape: [1], values: Float64Array.of(r) };
        const rule = valueRule(accuracy, dtype, ref);
        const passing: number[] = [];
        actuals.forEach((a, k) => {
          assess(rule, 0, r, a, s);
          if (s.verdict === IN) passing.push(k);
        });
        const only = onlyAnswerBytes([spec], [ref]);
        if (passing.length === 1) unique += 1;
        else several += 1;
        const what = `${label} ${dtype} reference ${r}: ${passing.length} patterns pass`;
        if (passing.length !== 1) expect(only, what).toBeNull();
        else expect(only?.map((b) => Buffer.from(b).toString('hex')), what).toEqual([patterns.hex(passing[0] as number)]);
      }
    }
    expect(unique).toBeGreaterThan(20);
    expect(several).toBeGreaterThan(20);
  });

  it('is unique where a correctly rounded result is a power of two: its predecessor is a whole (finer) ULP away', () => {
    const one = (v: number): Uint8Array[] | null => onlyAnswerBytes([{ dtype: 'float32', shape: [1], accuracy: { kind: 'ulp', ulps: 0.5 } }], [{ shape: [1], values: Float64Array.of(v) }]);
    expect(one(1)?.map((b) => Buffer.from(b).toString('hex'))).toEqual(['0000803f']);
    // halfway between 1 and its predecessor (2^-24 below it): a tie, both accepted
    expect(one(1 - 2 ** -25)).toBeNull();
    expect(one(1 + 2 ** -30)).not.toBeNull();
    expect(one(1.5)?.map((b) => Buffer.from(b).toString('hex'))).toEqual(['0000c03f']);
  });

  it('holds for integers up to 2^53, not beyond, and for bool', () => {
    const one = (dtype: DType, v: number): Uint8Array[] | null => onlyAnswerBytes([{ dtype, shape: [1], accuracy: { kind: 'exact' } }], [{ shape: [1], values: Float64Array.of(v) }]);
    expect(one('int64', 2 ** 53 - 1)).not.toBeNull();
    expect(one('int64', 2 ** 53 + 2)).toBeNull();
    expect(one('int32', -5)?.map((b) => Buffer.from(b).toString('hex'))).toEqual(['fbffffff']);
    expect(one('bool', 1)?.map((b) => Buffer.from(b).toString('hex'))).toEqual(['01']);
  });
});

/** Every bit pattern of a 16- or 8-bit float dtype as little-endian bytes, and one pattern's hex. */
function dtypeInfoPatterns(dtype: DType): { bytes: Uint8Array; hex: (k: number) => string } {
  const size = dtype === 'float16' || dtype === 'bfloat16' ? 2 : 1;
  const n = 2 ** (8 * size);
  const bytes = new Uint8Array(n * size);
  for (let k = 0; k < n; k++) for (let b = 0; b < size; b++) bytes[k * size + b] = (k >> (8 * b)) & 0xff;
  return { bytes, hex: (k) => Buffer.from(bytes.subarray(k * size, (k + 1) * size)).toString('hex') };
}

const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the pytorch driver tests: ${python?.reason ?? 'no python'}`);

describe.runIf(haveTorch)('expected output digests on PyTorch', () => {
  it('every correctly rounded and exact case PyTorch passes on the CPU records the one answer its rules admit', async () => {
    const filters = ['core/*/aten.add.Tensor/**', 'core/*/aten.div.Tensor/**', 'core/*/aten.sqrt.default/float32/**', 'core/*/aten.eq.Tensor/**', 'core/*/aten.neg.default/**'];
    const report = await run('pytorch', ['--driver', 'pytorch', '--device', 'cpu', '--python', python?.path ?? 'python3'], filters);
    const passed = report.results.filter((r) => r.status === 'pass');
    expect(passed.length).toBeGreaterThan(report.results.length / 2);
    const { count, rules } = naiveCount(report);
    expect(rules).toContain('correctly-rounded float16');
    expect(rules).toContain('correctly-rounded float32');
    const check = expectedOutputsCheck(report, await preparedCatalog(report));
    expect([check.state, check.message]).toEqual(['ok', `${count} results with a single admissible answer (exact or correctly rounded) have the output digest their inputs give`]);
  }, 180_000);
});
