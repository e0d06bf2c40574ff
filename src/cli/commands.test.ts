import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { runCli as cli } from '../testing/helpers.js';

// A Python that runs but cannot import torch: the system interpreter without its site packages.
const tmp = mkdtempSync(join(tmpdir(), 'accelcert-cli-'));
const noTorch = join(tmp, 'python-without-torch');
writeFileSync(noTorch, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
chmodSync(noTorch, 0o755);
const torch = await findPython({}).catch(() => null);

describe('suites, drivers, discover', () => {
  it('suites --json lists the core suite with its digest, per-op counts, the models, the benchmarks and the profiles', () => {
    const r = cli(['suites', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      suites: {
        name: string;
        digest: string;
        cases: number;
        ops: { op: string; cases: number }[];
        models: { name: string; cases: number; dtypes: Record<string, number>; modes: string[] }[];
        benchmarks: { name: string; family: string; scale: string; cases: number; dtypes: Record<string, number>; variants: string[] }[];
      }[];
      profiles: { name: string; requiredCases: number }[];
    };
    const models = out.suites.find((s) => s.name === 'models');
    expect(models?.models.reduce((n, m) => n + m.cases, 0)).toBe(models?.cases);
    expect(models?.models.find((m) => m.name === 'llama-2l-128d')).toMatchObject({ cases: 6, dtypes: { float32: 2, bfloat16: 2, float16: 2 }, modes: ['eager', 'compiled'] });
    const core = out.suites.find((s) => s.name === 'core');
    expect(core?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(core?.ops.reduce((n, o) => n + o.cases, 0)).toBe(core?.cases);
    expect(core?.ops.map((o) => o.op)).toContain('aten.native_layer_norm.default');
    const bench = out.suites.find((s) => s.name === 'bench');
    expect(bench?.benchmarks.reduce((n, b) => n + b.cases, 0)).toBe(bench?.cases);
    expect(bench?.benchmarks.find((b) => b.name === 'mm-8192x8192x8192')).toEqual({
      name: 'mm-8192x8192x8192',
      family: 'matmul',
      scale: 'full',
      cases: 4,
      dtypes: { float32: 2, bfloat16: 1, float16: 1 },
      variants: ['hot', 'tf32-hot'],
    });
    expect(out.profiles.map((p) => [p.name, p.requiredCases])).toEqual([
      ['inference-fp32', 16225],
      ['inference-lowp', 24431],
      ['full', 28570],
      // the small scale's benchmarks (the full scale has as many kernels and models, and more collectives)
      ['bench', 58],
      ['collectives', 279],
      ['collectives-lowp', 597],
    ]);
    const collectives = out.suites.find((s) => s.name === 'collectives') as unknown as { cases: number; collectives: { name: string; cases: number; ranks: number[] }[] };
    expect(collectives.collectives.reduce((n, k) => n + k.cases, 0)).toBe(collectives.cases);
    expect(collectives.collectives.find((k) => k.name === 'all_reduce-sum')).toMatchObject({ cases: 78, ranks: [2, 4, 8] });
  });

  it('drivers says plainly why the pytorch driver is not usable with a python that has no torch', () => {
    const r = cli(['drivers', '--json', '--python', noTorch]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { drivers: { name: string; usable: boolean; reason: string }[] };
    const py = out.drivers.find((d) => d.name === 'pytorch');
    expect(py?.usable).toBe(false);
    expect(py?.reason).toMatch(/no torch module/);
    expect(out.drivers.find((d) => d.name === 'reference')?.usable).toBe(true);
  });

  it('discover --driver exec without --worker is a usage error, as for run: one sentence, exit 2', () => {
    for (const args of [['discover', '--driver', 'exec'], ['run', '--driver', 'exec', '--no-sign', '--out', join(tmp, 'no-worker')]]) {
      const r = cli(args);
      expect([args[0], r.code]).toEqual([args[0], 2]);
      expect(r.stderr + r.stdout).toMatch(/needs a worker command: --worker "CMD ARGS"/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('discover --driver reference lists the oracle device with its fingerprint', () => {
    const r = cli(['discover', '--driver', 'reference', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { drivers: { driver: string; devices: { device: string; fingerprint: { model: string } }[] }[] };
    expect(out.drivers[0]?.devices[0]).toMatchObject({ device: 'reference', fingerprint: { model: 'float64 reference oracle' } });
  });

  it('run without --driver falls back to the reference self-test and says why', () => {
    const r = cli(['run', '--python', noTorch, '--filter', 'core/unary/aten.neg.default/float32', '--no-sign', '--out', join(tmp, 'auto-ref')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/target reference reference: the pytorch driver is not usable \(.*no torch module.*\); running the reference self-test/);
  });

  it.runIf(torch?.torchVersion != null)('run without --driver picks PyTorch on the CPU when it sees no accelerator', () => {
    const r = cli(['run', '--filter', 'core/unary/aten.neg.default/float32', '--no-sign', '--out', join(tmp, 'auto-torch')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/target pytorch cpu: PyTorch sees no accelerator; certifying PyTorch on the CPU/);
    expect(r.stdout).toMatch(/driver pytorch, device cpu/);
  });
});
