import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { findPython } from '../drivers/pytorch/python.js';
import { pytorchDriver } from '../drivers/pytorch/driver.js';
import { judgeCase, judgeOutput } from '../judge/judge.js';
import { getOp } from '../ops/registry.js';
import { arg } from '../ops/args.js';
import { opCall } from '../ops/types.js';
import { runCases } from '../runner/run.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import { shippedSuites } from '../../suites/index.js';
import { fromValues, materialize, toRef } from '../tensor/materialize.js';
import { PACKAGE_ROOT } from '../version.js';

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};

/** Harness costs: input generation and judging per element, and per-case overhead on the pytorch driver. */
export async function benchHarness(): Promise<string[]> {
  const lines: string[] = [];
  const n = 1 << 20;
  const spec = { dtype: 'float32' as const, shape: [1024, 1024], layout: { kind: 'contiguous' as const }, recipe: { kind: 'uniform' as const, low: -4, high: 4 } };
  const input = materialize(spec, '0123456789abcdef', 0);
  const op = getOp('aten.exp.default')!;
  const bound = op.bind(opCall({ args: [arg.tensor(0)], kwargs: {}, inputs: [input] }));
  const refIn = [toRef(input)];
  const expected = bound.reference(refIn);
  const spec0 = bound.outputs[0]!;
  const answer = [fromValues('float32', input.shape, expected[0]!.values)];
  const actual = toRef(answer[0]!);
  const expectation = { outputs: bound.outputs, expected, inputs: refIn };
  const bench = new Bench({ time: 1000 });
  bench
    .add('materialize 1M float32 (uniform)', () => void materialize(spec, '0123456789abcdef', 0))
    .add('reference exp, 1M float32', () => void bound.reference(refIn))
    .add('judge exp values, 1M float32', () => void judgeOutput(0, spec0, expected[0]!, actual, refIn))
    .add('judge exp case (values, digests, repeat check), 1M float32', () => void judgeCase(expectation, { first: answer, repeat: answer }));
  await bench.run();
  for (const t of bench.tasks) {
    const r = t.result;
    if (r.state !== 'completed') continue;
    const ms = r.latency.p50 ?? r.latency.mean;
    lines.push(`${t.name}: median ${ms.toFixed(1)} ms (${((n / ms) * 1e-3).toFixed(1)} M elements/s, ${r.latency.samplesCount} samples)`);
  }

  // Per-case overhead on a real PyTorch: what the harness adds around the device's own time.
  const py = await findPython({}).catch(() => null);
  if (py?.torchVersion) {
    const cases = requiredCases(getProfile('inference-fp32'), shippedSuites());
    const outDir = mkdtempSync(join(tmpdir(), 'accelcert-bench-'));
    const t0 = performance.now();
    const out = await runCases({ driver: pytorchDriver, device: 'cpu', openOptions: { python: py.path }, cases, outDir, timeoutMs: 60_000, depth: 4 });
    const wall = performance.now() - t0;
    const device = out.results.reduce((s, r) => s + (r.timings.deviceMs ?? 0), 0);
    const roundTrips = out.results.map((r) => (r.timings.execMs - (r.timings.deviceMs ?? 0)) * 1000);
    lines.push(
      `pytorch cpu, ${cases.length} inference-fp32 cases: ${(wall / 1000).toFixed(2)} s wall (worker start included), ` +
        `${((wall * 1000) / cases.length).toFixed(0)} µs per case (each case runs twice: judged run and repeat); device time ${(device / 1000).toFixed(2)} s; ` +
        `harness overhead per case ${(((wall - device) * 1000) / cases.length).toFixed(0)} µs; ` +
        `median exec round trip minus device time ${median(roundTrips).toFixed(0)} µs (pipelined 4 deep)`,
    );
  } else {
    lines.push(`pytorch per-case overhead: skipped (${py?.reason ?? 'no python'})`);
  }

  // Whole-process timings of the CLI (start-up, suite expansion, run, report, signing).
  const whole = (args: string[]): number => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin/accelcert.js'), ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
      if (r.status !== 0) throw new Error(`accelcert ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      times.push(performance.now() - t);
    }
    return median(times);
  };
  const tmp = mkdtempSync(join(tmpdir(), 'accelcert-bench-run-'));
  lines.push(`process: accelcert suites --json: median ${whole(['suites', '--json']).toFixed(0)} ms`);
  lines.push(`process: accelcert run --driver reference (inference-fp32, signed): median ${whole(['run', '--driver', 'reference', '--out', join(tmp, 'r'), '--key', join(PACKAGE_ROOT, 'fixtures/keys/ed25519.key')]).toFixed(0)} ms`);
  return lines;
}
