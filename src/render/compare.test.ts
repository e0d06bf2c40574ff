import { describe, expect, it } from 'vitest';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import type { Status } from '../judge/result.js';
import { syntheticBenchResult, syntheticReport } from '../testing/synthetic.js';
import { benchmarksOf } from '../report/benchmarks.js';
import { tablePeak, type Peak } from '../bench/peaks.js';
import { compareReports, comparisonExitCode, comparisonMarkdown, movement } from './compare.js';

const MM = 'bench/gemm/mm-4096/float32/hot';
const COPY = 'bench/memory/copy-1g/float32/hot';
const LLM = 'bench/models/llama-2l/bfloat16/hot';

/** A measured bench case: `ns` are its samples; a GEMM of 2 GFLOP unless `work` says otherwise. */
function benchResult(id: string, ns: number[], more: Partial<Pick<CaseResult, 'subject' | 'dtype' | 'status' | 'message'>> & { bytes?: number; tokens?: number } = {}): CaseResult {
  const { bytes, tokens, ...rest } = more;
  return syntheticBenchResult({ id, samplesNs: ns, work: { flops: bytes !== undefined ? undefined : 2e9, bytes, tokens }, ...rest });
}

/** The synthetic run's op cases plus these bench results, with its benchmarks section built as buildReport does. */
function reportWith(bench: CaseResult[], opts: { peak?: Peak; statuses?: Record<string, Status>; model?: string } = {}): Report {
  const { report } = syntheticReport({ cases: 8 });
  for (const r of report.results) {
    const s = opts.statuses?.[r.id];
    if (s) Object.assign(r, { status: s, message: s === 'pass' ? null : `it went ${s}` });
  }
  report.results.push(...bench);
  report.benchmarks = benchmarksOf(report.results, opts.peak ?? tablePeak('NVIDIA H200'), 'small');
  if (opts.model) report.target.fingerprint.model = opts.model;
  return report;
}

/** Samples around `ns` with a relative spread of about ±`spread` between the quartiles. */
const around = (ns: number, spread = 0.005): number[] => [ns * (1 - 2 * spread), ns * (1 - spread), ns, ns, ns * (1 + spread), ns * (1 + 2 * spread)];
const OP = 'core/binary/aten.add.Tensor/float32/case-000000';
const OP2 = 'core/binary/aten.mul.Tensor/float32/case-000001';

describe('compare: benchmarks', () => {
  it('flags a benchmark 20 % slower with tight spreads as a regression, with its figures and change', () => {
    const c = compareReports(reportWith([benchResult(MM, around(1e6))]), reportWith([benchResult(MM, around(1.25e6))]), { threshold: 0.05 });
    expect(c.regressions).toHaveLength(1);
    const r = c.regressions[0]!;
    expect(r).toMatchObject({ id: MM, unit: 'FLOP/s', dtype: 'float32', cache: 'hot' });
    expect(r.change).toBeCloseTo(-0.2, 9);
    expect(r.before.median).toBeCloseTo(2e12, 0);
    expect(r.after.median).toBeCloseTo(1.6e12, 0);
    expect(r.before.low).toBeLessThan(r.before.median);
    expect(c.withinNoise).toBe(0);
    expect(comparisonExitCode(c)).toBe(1);
  });

  it('does not flag a change beyond the threshold when the spreads overlap', () => {
    // 20 % slower at the median, but each run's quartiles (±30 % of its median time) reach past the other's median
    const c = compareReports(reportWith([benchResult(MM, around(1e6, 0.4))]), reportWith([benchResult(MM, around(1.25e6, 0.4))]));
    expect(c.regressions).toEqual([]);
    expect(c.withinNoise).toBe(1);
    expect(comparisonExitCode(c)).toBe(0);
  });

  it('needs both runs outside the other: a tight baseline alone is not enough', () => {
    const before = { median: 100, low: 99, high: 101 };
    expect(movement({ unit: 'FLOP/s', ...before }, { unit: 'FLOP/s', median: 80, low: 60, high: 100.5 }, 0.05)).toBe('noise');
    expect(movement({ unit: 'FLOP/s', ...before }, { unit: 'FLOP/s', median: 80, low: 79, high: 81 }, 0.05)).toBe('regression');
    expect(movement({ unit: 'FLOP/s', median: 100, low: 70, high: 101 }, { unit: 'FLOP/s', median: 80, low: 79, high: 81 }, 0.05)).toBe('noise');
  });

  it('takes the threshold strictly: exactly 5 % is not a regression, a little more is, 0 flags any change outside the spreads', () => {
    const base = reportWith([benchResult(MM, [1e6, 1e6, 1e6])]);
    const exactly = reportWith([benchResult(MM, [1e6 / 0.95, 1e6 / 0.95, 1e6 / 0.95])]);
    const more = reportWith([benchResult(MM, [1e6 / 0.949, 1e6 / 0.949, 1e6 / 0.949])]);
    const slight = reportWith([benchResult(MM, [1.001e6, 1.001e6, 1.001e6])]);
    expect(compareReports(base, exactly, { threshold: 0.05 }).regressions).toEqual([]);
    expect(compareReports(base, more, { threshold: 0.05 }).regressions).toHaveLength(1);
    expect(compareReports(base, slight, { threshold: 0.05 }).regressions).toEqual([]);
    expect(compareReports(base, slight, { threshold: 0 }).regressions).toHaveLength(1);
    expect(compareReports(base, exactly, { threshold: 0.1 }).withinNoise).toBe(1);
    expect(compareReports(base, base).withinNoise).toBe(1);
    expect(() => compareReports(base, base, { threshold: -0.01 })).toThrow(RangeError);
  });

  it('lists improvements, the mirror image, best first', () => {
    const c = compareReports(
      reportWith([benchResult(MM, around(1e6)), benchResult(COPY, around(1e6), { bytes: 4e9 })]),
      reportWith([benchResult(MM, around(0.8e6)), benchResult(COPY, around(0.5e6), { bytes: 4e9 })]),
    );
    expect(c.improvements.map((i) => i.id)).toEqual([COPY, MM]);
    expect(c.improvements[0]).toMatchObject({ unit: 'B/s' });
    expect(c.improvements[0]!.change).toBeCloseTo(1, 9);
    expect(c.regressions).toEqual([]);
    expect(comparisonExitCode(c)).toBe(0);
  });

  it('lists benchmarks measured in the baseline but not now, with the current status', () => {
    const now = reportWith([benchResult(COPY, around(1e6), { bytes: 4e9 })]);
    const mm = benchResult(MM, [1]);
    delete mm.bench;
    now.results.push({ ...mm, status: 'unsupported', message: 'no float32 GEMM here' });
    const c = compareReports(reportWith([benchResult(MM, around(1e6)), benchResult(LLM, around(1e6), { tokens: 512, dtype: 'bfloat16' })]), now);
    expect(c.notMeasured).toEqual([
      { id: MM, subject: 'mm-4096', status: 'unsupported', message: 'no float32 GEMM here' },
      { id: LLM, subject: 'llama-2l', status: null, message: null },
    ]);
    expect(c.notes).toContain('1 benchmark measured now was not measured in the baseline.');
  });
});

describe('compare: cases', () => {
  it('reports new failures with before, after and the current message, and fixed cases', () => {
    const c = compareReports(reportWith([], { statuses: { [OP2]: 'fail' } }), reportWith([], { statuses: { [OP]: 'crash' } }));
    expect(c.newFailures).toEqual([{ id: OP, before: 'pass', after: 'crash', message: 'it went crash' }]);
    expect(c.fixed).toEqual([{ id: OP2, before: 'fail', after: 'pass', message: null }]);
    expect(comparisonExitCode(c)).toBe(1);
  });

  it('counts a waived or skipped baseline case that now fails, but not a failure that keeps failing', () => {
    const c = compareReports(reportWith([], { statuses: { [OP]: 'waived', [OP2]: 'fail' } }), reportWith([], { statuses: { [OP]: 'unsupported', [OP2]: 'error' } }));
    expect(c.newFailures.map((f) => [f.id, f.before, f.after])).toEqual([[OP, 'waived', 'unsupported']]);
    const skipped = compareReports(reportWith([], { statuses: { [OP]: 'skip' } }), reportWith([], { statuses: { [OP]: 'timeout' } }));
    expect(skipped.newFailures.map((f) => f.before)).toEqual(['skip']);
  });

  it('calls a failing case that the baseline did not have a new case, and ignores a passing one', () => {
    const baseline = reportWith([]);
    const current = reportWith([]);
    const extra = { ...current.results[0]!, id: 'core/new/aten.new.default/float32/case-1', status: 'error' as const, message: 'boom' };
    current.results.push(extra, { ...extra, id: 'core/new/aten.new.default/float32/case-2', status: 'pass', message: null });
    const c = compareReports(baseline, current);
    expect(c.newFailures).toEqual([{ id: extra.id, before: null, after: 'error', message: 'boom' }]);
    expect(comparisonMarkdown(c)).toContain('| new case | error | boom |');
  });

  it('finds nothing between a report and itself', () => {
    const r = reportWith([benchResult(MM, around(1e6))]);
    const c = compareReports(r, r);
    expect(c).toMatchObject({ newFailures: [], fixed: [], regressions: [], improvements: [], withinNoise: 1, notMeasured: [], notes: [] });
    expect(comparisonExitCode(c)).toBe(0);
  });
});

describe('compare: notes', () => {
  it('says when the targets, the bench scales or the peaks differ, and compares all the same', () => {
    const baseline = reportWith([benchResult(MM, around(1e6))]);
    const current = reportWith([benchResult(MM, around(1.25e6))], { model: 'NVIDIA H100 80GB HBM3', peak: tablePeak('NVIDIA H100 80GB HBM3') });
    current.target.fingerprint.framework = { name: 'torch', version: '2.5.0' };
    current.benchmarks!.scale = 'full';
    const c = compareReports(baseline, current);
    expect(c.notes).toEqual([
      'The runs are on different targets: the baseline on accelcert reference with no framework, the current run on accelcert NVIDIA H100 80GB HBM3 with torch 2.5.0.',
      'Benchmarks ran at scale small in the baseline and full now.',
      'The peaks differ (baseline: the table for NVIDIA H200; current: the table for NVIDIA H100 80GB HBM3), so the percentages of peak are not comparable.',
    ]);
    expect(c.regressions).toHaveLength(1);
  });

  it('says when cases of the baseline are missing now', () => {
    const current = reportWith([]);
    current.results = current.results.slice(1);
    expect(compareReports(reportWith([]), current).notes).toEqual(['1 case of the baseline is not in the current run.']);
  });
});

describe('compare: Markdown', () => {
  it('puts the verdict in words first, the two runs, the counts, then a table per kind of change', () => {
    const baseline = reportWith([benchResult(MM, around(1e6)), benchResult(COPY, around(1e6), { bytes: 8.45e8 }), benchResult(LLM, around(1e6), { tokens: 1200, dtype: 'bfloat16' })], {
      statuses: { [OP2]: 'fail' },
    });
    const current = reportWith([benchResult(MM, around(1.25e6)), benchResult(COPY, around(1.5e6), { bytes: 8.45e8 }), benchResult(LLM, around(0.5e6), { tokens: 1200, dtype: 'bfloat16' })], {
      statuses: { [OP]: 'fail' },
    });
    current.results[0]!.message = 'output 0: 3 of 64 <elements> | outside';
    const md = comparisonMarkdown(compareReports(baseline, current));
    const lines = md.split('\n');
    expect(lines[0]).toBe('## ❌ accelcert compare: 2 regressions, 1 new failure');
    expect(md).toContain('**Baseline**: accelcert reference (driver `reference`, device `reference`), accelcert ');
    expect(md).toContain(', 2025-06-01 10:00 UTC: ');
    expect(md).toContain('New failures: **1** · regressions: **2** · improvements: 1 · fixed: 1 · benchmarks within noise: 0 · not measured now: 0');
    expect(md).toContain('### New failures (1)');
    expect(md).toContain(`| \`${OP}\` | pass | fail | output 0: 3 of 64 &lt;elements&gt; \\| outside |`);
    expect(md).toContain('### Regressions (2)');
    expect(md).toContain(`| \`${COPY}\` | B/s | 845 GB/s [841–849] | 563 GB/s [561–566] | −33.3 % |`);
    expect(md).toContain(`| \`${MM}\` | FLOP/s | 2 TFLOP/s [1.99–2.01] | 1.6 TFLOP/s [1.59–1.61] | −20.0 % |`);
    expect(md.indexOf(COPY)).toBeLessThan(md.indexOf(`| \`${MM}\``));
    expect(md).toContain('### Improvements (1)');
    expect(md).toContain(`| \`${LLM}\` | tokens/s | 1.2 M tokens/s [1.19–1.21] | 2.4 M tokens/s [2.39–2.41] | +100.0 % |`);
    expect(md).toContain('### Fixed (1)');
    expect(md).not.toContain('### Not measured now');
  });

  it('says "no regressions, no new failures" and prints the counts with no table when nothing changed', () => {
    const r = reportWith([]);
    const md = comparisonMarkdown(compareReports(r, r));
    expect(md.split('\n')[0]).toBe('## ✅ accelcert compare: no regressions, no new failures');
    expect(md).toContain('New failures: **0** · regressions: **0**');
    expect(md).not.toContain('###');
  });

  it('stays short for thousands of new failures', () => {
    const baseline = syntheticReport({ cases: 4000 }).report;
    const current = syntheticReport({ cases: 4000, margins: Object.fromEntries(baseline.results.map((r) => [r.id, 5])) }).report;
    const c = compareReports(baseline, current);
    expect(c.newFailures.length).toBeGreaterThan(3000);
    const md = comparisonMarkdown(c);
    expect(md.length).toBeLessThan(20_000);
    expect(md).toMatch(/\| … \d+ more \(`--json` lists them\) \| \| \| \|/);
  });
});
