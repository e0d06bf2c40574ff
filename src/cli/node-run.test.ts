import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportSchema, type Report } from '../report/schema.js';
import { LISTED_DIFFERENCES, nodeSummaryMarkdown, NodeSummarySchema, summarizeNode, worstExitCode } from '../report/node-summary.js';
import { runMain } from '../testing/helpers.js';
import { findPython } from '../drivers/pytorch/python.js';
import { writeRunOutputs } from '../render/write.js';
import { loadPrivateKey } from '../signing/keys.js';
import { PACKAGE_ROOT } from '../version.js';
import { deviceFolderName, forwardedArgs, isDeviceList } from './node-run.js';

// the children are the built CLI (bin/accelcert.js): npm test builds it first
const KEY = join(PACKAGE_ROOT, 'fixtures/keys/ed25519.key');
const PUB = join(PACKAGE_ROOT, 'fixtures/keys/ed25519.pub');
const root = mkdtempSync(join(tmpdir(), 'accelcert-node-'));

describe('run --device X,Y', () => {
  it('runs each device in its own signed run folder and says the devices agree', async () => {
    const out = join(root, 'node');
    const r = await runMain('run', '--driver', 'reference', '--device', 'reference,reference', '--filter', 'core/binary/aten.add.Tensor/float32', '--key', KEY, '--out', out);
    expect(r.code, r.err).toBe(0);
    // every child's lines carry its run folder
    expect(r.err).toMatch(/^\[1-reference\] reference:reference: 50\/50 cases/m);
    expect(r.out).toMatch(/^\[2-reference\] run folder: /m);
    for (const folder of ['1-reference', '2-reference']) {
      const v = await runMain('verify', join(out, folder), '--key', PUB);
      expect(v.code, v.err).toBe(5); // VALID, not CERTIFIED: a --filter run
    }
    const summary = NodeSummarySchema.parse(JSON.parse(readFileSync(join(out, 'node-summary.json'), 'utf8')));
    expect(summary.agree).toBe(true);
    expect(summary.devices.map((d) => [d.folder, d.device, d.verdict, d.total, d.exitCode])).toEqual([
      ['1-reference', 'reference', 'INCOMPLETE', 50, 0],
      ['2-reference', 'reference', 'INCOMPLETE', 50, 0],
    ]);
    expect(readFileSync(join(out, 'node-summary.md'), 'utf8')).toContain('the devices agree on every case');
  }, 60_000);

  it('refuses PREFIX:all when the driver lists no such device (exit 3), naming what it lists', async () => {
    const r = await runMain('run', '--driver', 'reference', '--device', 'cuda:all', '--no-sign', '--out', join(root, 'none'));
    expect(r.code).toBe(3);
    expect(r.err).toContain('--device cuda:all: the reference driver lists no cuda device (it lists reference)');
  });
});

const python = await findPython({}).catch(() => null);

describe('run --device X,Y --split', () => {
  it('spreads one selection across the devices and merges their signed shards into one report naming the device of each result', async () => {
    const select = ['--filter', 'core/binary/aten.add.Tensor/float32', '--no-spare-worker'];
    const whole = join(root, 'whole');
    expect((await runMain('run', '--driver', 'reference', ...select, '--key', KEY, '--out', whole)).code).toBe(0);
    // two device strings of one model: the reference lists one device, so the split runs it twice under its name;
    // distinct strings are the pytorch driver's cpu and cpu:0 (below)
    const out = join(root, 'split');
    const r = await runMain('run', '--driver', 'reference', '--device', 'reference,reference', '--split', ...select, '--key', KEY, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^INCOMPLETE \(inference-fp32\) split across 2 devices \(reference, reference\)/m);
    expect(r.err).toMatch(/^\[1-reference\] .*cases/m);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    const plain = ReportSchema.parse(JSON.parse(readFileSync(join(whole, 'report.json'), 'utf8')));
    expect(report.shards?.map((s) => `${s.index}/${s.count}`)).toEqual(['1/2', '2/2']);
    const digest = (x: Report): string[][] => x.results.map((y) => [y.id, y.status, y.outputDigest ?? '']);
    expect(digest(report)).toEqual(digest(plain));
    const v = await runMain('verify', out, '--key', PUB);
    expect(v.code, v.out).toBe(5);
    expect(v.out).toMatch(/ok +shard signatures +2 shards, each signed by a trusted key/);
  }, 60_000);

  it.skipIf(python?.torchVersion == null)('records the device of each result when the devices differ', async () => {
    const out = join(root, 'split-cpu');
    const r = await runMain('run', '--driver', 'pytorch', '--device', 'cpu,cpu:0', '--split', '--filter', 'core/binary/aten.add.Tensor/float32', '--no-spare-worker', '--key', KEY, '--out', out);
    expect(r.code, r.err).toBe(0);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    const devices = new Set(report.results.map((x) => x.device));
    expect(devices).toEqual(new Set(['cpu', 'cpu:0']));
    const v = await runMain('verify', out, '--key', PUB);
    expect(v.code, v.out).toBe(5);
    // a result moved to the other device no longer matches its shard's signed report
    const forged = join(root, 'split-forged');
    const edited = { ...report, results: report.results.map((x, i) => (i === 0 ? { ...x, device: x.device === 'cpu' ? 'cpu:0' : 'cpu' } : x)) };
    await writeRunOutputs(forged, edited, { key: loadPrivateKey(KEY) });
    const f = await runMain('verify', forged, '--key', PUB);
    expect(f.code).toBe(1);
    expect(f.out).toMatch(/FAIL +shard signatures +.*differs from its result in shard/);
  }, 120_000);
});

describe('node-run helpers', () => {
  it('tells a device list from one device', () => {
    expect(isDeviceList('cpu,cpu')).toBe(true);
    expect(isDeviceList('cuda:all')).toBe(true);
    expect(isDeviceList('cuda:0')).toBe(false);
  });

  it('forwards every argument but --device and --out', () => {
    const args = ['run', '--driver', 'pytorch', '--device', 'cpu,cpu', '--out=x', '--filter', 'core/**', '--out', 'y', '--device=a,b'];
    expect(forwardedArgs(args, [])).toEqual(['run', '--driver', 'pytorch', '--filter', 'core/**']);
  });

  it('names run folders by position and device', () => {
    expect(deviceFolderName(2, 'cuda:0')).toBe('2-cuda-0');
    expect(deviceFolderName(1, 'cpu')).toBe('1-cpu');
  });
});

describe('the node comparison', () => {
  const base = ReportSchema.parse(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'fixtures/bad-input/repro-run/report.json'), 'utf8')));
  const edited = (edit: (r: Report) => void): Report => {
    const copy = structuredClone(base);
    edit(copy);
    return copy;
  };
  const [first, second] = base.results.map((c) => c.id);

  it('lists the cases whose status or output digest differs', () => {
    const other = edited((r) => {
      const a = r.results[0];
      const b = r.results[1];
      if (a) a.status = 'fail';
      if (b) b.outputDigest = '0'.repeat(64);
    });
    const s = summarizeNode([
      { folder: '1-cpu', device: 'cpu', exitCode: 0, report: base },
      { folder: '2-cpu', device: 'cpu', exitCode: 1, report: other },
    ]);
    expect(s.agree).toBe(false);
    expect(s.differing).toBe(2);
    expect(s.differences.map((d) => d.id)).toEqual([first, second]);
    expect(s.differences[0]?.devices.map((d) => d.status)).toEqual(['pass', 'fail']);
    expect(s.exitCode).toBe(1);
    const md = nodeSummaryMarkdown(NodeSummarySchema.parse(s));
    expect(md).toContain('2 cases differ between devices');
    expect(md).toContain(`| \`${second}\` | pass 5f844a0f7390 | pass 000000000000 |`);
  });

  it('does not hold devices of different models to the same bytes', () => {
    const other = edited((r) => {
      r.target.fingerprint.model = 'another model';
      const b = r.results[1];
      if (b) b.outputDigest = '0'.repeat(64);
    });
    const s = summarizeNode([
      { folder: '1-a', device: 'a', exitCode: 0, report: base },
      { folder: '2-b', device: 'b', exitCode: 0, report: other },
    ]);
    expect(s.agree).toBe(true);
  });

  it('counts the differences past the first 20 and names a device without a report', () => {
    const many = edited((r) => {
      r.results = Array.from({ length: 25 }, (_, i) => ({ ...base.results[0]!, id: `core/x/y/float32/${i}` }));
    });
    const failing = edited((r) => {
      r.results = many.results.map((c) => ({ ...c, status: 'fail' as const }));
    });
    const s = summarizeNode([
      { folder: '1-a', device: 'a', exitCode: 0, report: many },
      { folder: '2-a', device: 'a', exitCode: 1, report: failing },
      { folder: '3-a', device: 'a', exitCode: 3, report: null },
    ]);
    expect(s.differing).toBe(25);
    expect(s.differences).toHaveLength(LISTED_DIFFERENCES);
    expect(s.exitCode).toBe(3);
    const md = nodeSummaryMarkdown(s);
    expect(md).toContain('and 5 more');
    expect(md).toContain('1 device wrote no report');
  });

  it('takes the worst exit code', () => {
    expect(worstExitCode([0, 1, 0])).toBe(1);
    expect(worstExitCode([1, 3, 0])).toBe(3);
    expect(worstExitCode([])).toBe(0);
  });
});
