import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import type { Report } from '../report/schema.js';
import { syntheticBenchResult, syntheticReport } from '../testing/synthetic.js';
import { computeVerdict, summarize } from '../report/verdict.js';
import { renderJunit } from './junit.js';
import { coverageMatrix } from './coverage.js';
import type { CaseResult } from '../runner/result.js';
import { renderMarkdown } from './markdown.js';
import { formatFigure, formatPercent, formatSi } from './format.js';
import { writeRunOutputs } from './write.js';
import { benchmarksOf } from '../report/benchmarks.js';
import { tablePeak, type Peak } from '../bench/peaks.js';

// the strict Apache Ant JUnit schema (windyroad/JUnit-Schema, Apache-2.0), kept with the fixtures
const XSD = join(PACKAGE_ROOT, 'fixtures', 'junit', 'JUnit-ant.xsd');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;

const MUL = 'core/binary/aten.mul.Tensor/float32/case-000001';
const EXP = 'core/unary/aten.exp.default/float16/case-000006';
const EXP2 = 'core/unary/aten.exp.default/float32/case-000010';

/** A run with one failure of each kind, a waiver and an odd character or two in the messages. */
function example(): Report {
  const { report } = syntheticReport({
    cases: 24,
    profile: 'inference-lowp',
    margins: { [MUL]: 2.5, [EXP]: 7.25, [EXP2]: 1.5, 'core/binary/aten.add.Tensor/float16/case-000004': 3 },
    waivers: [
      {
        id: 'W1',
        cases: 'core/binary/aten.add.Tensor/float16/**',
        devices: 'accelcert/reference/**',
        reason: 'float16 add double-rounds through float32 on this driver',
        url: 'https://example.com/issues/42',
      },
    ],
  });
  const eq = report.results.find((r) => r.id === 'core/comparison/aten.eq.Tensor/float32/case-000003');
  if (eq) Object.assign(eq, { status: 'crash', outputs: [], outputDigest: null, message: 'worker exited with signal SIGSEGV <core dumped> & restarted' });
  report.harness.version = '0.1.0'; // fixed so that the golden summary does not change with each release
  report.summary = summarize(report.results);
  report.verdict = computeVerdict({
    profile: report.profile.name,
    requiredIds: report.results.map((r) => r.id),
    results: report.results,
    selection: report.selection,
    run: report.run,
  });
  return report;
}

describe('junit.xml', () => {
  it.skipIf(!hasXmllint)('validates against the strict Ant JUnit schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'junit-'));
    const file = join(dir, 'junit.xml');
    writeFileSync(file, renderJunit(example()));
    const out = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
    expect(out.stderr).toMatch(/validates/);
    expect(out.status).toBe(0);
  });
  if (!hasXmllint) it.skip('xmllint is absent (install libxml2-utils) so junit.xml is not validated against the Ant schema', () => {});

  it('has one testcase per case, classname family/subject, and the numbers in the failure text', () => {
    const xml = renderJunit(example());
    expect(xml.match(/<testcase /g)?.length).toBe(24);
    expect(xml).toContain(`classname="binary/aten.mul.Tensor" name="${MUL}"`);
    expect(xml).toMatch(/<failure type="fail" message="margin 2.50">output 0 \(float32\[4,16\], correctly-rounded\): 3 of 64 elements outside the acceptance interval, margin 2.50, max 1.250 ulp,/);
    expect(xml).toContain(`rerun: npx accelcert run --driver reference --device reference --profile inference-lowp --filter ${MUL}`);
    expect(xml).toContain('<error type="crash" message="worker exited with signal SIGSEGV &lt;core dumped&gt; &amp; restarted">');
    expect(xml).toMatch(/<skipped message="waived by W1, margin 3: /);
    expect(xml).toContain('timestamp="2025-06-01T10:00:00"');
  });
});

describe('summary.md', () => {
  it('puts the verdict first, then failures by op, worst margin first, each with a rerun command', () => {
    const md = renderMarkdown(example());
    const lines = md.split('\n');
    expect(lines[0]).toBe('# accelcert: NOT_CERTIFIED');
    const exp = md.indexOf('### `aten.exp.default` — 2 failing, worst margin 7.25');
    const mul = md.indexOf('### `aten.mul.Tensor` — 1 failing, worst margin 2.50');
    const eq = md.indexOf('### `aten.eq.Tensor` — 1 failing, worst margin —');
    expect(exp).toBeGreaterThan(0);
    expect(exp).toBeLessThan(mul);
    expect(md.indexOf('## Failures: 4 cases in 3 ops')).toBeLessThan(exp);
    expect(eq).toBeGreaterThan(mul);
    expect(md).toContain(`npx accelcert run --driver reference --device reference --profile inference-lowp --filter ${EXP}`);
    expect(md).toContain('| [W1](https://example.com/issues/42) |');
  });

  it('stays small for a report with thousands of failures', () => {
    const { report } = syntheticReport({ cases: 20000, results: undefined, margins: Object.fromEntries(Array.from({ length: 20000 }, (_, i) => [`core/binary/aten.add.Tensor/float32/case-${String(i).padStart(6, '0')}`, 5])) });
    expect(Buffer.byteLength(renderMarkdown(report))).toBeLessThan(64 * 1024);
  });

  it('renders the synthetic run exactly as fixtures/reports/synthetic-summary.md (ACCELCERT_UPDATE_DOCS=1 rewrites it)', () => {
    const path = join(PACKAGE_ROOT, 'fixtures', 'reports', 'synthetic-summary.md');
    const text = renderMarkdown(example());
    if (process.env['ACCELCERT_UPDATE_DOCS'] === '1') writeFileSync(path, text);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });
});


describe('the op × dtype matrix', () => {
  it('shows the worst status of each overload and dtype, every core overload, and n/a for those that are not kernels', () => {
    const r = (subject: string, dtype: 'float32' | 'int32', status: CaseResult['status']) => ({ kind: 'op' as const, subject, dtype, status });
    const m = coverageMatrix({
      results: [r('aten.add.Tensor', 'float32', 'pass'), r('aten.add.Tensor', 'float32', 'unsupported'), r('aten.add.Tensor', 'int32', 'pass'), r('aten.mul.Tensor', 'float32', 'fail'), r('aten.mul.Tensor', 'float32', 'pass'), r('aten.extra.default', 'int32', 'crash')] as unknown as CaseResult[],
    });
    expect(m.dtypes).toEqual(['float32', 'int32']);
    const row = (op: string) => m.rows.find((x) => x.op === op);
    expect(row('aten.add.Tensor')?.cells).toEqual(['unsupported', 'pass']);
    expect(row('aten.mul.Tensor')?.cells).toEqual(['fail', 'none']);
    expect(row('aten.exp.default')?.cells).toEqual(['none', 'none']);
    expect(row('aten.extra.default')?.cells).toEqual(['none', 'error']);
    expect(row('aten.sym_numel.default')?.notApplicable).toMatch(/no device kernel/);
    expect(m.rows).toHaveLength(191);
  });
});

/** A measured bench case: `work` per run, samples around `ns` with about ±1 % between the quartiles. */
function benchCase(subject: string, work: { flops?: number; bytes?: number; tokens?: number }, ns: number, more: { dtype?: CaseResult['dtype']; stable?: boolean; hostBound?: boolean } = {}): CaseResult {
  return syntheticBenchResult({ subject, family: 'x', work, samplesNs: [ns * 0.98, ns * 0.99, ns, ns, ns * 1.01, ns * 1.02], ...more });
}

/** The example run with three measured benchmarks and two that were not, set against `peak`. */
function withBenchmarks(peak: Peak): Report {
  const report = example();
  const unmeasured = (subject: string, status: CaseResult['status'], message: string): CaseResult => {
    const { bench: _, ...r } = benchCase(subject, { flops: 1 }, 1);
    return { ...r, status, message };
  };
  report.results.push(
    benchCase('mm-4096', { flops: 1.23e10 }, 1e6),
    benchCase('copy<1g>', { bytes: 8.45e8 }, 1e6, { stable: false, hostBound: true }),
    benchCase('llama-2l', { tokens: 1200 }, 1e6, { dtype: 'int64' }),
    unmeasured('mm-fp8', 'unsupported', 'no float8 GEMM on this device'),
    unmeasured('conv-big', 'skip', 'does not fit at scale small'),
  );
  report.benchmarks = benchmarksOf(report.results, peak, 'small');
  return report;
}

describe('summary.md: benchmarks', () => {
  it('tables each measured benchmark with its figure, spread, % of peak, time, samples, spread and notes', () => {
    const md = renderMarkdown(withBenchmarks(tablePeak('NVIDIA H200')));
    expect(md).toContain('## Benchmarks: 3 of 5 measured');
    expect(md).toContain('Scale `small`; dense peaks from the built-in table for NVIDIA H200: float8 1.98 PFLOP/s, bfloat16 989 TFLOP/s, float16 989 TFLOP/s, tf32 495 TFLOP/s, float32 67 TFLOP/s, float64 67 TFLOP/s, memory 4.8 TB/s.');
    expect(md).toContain('| benchmark | dtype | cache | figure: median [low–high] | % of peak | median time | samples | rel. IQR | notes |');
    expect(md).toContain('| `mm-4096` | float32 | hot | 12.3 TFLOP/s [12.2–12.4] | 18.4 % of float32 | 1 ms | 6 | 1.5 % |  |');
    expect(md).toContain('| `copy&lt;1g&gt;` | float32 | hot | 845 GB/s [838–852] | 17.6 % of memory | 1 ms | 6 | 1.5 % | host-bound; unstable: spread above target |');
    expect(md).toContain('| `llama-2l` | int64 | hot | 1.2 M tokens/s [1.19–1.21] | — | 1 ms | 6 | 1.5 % |  |');
    // a benchmark not applicable here is counted, and listed once, with the skipped cases
    expect(md).toContain('1 benchmark is not applicable on this device (listed under Skipped).\n\nNot measured:\n\n- `bench/x/mm-fp8/float32/hot`: unsupported — no float8 GEMM on this device\n\n');
    expect(md).toContain('- `bench/x/conv-big/float32/hot`: does not fit at scale small');
  });

  it('says where the peaks come from: --peak, or unknown with no percentage', () => {
    const user = renderMarkdown(withBenchmarks({ source: 'user', product: null, computeTflops: { float32: 100 }, memoryTBs: null }));
    expect(user).toContain('dense peaks given with `--peak`: float32 100 TFLOP/s.');
    expect(user).toContain('| 12.3 % of float32 |');
    const unknown = renderMarkdown(withBenchmarks(tablePeak('Mystery Accelerator 9000')));
    expect(unknown).toContain('peaks unknown for this device (no table entry; `run --peak` gives them), so no percentage of peak.');
    expect(unknown).not.toContain('% of float32');
  });

  it('has no benchmark section for a run without bench cases', () => {
    expect(renderMarkdown(example())).not.toContain('## Benchmarks');
  });
});

describe('benchmarks.svg in the run folder', () => {
  it('is written beside the summary when a benchmark was measured, and removed when the next run in the folder has none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-run-'));
    const written = await writeRunOutputs(dir, withBenchmarks(tablePeak('NVIDIA H200')), { none: true });
    expect(written.files.map((f) => f.slice(dir.length + 1))).toEqual(['report.json', 'summary.md', 'junit.xml', 'benchmarks.svg', 'report.html']);
    expect(readFileSync(join(dir, 'benchmarks.svg'), 'utf8')).toMatch(/^<\?xml[^]*<svg [^]*copy&lt;1g&gt;/);
    await writeRunOutputs(dir, example(), { none: true });
    expect(existsSync(join(dir, 'benchmarks.svg'))).toBe(false);
  });
});

describe('number formatting', () => {
  it('uses SI prefixes and 3 significant digits, a space before a word unit', () => {
    expect(formatSi(1.234e12, 'FLOP/s')).toBe('1.23 TFLOP/s');
    expect(formatSi(8.45e11, 'B/s')).toBe('845 GB/s');
    expect(formatSi(1200, 'tokens/s')).toBe('1.2 k tokens/s');
    expect(formatSi(12, 'images/s')).toBe('12 images/s');
    expect(formatSi(2.25e-4, 's')).toBe('225 µs');
    expect(formatSi(999.7e9, 'B/s')).toBe('1 TB/s');
    expect(formatSi(100, 'B/s')).toBe('100 B/s');
    expect(formatSi(0, 'FLOP/s')).toBe('0 FLOP/s');
  });

  it('rounds a spread outward in the median’s prefix, so that a tight one does not collapse', () => {
    expect(formatFigure({ unit: 'tokens/s', median: 1.2e6, low: 1.1955e6, high: 1.2045e6 })).toBe('1.2 M tokens/s [1.19–1.21]');
    expect(formatFigure({ unit: 'FLOP/s', median: 1.23e12, low: 0.998e12, high: 1.2e12 })).toBe('1.23 TFLOP/s [0.998–1.2]');
    expect(formatPercent(-0.2, true)).toBe('−20.0 %');
    expect(formatPercent(0.123)).toBe('12.3 %');
  });
});
