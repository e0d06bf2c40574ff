import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPython } from '../drivers/pytorch/python.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { sampleStats } from '../bench/stats.js';
import { PACKAGE_ROOT } from '../version.js';

const ACCELCERT = join(PACKAGE_ROOT, 'bin/accelcert.js');
const MM_1024 = 'bench/matmul/mm-1024x1024x1024/float32/hot-small';
const FLOPS_1024 = 2 * 1024 ** 3;
const ROUNDS = 10;

/** A whole `accelcert run`, as a user runs it; its report. */
export function accelcertRun(args: string[], outDir: string): { report: Report; wallMs: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [ACCELCERT, 'run', '--no-sign', '--out', outDir, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`accelcert run ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { report: ReportSchema.parse(JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'))), wallMs };
}

/**
 * The same product timed by hand in a standalone Python loop, as a user would check a figure: warm up for 100 ms,
 * then at least 5 timed calls and a second, each call alone between perf_counter_ns readings (the CPU is synchronous).
 */
const STANDALONE = `
import sys, time, torch
a = torch.randn(1024, 1024); b = torch.randn(1024, 1024)
t0 = time.perf_counter()
while True:
    torch.mm(a, b)
    if time.perf_counter() - t0 > 0.1: break
samples = []; t0 = time.perf_counter()
while len(samples) < 5 or time.perf_counter() - t0 < 1.0:
    s = time.perf_counter_ns(); torch.mm(a, b); samples.append(time.perf_counter_ns() - s)
print(" ".join(str(x) for x in samples))
`;

/** One accelcert run of the 1024³ product: the figure it reports (FLOP/s) and the samples it holds. */
function measureAccelcert(python: string): { figure: number; samples: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'accelcert-fidelity-'));
  try {
    const { report } = accelcertRun(['--driver', 'pytorch', '--device', 'cpu', '--python', python, '--profile', 'bench', '--bench-scale', 'small', '--filter', MM_1024], dir);
    const r = report.results.find((x) => x.id === MM_1024);
    const entry = report.benchmarks?.entries.find((e) => e.id === MM_1024);
    if (!r?.bench || !entry) throw new Error(`${MM_1024} was not measured: ${r?.status ?? 'missing'} ${r?.message ?? ''}`);
    return { figure: entry.figure.median, samples: r.bench.samplesNs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The standalone loop's samples (ns per call). */
export function measureStandalone(python: string): number[] {
  const r = spawnSync(python, ['-c', STANDALONE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the standalone loop failed: ${r.stderr}`);
  return r.stdout.trim().split(/\s+/).map(Number);
}

/**
 * Fidelity: the GFLOP/s accelcert reports for a 1024³ float32 product on the pytorch CPU driver against a standalone
 * torch loop on the same machine, in alternating rounds so that both see the same machine (a shared host's speed
 * drifts over seconds). Each side's figure is the median over the samples of all its rounds.
 */
export async function benchFidelity(): Promise<string[]> {
  const py = await findPython({}).catch(() => null);
  if (!py?.torchVersion) return [`skipped: ${py?.reason ?? 'no python with torch'}`];
  const ours: number[] = [];
  const theirs: number[] = [];
  const lines: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // who goes first alternates, so that a machine speeding up or slowing down over the rounds favours neither
    const accelcertFirst = round % 2 === 1;
    const earlier = accelcertFirst ? null : measureStandalone(py.path);
    const mine = measureAccelcert(py.path);
    const loop = earlier ?? measureStandalone(py.path);
    ours.push(...mine.samples);
    theirs.push(...loop);
    const b = FLOPS_1024 / (sampleStats(loop).medianNs * 1e-9);
    lines.push(`round ${round} (${accelcertFirst ? 'accelcert' : 'standalone'} first): accelcert ${(mine.figure / 1e9).toFixed(2)} GFLOP/s (${mine.samples.length} samples), standalone ${(b / 1e9).toFixed(2)} GFLOP/s (${loop.length} samples), ratio ${(mine.figure / b).toFixed(3)}`);
  }
  const a = FLOPS_1024 / (sampleStats(ours).medianNs * 1e-9);
  const b = FLOPS_1024 / (sampleStats(theirs).medianNs * 1e-9);
  const ratio = a / b;
  lines.push(
    `1024³ float32 on pytorch cpu, medians over ${ROUNDS} alternating rounds: accelcert ${(a / 1e9).toFixed(2)} GFLOP/s (${ours.length} samples), ` +
      `standalone torch loop ${(b / 1e9).toFixed(2)} GFLOP/s (${theirs.length} samples), ratio ${ratio.toFixed(3)} (${Math.abs(ratio - 1) <= 0.05 ? 'within' : 'OUTSIDE'} ±5 %)`,
  );
  return lines;
}
