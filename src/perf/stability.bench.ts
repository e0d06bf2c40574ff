import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPython } from '../drivers/pytorch/python.js';
import { sampleStats } from '../bench/stats.js';
import { accelcertRun, measureStandalone } from './fidelity.bench.js';

const RUNS = 2;

/**
 * Stability and duration: the small bench suite on the pytorch CPU driver, run twice back to back as a user would;
 * the wall time of each run, and per benchmark how far the second run's median figure is from the first's. A control
 * runs before each: the standalone torch loop of the fidelity check (1024³ float32), which accelcert has no part in,
 * so a host whose own speed moves between the runs shows there, not only in accelcert's figures.
 */
export async function benchStability(): Promise<string[]> {
  const py = await findPython({}).catch(() => null);
  if (!py?.torchVersion) return [`skipped: ${py?.reason ?? 'no python with torch'}`];
  const lines: string[] = [];
  const medians: Map<string, number>[] = [];
  const control: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    control.push(sampleStats(measureStandalone(py.path)).medianNs);
    const dir = mkdtempSync(join(tmpdir(), 'accelcert-stability-'));
    try {
      const { report, wallMs } = accelcertRun(['--driver', 'pytorch', '--device', 'cpu', '--python', py.path, '--profile', 'bench', '--bench-scale', 'small'], dir);
      const entries = report.benchmarks?.entries ?? [];
      medians.push(new Map(entries.map((e) => [e.id, e.figure.median])));
      lines.push(`run ${i}: ${report.verdict.status}, ${report.results.length} cases, ${entries.length} measured, ${(wallMs / 1000).toFixed(1)} s wall (whole process)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const [first, second] = medians as [Map<string, number>, Map<string, number>];
  const changes = [...second].flatMap(([id, m]) => (first.has(id) ? [{ id, change: m / (first.get(id) as number) - 1 }] : []));
  changes.sort((x, y) => Math.abs(y.change) - Math.abs(x.change));
  const within = changes.filter((c) => Math.abs(c.change) <= 0.05).length;
  const [c1, c2] = control as [number, number];
  const gflops = (ns: number): string => ((2 * 1024 ** 3) / ns).toFixed(2);
  lines.push(`host control, the standalone torch loop before each run: ${gflops(c1)} then ${gflops(c2)} GFLOP/s (${(100 * (c1 / c2 - 1)).toFixed(1)} %)`);
  lines.push(`medians of run 2 against run 1: ${within} of ${changes.length} within ±5 %; largest changes:`);
  for (const c of changes.slice(0, 8)) lines.push(`  ${(100 * c.change).toFixed(1).padStart(6)} %  ${c.id}`);
  return lines;
}
