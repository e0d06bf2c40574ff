import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { writeRunOutputs } from '../render/write.js';
import { loadPrivateKey } from '../signing/keys.js';
import { runCli } from '../testing/helpers.js';
import type { CaseResult } from './result.js';
import { PACKAGE_ROOT } from '../version.js';

/*
 * The collectives suite on real torch.distributed: PyTorch's CPU with the gloo backend and 4 rank processes (2 for the
 * 2-rank cases), the profile CERTIFIED, the report verified. Then the same run with defects injected into every rank
 * (fixtures/workers/plugins/collective_faults.py, one per collective): each faulty collective fails, and what the
 * plugin leaves alone (integer sums) still passes.
 */
const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the pytorch driver tests: ${python?.reason ?? 'no python'}`);

const tmp = mkdtempSync(join(tmpdir(), 'accelcert-collectives-test-'));
const KEY = join(PACKAGE_ROOT, 'fixtures/keys/ed25519.key');
const PUB = join(PACKAGE_ROOT, 'fixtures/keys/ed25519.pub');
const PLUGINS = join(PACKAGE_ROOT, 'fixtures/workers/plugins');

function run(name: string, env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string; report: Report; dir: string } {
  const dir = join(tmp, name);
  const r = runCli(['run', '--driver', 'pytorch', '--profile', 'collectives', '--no-spare-worker', '--key', KEY, '--out', dir], { ACCELCERT_CPU_RANKS: '4', ...env });
  expect(existsSync(join(dir, 'report.json')), r.stderr).toBe(true);
  return { ...r, dir, report: ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))) };
}

describe.skipIf(!haveTorch)('collectives on PyTorch CPU (gloo, 4 processes)', () => {
  it('pass: the collectives profile is CERTIFIED, composed collectives say so, and verify accepts the report and rejects a fabricated one', async () => {
    const r = run('clean');
    expect(r.report.verdict.status, r.stdout + r.stderr).toBe('CERTIFIED');
    expect(r.code).toBe(0);
    const statuses = (ranks: number): string[] => [...new Set(r.report.results.filter((x) => x.id.includes(`/${ranks}ranks-`)).map((x) => x.status))];
    expect(statuses(2)).toEqual(['pass']);
    expect(statuses(4)).toEqual(['pass']);
    // a CPU forms 4 ranks here: the 8-rank cases are not applicable, and say why
    const eight = r.report.results.filter((x) => x.id.includes('/8ranks-'));
    expect(new Set(eight.map((x) => x.status))).toEqual(new Set(['skip']));
    expect(eight[0]?.message).toBe('not applicable: the case needs 8 ranks; the device forms at most 4 (capabilities.collectives.maxRanks)');
    // gloo has no reduce_scatter and no ReduceOp.AVG in PyTorch 1.13: the worker composes them, and the results say how
    const rs = r.report.results.find((x) => x.subject === 'reduce_scatter-sum' && x.status === 'pass');
    const avg = r.report.results.find((x) => x.subject === 'all_reduce-avg' && x.status === 'pass');
    if (python?.torchVersion?.startsWith('1.')) {
      expect(rs?.note).toMatch(/^gloo has no reduce_scatter/);
      expect(avg?.note).toMatch(/^gloo has no ReduceOp\.AVG/);
    }
    expect(r.report.results.find((x) => x.subject === 'all_reduce-sum')?.note).toBeUndefined();
    // summary.md: a collective × dtype × world size table
    expect(readFileSync(join(r.dir, 'summary.md'), 'utf8')).toMatch(/^\| `all_reduce-sum` \| float32 \| ✓ 7\/7 \| ✓ 7\/7 \| n\/a \|$/m);
    // and report.html the same, as a section of its own
    expect(readFileSync(join(r.dir, 'report.html'), 'utf8')).toContain('<tr><th scope="row"><code>all_reduce-sum</code></th><td>float32</td><td>✓ 7/7</td><td>✓ 7/7</td><td>n/a</td></tr>');
    const v = runCli(['verify', r.dir, '--key', PUB]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    // copies, maxima and integer sums admit one answer: verify derives it and requires its digest
    const single = Number(/ok +single-answer outputs +(\d+) results/.exec(v.stdout)?.[1] ?? 0);
    expect(single).toBeGreaterThan(100);
    // a fabricated gather (another digest, signed again) is caught on exactly that case
    const gather = r.report.results.find((x) => x.subject === 'all_gather' && x.dtype === 'int64') as CaseResult;
    const fake = 'f'.repeat(64);
    const forged = join(tmp, 'forged');
    await writeRunOutputs(forged, { ...r.report, results: r.report.results.map((x) => (x === gather ? { ...x, outputDigest: fake, repeatDigest: fake } : x)) }, { key: loadPrivateKey(KEY) });
    const f = runCli(['verify', forged, '--key', PUB]);
    expect(f.code).toBe(1);
    expect(f.stdout).toMatch(new RegExp(`FAIL +single-answer outputs .*${gather.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  }, 240_000);

  it('fail: every collective with a defect in its ranks fails, and the collectives left alone pass', () => {
    const r = run('faulty', { PYTHONPATH: PLUGINS, ACCELCERT_TORCH_PLUGINS: 'collective_faults' });
    expect(r.report.verdict.status).toBe('NOT_CERTIFIED');
    expect(r.code).toBe(1);
    const ran = r.report.results.filter((x) => x.status !== 'skip');
    const failing = (subject: string, dtype: string): number => ran.filter((x) => x.subject === subject && x.dtype === dtype && x.status === 'fail').length;
    const total = (subject: string, dtype: string): number => ran.filter((x) => x.subject === subject && x.dtype === dtype).length;
    // float32 sums carried in float16 (avg and reduce_scatter compose from the sum on gloo), max leaving a chunk's tail,
    // gathers rotated, broadcasts from rank 0, all_to_all reversed, receives one element short
    for (const [subject, dtype] of [
      ['all_reduce-sum', 'float32'],
      ['all_reduce-max', 'float32'],
      ['all_reduce-max', 'int64'],
      ['all_gather', 'float32'],
      ['broadcast', 'int64'],
      ['all_to_all', 'float32'],
      ['send_recv', 'int64'],
    ] as const) {
      expect(failing(subject, dtype), `${subject} ${dtype}`).toBe(total(subject, dtype));
      expect(total(subject, dtype)).toBeGreaterThan(0);
    }
    expect(failing('all_reduce-sum', 'int64')).toBe(0);
    expect(readFileSync(join(r.dir, 'summary.md'), 'utf8')).toMatch(/^\| `all_gather` \| float32 \| ✗ 0\/5 \| ✗ 0\/5 \| n\/a \|$/m);
    expect(failing('reduce_scatter-sum', 'int64')).toBe(0);
    const witness = ran.find((x) => x.id === 'collectives/all-reduce/all_reduce-sum/float32/4ranks-4097-witness');
    // the witness's values (up to 2^18) overflow float16 on the way
    expect(witness?.message).toMatch(/^rank 0: output 0 \(float32\[4097\], accumulation\(k=4,u=float32,out≤0ulp\)\): -?inf at \[\d+\] where the reference is /);
  }, 240_000);
});
