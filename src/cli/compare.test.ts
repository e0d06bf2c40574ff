import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchmarksOf } from '../report/benchmarks.js';
import { tablePeak } from '../bench/peaks.js';
import type { Comparison } from '../render/compare.js';
import { writeRunOutputs } from '../render/write.js';
import type { Report } from '../report/schema.js';
import { runMain as run } from '../testing/helpers.js';
import { syntheticBenchResult, syntheticReport } from '../testing/synthetic.js';

const MM = 'bench/gemm/mm-4096/float32/hot';
const tmp = mkdtempSync(join(tmpdir(), 'accelcert-compare-'));

/** The synthetic run plus one GEMM benchmark whose samples sit tightly around `ns`. */
function runWith(ns: number): Report {
  const bench = syntheticBenchResult({ id: MM, subject: 'mm-4096', family: 'gemm', samplesNs: [ns * 0.99, ns, ns, ns * 1.01], work: { flops: 2e9 } });
  const { report } = syntheticReport({ cases: 8 });
  report.results.push(bench);
  report.benchmarks = benchmarksOf(report.results, tablePeak('NVIDIA H200'), 'small');
  return report;
}

/** A run folder (written as `run` writes it) holding this report. */
async function folder(name: string, report: Report): Promise<string> {
  const dir = join(tmp, name);
  await writeRunOutputs(dir, report, { none: true });
  return dir;
}

const baseline = await folder('baseline', runWith(1e6));
const same = await folder('same', runWith(1.01e6));
const slower = join(tmp, 'slower.json'); // a report.json given as a file, not a folder
writeFileSync(slower, JSON.stringify(runWith(1.25e6)));

describe('accelcert compare', () => {
  it('exits 0 and prints the Markdown verdict when nothing got worse', async () => {
    const r = await run('compare', baseline, same);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')[0]).toBe('## ✅ accelcert compare: no regressions, no new failures');
    expect(r.out).toContain('benchmarks within noise: 1');
  });

  it('exits 1 on a benchmark 20 % slower, with its row in the Regressions table', async () => {
    const r = await run('compare', baseline, slower);
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[0]).toBe('## ❌ accelcert compare: 1 regression, no new failures');
    expect(r.out).toContain(`| \`${MM}\` | FLOP/s | 2 TFLOP/s [1.99–2.01] | 1.6 TFLOP/s [1.59–1.61] | −20.0 % |`);
  });

  it('takes --threshold in percent: 25 lets the 20 % slower run pass', async () => {
    expect((await run('compare', baseline, slower, '--threshold', '25')).code).toBe(0);
    expect((await run('compare', baseline, slower, '--threshold=19.5%')).code).toBe(1);
  });

  it('--json prints the comparison as JSON and nothing else on stdout', async () => {
    const r = await run('compare', baseline, slower, '--json');
    expect(r.code).toBe(1);
    const c = JSON.parse(r.out) as Comparison;
    expect(c.threshold).toBe(0.05);
    expect(c.regressions.map((x) => x.id)).toEqual([MM]);
    expect(c.regressions[0]?.change).toBeCloseTo(-0.2, 9);
    expect(c.newFailures).toEqual([]);
  });

  it('exits 2 with one sentence naming the file for a missing or invalid report', async () => {
    const missing = await run('compare', baseline, join(tmp, 'nowhere'));
    expect(missing).toMatchObject({ code: 2, out: '' });
    expect(missing.err).toBe(`accelcert: ${join(tmp, 'nowhere')} does not exist\n`);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ schemaVersion: 3, results: [] }));
    const invalid = await run('compare', bad, baseline);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(new RegExp(`^accelcert: ${bad} is not a valid accelcert report: field .+\\n$`));
  });

  it('exits 2 with one sentence naming --threshold for a value that is not a percentage of 0 or more', async () => {
    for (const value of ['abc', '-3', '', '5x']) {
      const r = await run('compare', baseline, same, '--threshold', value);
      expect(r.code, value).toBe(2);
      expect(r.err).toBe(`accelcert: --threshold "${value}" must be a percentage of 0 or more, e.g. 5 or 2.5\n`);
    }
  });

  it('explains what counts as a regression and the exit codes in --help', async () => {
    const r = await run('compare', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: accelcert compare \[options\] <baseline> <current>/);
    expect(r.out).toMatch(/outside both\s+runs' spread/);
    expect(r.out).toMatch(/Exit codes: 0 no new failure and no regression; 1 a new failure or a regression; 2 usage or input error/);
  });
});
