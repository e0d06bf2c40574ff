import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { shippedSuites } from '../../suites/index.js';
import { runMain } from '../testing/helpers.js';
import { caseInputDigest } from '../runner/inputs.js';
import { oracleWork } from '../runner/oracle.js';
import { MIN_OFFLOAD_ELEMENTS } from '../runner/oracle-pool.js';
import { shippedCatalog } from './shipped.js';

/**
 * `verify` re-derives every result's input digest from the shipped case and the report's seed: a report whose
 * inputs are not those of its seed (or of no seed) fails the "input digests" check. Runs the real CLI in process on
 * the reference device, over the shipped catalog.
 */
const FILTER = 'core/binary/aten.mul.Tensor/**';
const SEED = 'reviewer-2025-06';
const byId = new Map(shippedSuites().flatMap((s) => s.cases).map((c) => [c.id, c]));

interface Written {
  selection: { seed?: string | null };
  results: { id: string; status: string; inputDigest?: string | null }[];
}

let root = '';
beforeAll(() => {
  vi.stubEnv('ACCELCERT_CACHE', 'off');
  root = mkdtempSync(join(tmpdir(), 'accelcert-inputs-'));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

async function run(name: string, ...extra: string[]): Promise<{ dir: string; report: Written }> {
  const dir = join(root, name);
  const r = await runMain('run', '--driver', 'reference', '--filter', FILTER, '--no-sign', '--out', dir, ...extra);
  if (r.code !== 0) throw new Error(`run exited ${r.code}: ${r.err}`);
  return { dir, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Written };
}

/** The "input digests" check of `verify --json` (the run is narrowed, so "required cases" fails whatever the inputs). */
async function verifyChecks(dir: string): Promise<{ inputs: { state: string; message: string } }> {
  const r = await runMain('verify', dir, '--allow-unsigned', '--json');
  const out = JSON.parse(r.out) as { checks: { id: string; state: string; message: string }[] };
  const inputs = out.checks.find((c) => c.id === 'inputs');
  if (!inputs) throw new Error('no inputs check');
  return { inputs };
}

function edit(dir: string, change: (r: Written) => void): void {
  const path = join(dir, 'report.json');
  const report = JSON.parse(readFileSync(path, 'utf8')) as Written;
  change(report);
  writeFileSync(path, JSON.stringify(report));
}

describe('input digests in a report', () => {
  it('a run without --seed records a null seed and the digests of the cases\' own inputs; verify derives them', async () => {
    const { dir, report } = await run('plain');
    expect(report.selection.seed).toBeNull();
    expect(report.results.length).toBeGreaterThan(10);
    for (const r of report.results) expect(r.inputDigest, r.id).toBe(caseInputDigest(byId.get(r.id)!, null));
    const v = await verifyChecks(dir);
    expect(v.inputs).toMatchObject({ state: 'ok', message: `${report.results.length} input digests equal sha256 of the inputs their cases generate without a seed` });
  });

  it('a run with --seed records the seed and the digests of the seeded inputs; verify derives them', async () => {
    const { dir, report } = await run('seeded', '--seed', SEED);
    expect(report.selection.seed).toBe(SEED);
    for (const r of report.results) expect(r.inputDigest, r.id).toBe(caseInputDigest(byId.get(r.id)!, SEED));
    const v = await verifyChecks(dir);
    expect(v.inputs.state).toBe('ok');
    expect(v.inputs.message).toMatch(/input digests equal sha256 of the inputs their cases generate with seed "reviewer-2025-06"$/);
  });

  it('verify fails a report whose seed was changed', async () => {
    const { dir } = await run('seed-changed', '--seed', SEED);
    edit(dir, (r) => {
      r.selection.seed = 'reviewer-2025-07';
    });
    const v = await verifyChecks(dir);
    expect(v.inputs.state).toBe('fail');
    expect(v.inputs.message).toMatch(/^\d+ results record inputs other than their cases generate with seed "reviewer-2025-07"; first: core\/binary\/aten\.mul\.Tensor\//);
  });

  it('verify fails a report claiming no seed for a seeded run, and one with an edited inputDigest', async () => {
    const { dir } = await run('seed-dropped', '--seed', SEED);
    edit(dir, (r) => {
      r.selection.seed = null;
    });
    expect((await verifyChecks(dir)).inputs.message).toMatch(/results record inputs other than their cases generate without a seed/);

    const edited = await run('digest-edited');
    let id = '';
    edit(edited.dir, (r) => {
      const res = r.results[3]!;
      id = res.id;
      res.inputDigest = '0'.repeat(64);
    });
    const v = await verifyChecks(edited.dir);
    expect(v.inputs.state).toBe('fail');
    expect(v.inputs.message).toBe(
      `1 results record inputs other than their cases generate without a seed; first: ${id}: inputDigest ${'0'.repeat(64)}, but its inputs without a seed hash to ${caseInputDigest(byId.get(id)!, null)}`,
    );
  });

  it('a seed in report.json that --seed could not have given fails the schema check', async () => {
    const { dir } = await run('seed-invalid');
    edit(dir, (r) => {
      r.selection.seed = 'no spaces allowed';
    });
    const r = await runMain('verify', dir, '--allow-unsigned', '--json');
    const out = JSON.parse(r.out) as { checks: { id: string; state: string; message: string }[] };
    expect(out.checks.find((c) => c.id === 'schema')?.message).toMatch(/selection\.seed/);
  });
});

describe('input digests on worker threads', () => {
  it('gives verify the digests the runner records, for large cases computed on threads and small ones here', async () => {
    const all = [...byId.values()];
    const large = all.filter((c) => oracleWork(c) >= MIN_OFFLOAD_ELEMENTS && oracleWork(c) < 100_000).filter((_, i) => i % 4 === 0).slice(0, 12);
    const cases = [...large, ...all.filter((c) => oracleWork(c) < 64).slice(0, 12)];
    const catalog = shippedCatalog(shippedSuites(), { threads: 2 });
    await catalog.prepareInputDigests?.(cases.map((c) => c.id), SEED);
    for (const c of cases) {
      const shipped = { id: c.id, suite: c.suite, kind: c.kind, subject: '', family: c.family, dtype: c.dtype };
      expect(catalog.inputDigest?.(shipped, SEED), c.id).toBe(caseInputDigest(c, SEED));
    }
    expect(large.length).toBeGreaterThan(5);
  });
});
