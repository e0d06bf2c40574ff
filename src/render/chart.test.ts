import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../runner/result.js';
import { benchmarksOf, type Benchmarks } from '../report/benchmarks.js';
import { tablePeak } from '../bench/peaks.js';
import { syntheticBenchResult } from '../testing/synthetic.js';
import { benchmarksSvg } from './chart.js';

const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;

/** A measured bench case of `flops` per run, or of `bytes` (memory-bound), or of `tokens` per run; samples around `ns`. */
function measured(subject: string, work: { flops?: number; bytes?: number; tokens?: number }, ns = 1e6, dtype: CaseResult['dtype'] = 'float32'): CaseResult {
  return syntheticBenchResult({ subject, family: 'x', dtype, work, samplesNs: [ns * 0.97, ns * 0.99, ns, ns, ns * 1.01, ns * 1.05] });
}

/** Set against the H200's peaks: two GEMMs (float32 has a peak) and a copy; tokens/s of a model, relative. */
function example(subject = 'mm-4096'): Benchmarks {
  const results = [
    measured(subject, { flops: 2e10 }),
    measured('mm-8192', { flops: 1.6e11 }, 4e6),
    measured('copy-1g', { bytes: 2e9 }),
    measured('llama-2l', { tokens: 512 }, 2e6, 'int64'),
    measured('gpt-tiny', { tokens: 128 }, 1e6, 'int64'),
  ];
  const b = benchmarksOf(results, tablePeak('NVIDIA H200'), 'small');
  if (!b) throw new Error('no benchmarks');
  return b;
}

function xmllint(svg: string): { status: number | null; stderr: string } {
  const r = spawnSync('xmllint', ['--noout', '-'], { input: svg, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('benchmarks.svg', () => {
  it.skipIf(!hasXmllint)('is well-formed XML, even with <&> and quotes in a subject and the title', () => {
    const svg = benchmarksSvg(example(`mm<&>"'\u0001`), 'run of <"H200"> & co');
    expect(xmllint(svg)).toEqual({ status: 0, stderr: '' });
    // a chart without entries is still a valid picture
    expect(xmllint(benchmarksSvg({ ...example(), entries: [] }, 'empty')).status).toBe(0);
  });
  if (!hasXmllint) it.skip('xmllint is absent (install libxml2-utils) so benchmarks.svg is not checked for well-formedness', () => {});

  it('keeps escaped text intact: a subject with <&> survives', () => {
    const svg = benchmarksSvg(example('mm<&>'), 'accelcert <benchmarks>');
    expect(svg).toContain('mm&lt;&amp;&gt; · float32 · hot');
    expect(svg).toContain('<title>accelcert &lt;benchmarks&gt;</title>');
    expect(svg).not.toContain('mm<&>');
  });

  it('draws one row per entry, labelled with subject, dtype and cache', () => {
    const b = example();
    const svg = benchmarksSvg(b, 'chart');
    expect(svg.match(/<g class="row">/g)).toHaveLength(b.entries.length);
    for (const label of ['mm-4096 · float32 · hot', 'mm-8192 · float32 · hot', 'copy-1g · float32 · hot', 'llama-2l · int64 · hot']) expect(svg).toContain(label);
  });

  it('sets a figure against its peak where known, with the figure and the percentage, else against the largest of its unit', () => {
    const svg = benchmarksSvg(example(), 'chart');
    // 2e10 FLOP in 1 ms = 20 TFLOP/s of the H200's 67 float32 TFLOP/s
    expect(svg).toContain('20 TFLOP/s · 29.9 % of float32 peak');
    expect(svg).toContain('2 TB/s · 41.7 % of memory peak');
    expect(svg).toContain('percent of the device&apos;s dense peak');
    expect(svg).toContain('tokens/s, peak unknown: percent of the largest median in this group (256 k tokens/s)');
    expect(svg).toContain('128 k tokens/s');
  });

  it('has no script or external reference', () => {
    const svg = benchmarksSvg(example(), 'chart');
    expect(svg).not.toMatch(/<script|href=|url\(|<foreignObject|<image/i);
  });
});
