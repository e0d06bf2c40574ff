import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { ReportSchema } from '../report/schema.js';
import { runCli } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

/**
 * Real PyTorch made to fail on three ops (fixtures/workers/faulty_pytorch_worker.py): a segfault on where, a hang on
 * view and a quiet exit on cat. Each of their cases gets the status of its own execution; every case of every other
 * op, including those in flight with a faulty one when it died, passes.
 */
const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the pytorch driver tests: ${python?.reason ?? 'no python'}`);

const FAULTY = {
  'aten.where.self': ['crash', 'crash', 'core/*/aten.where.self/float32/7x13*'],
  'aten.view.default': ['hang', 'timeout', 'core/*/aten.view.default/float32/4x6-to-2x12-offset'],
  'aten.cat.default': ['exit', 'crash', 'core/*/aten.cat.default/float32/3-tensors-dim0*'],
} as const;

describe.runIf(haveTorch)('a PyTorch device that crashes on one op, hangs on a second and exits on a third', () => {
  it('charges every fault to its own cases and passes every case of every other op', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'accelcert-faulty-')), 'run');
    const filters = [...Object.values(FAULTY).map((f) => f[2]), 'core/*/aten.exp.default/float32/**', 'core/*/aten.add.Tensor/float32/7x13*'];
    const worker = `${python?.path ?? 'python3'} ${join(PACKAGE_ROOT, 'fixtures/workers/faulty_pytorch_worker.py')}`;
    const faults = Object.entries(FAULTY).map(([op, [fault]]) => `${fault}=${op}`).join(',');
    const r = runCli(
      ['run', '--driver', 'exec', '--worker', worker, '--suite', 'core', ...filters.flatMap((f) => ['--filter', f]), '--timeout', '3', '--max-crashes', '0', '--no-sign', '--out', out],
      { ACCELCERT_FAULTS: faults },
    );
    expect(r.code, r.stderr).toBe(1);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    const faulty = new Map<string, string>(Object.entries(FAULTY).map(([op, [, status]]) => [op, status]));
    expect(report.results.length).toBeGreaterThan(40);
    for (const res of report.results) {
      expect([res.id, res.status]).toEqual([res.id, faulty.get(res.subject) ?? 'pass']);
      if (res.status !== 'pass') expect(res.message).not.toMatch(/while this case waited|not run/);
    }
    expect(new Set(report.results.filter((x) => x.status !== 'pass').map((x) => x.subject))).toEqual(new Set(faulty.keys()));
  }, 180_000);
});
