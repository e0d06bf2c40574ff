import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportBytes } from '../report/build.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { runMain } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

// Debian's python3 carries torch 1.13 here; the python3 first on PATH has none
const PY = process.env.ACCELCERT_TEST_TORCH_PYTHON ?? '/usr/bin/python3';
const MM = 'bench/matmul/mm-256x256x256/float32/hot-small';
const LAYER_NORM = 'bench/normalization/layer-norm-4096x1024/float32/hot-small';
const SLOW_WORKER = `${PY} ${join(PACKAGE_ROOT, 'fixtures/workers/slow_bench_worker.py')}`;
// A shared CPU host's speed moves in phases of seconds, by up to 1.8× on the machines this runs on (docs/benchmarks.md):
// the rerun is compared with a threshold such a phase stays under (a 1.8× slower phase is 44 % less throughput), and
// the slowed worker, which sleeps 100 ms before each call of a few milliseconds, is far beyond it.
const THRESHOLD = '70';
const SLOW_MS = '100';

const root = mkdtempSync(join(tmpdir(), 'accelcert-bench-cli-'));
const dir = (name: string): string => join(root, name);
const report = (name: string): Report => ReportSchema.parse(JSON.parse(readFileSync(join(dir(name), 'report.json'), 'utf8')));
const benchRun = (out: string, ...extra: string[]) =>
  runMain('run', '--profile', 'bench', '--bench-scale', 'small', '--filter', MM, '--filter', LAYER_NORM, '--no-sign', '--out', dir(out), ...extra);

describe('benchmarks through the CLI on the pytorch CPU driver', () => {
  let baseline: Awaited<ReturnType<typeof benchRun>>;
  beforeAll(async () => {
    baseline = await benchRun('baseline', '--driver', 'pytorch', '--device', 'cpu', '--python', PY);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('measures each benchmark and writes its figures, the summary table and the chart; verify recomputes them', async () => {
    expect(baseline.code, baseline.err).toBe(0);
    const r = report('baseline');
    expect(r.selection.benchScale).toBe('small');
    expect(r.benchmarks?.entries.map((e) => [e.id, e.figure.unit, e.peak])).toEqual([
      [MM, 'FLOP/s', null],
      [LAYER_NORM, 'B/s', null],
    ]);
    const mm = r.results.find((x) => x.id === MM);
    expect(mm?.bench?.timer).toBe('host-clock');
    expect(mm?.bench?.samplesNs.length).toBeGreaterThanOrEqual(5);
    // the figure is the work over the median time
    const entry = r.benchmarks?.entries[0];
    expect(entry?.figure.median).toBeCloseTo((2 * 256 ** 3) / ((mm?.bench?.stats.medianNs ?? NaN) * 1e-9), 3);
    expect(readFileSync(join(dir('baseline'), 'summary.md'), 'utf8')).toMatch(/## Benchmarks: 2 of 2 measured[\s\S]*`mm-256x256x256` \| float32 \| hot \| [0-9.]+ GFLOP\/s/);
    expect(readFileSync(join(dir('baseline'), 'benchmarks.svg'), 'utf8')).toContain('mm-256x256x256');
    // the run is unsigned: `report` renders it only when told to, and says so
    const svg = await runMain('report', dir('baseline'), '--format', 'svg', '--unverified');
    expect(svg.err).toMatch(/^accelcert: WARNING: rendering an UNVERIFIED report/);
    expect(svg.out).toBe(readFileSync(join(dir('baseline'), 'benchmarks.svg'), 'utf8'));
    const verified = await runMain('verify', dir('baseline'), '--allow-unsigned');
    expect(verified.out).toMatch(/ok {4}benchmark figures +2 benchmark figures follow from their samples, against no known peak/);
  });

  it('verify fails a report whose figure or samples were edited', async () => {
    const edited = (name: string, edit: (r: Report) => void): string => {
      const r = structuredClone(report('baseline'));
      edit(r);
      const out = dir(name);
      rmSync(out, { recursive: true, force: true });
      writeFileSync(join(dir('baseline'), '..', `${name}.json`), reportBytes(r));
      return join(dir('baseline'), '..', `${name}.json`);
    };
    const figure = edited('figure-edited', (r) => {
      const e = r.benchmarks?.entries[0];
      if (e) e.figure.median *= 2;
    });
    const byFigure = await runMain('verify', figure, '--allow-unsigned');
    expect(byFigure.code).not.toBe(0);
    expect(byFigure.out).toMatch(/FAIL {2}benchmark figures +1 benchmark entries disagree with the results; first: bench\/matmul\/mm-256/);
    const samples = edited('samples-edited', (r) => {
      const m = r.results.find((x) => x.id === MM)?.bench;
      if (m) m.samplesNs = m.samplesNs.map((ns) => ns / 2);
    });
    const bySamples = await runMain('verify', samples, '--allow-unsigned');
    expect(bySamples.out).toMatch(/FAIL {2}statuses vs metrics .*mm-256x256x256.*stats recorded as/);
  });

  it('compare does not flag a rerun of the same build, and flags a worker whose calls are slowed', async () => {
    const rerun = await benchRun('rerun', '--driver', 'pytorch', '--device', 'cpu', '--python', PY);
    expect(rerun.code, rerun.err).toBe(0);
    const same = await runMain('compare', dir('baseline'), dir('rerun'), '--threshold', THRESHOLD);
    expect(same.out).toContain('no regressions, no new failures');
    expect(same.code).toBe(0);

    // the slowed run against the baseline, during the run: exit 1 and comparison.md in the run folder
    process.env['ACCELCERT_SLOW_MS'] = SLOW_MS;
    const slowed = await benchRun('slowed', '--driver', 'exec', '--worker', SLOW_WORKER, '--baseline', dir('baseline'), '--threshold', THRESHOLD).finally(() => {
      delete process.env['ACCELCERT_SLOW_MS'];
    });
    expect(slowed.code).toBe(1);
    // every benchmark was measured: the exit code is the comparison's
    expect(report('slowed').results.map((x) => x.status)).toEqual(['pass', 'pass']);
    const md = readFileSync(join(dir('slowed'), 'comparison.md'), 'utf8');
    expect(md).toMatch(/### Regressions/);
    expect(md).toContain(MM);
    expect(slowed.out).toContain(md.trim().split('\n')[0] as string);

    const compared = await runMain('compare', dir('baseline'), dir('slowed'), '--json', '--threshold', THRESHOLD);
    expect(compared.code).toBe(1);
    const c = JSON.parse(compared.out) as { regressions: { id: string; change: number }[]; newFailures: unknown[] };
    expect(c.newFailures).toEqual([]);
    const mm = c.regressions.find((x) => x.id === MM);
    // 100 ms of sleep on a call of a few milliseconds: almost all the throughput gone
    expect(mm?.change).toBeLessThan(-0.8);
  });

  it('rejects a bad --bench-scale, --peak or --baseline with one sentence and exit 2', async () => {
    const scale = await runMain('run', '--profile', 'bench', '--bench-scale', 'huge', '--driver', 'reference');
    expect([scale.code, scale.err.trim()]).toEqual([2, 'accelcert: --bench-scale "huge" must be one of small, full']);
    const notBench = await runMain('run', '--bench-scale', 'small', '--driver', 'reference');
    expect([notBench.code, notBench.err.trim()]).toEqual([2, 'accelcert: --bench-scale applies to a profile with benchmarks (bench), not inference-fp32']);
    const peak = await runMain('run', '--profile', 'bench', '--peak', 'bfloat16=fast', '--driver', 'reference');
    expect(peak.code).toBe(2);
    expect(peak.err).toMatch(/--peak "bfloat16=fast" must be PRECISION=TFLOPS or memory=TB\/S/);
    const missing = await runMain('run', '--profile', 'bench', '--baseline', dir('nowhere'), '--driver', 'reference');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nowhere.*does not exist/);
    expect(existsSync(dir('nowhere'))).toBe(false);
  });
});
