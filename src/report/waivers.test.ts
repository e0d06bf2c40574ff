import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import type { Waiver } from './schema.js';
import { signReport } from '../signing/sign.js';
import { syntheticReport } from '../testing/synthetic.js';
import { applyWaivers, deviceKey, loadWaivers } from './waivers.js';
import { keyFingerprint, loadPrivateKey } from '../signing/keys.js';
import { PACKAGE_ROOT } from '../version.js';
import { createPublicKey } from 'node:crypto';
import { verifyRun } from '../verify/verify.js';

const FAILING = 'core/binary/aten.mul.Tensor/float32/case-000001';
const FAILING2 = 'core/unary/aten.exp.default/float32/case-000002';
const waiver = (over: Partial<Waiver>): Waiver => ({
  id: 'W1',
  cases: 'core/binary/aten.mul.Tensor/**',
  devices: 'accelcert/reference/**',
  reason: 'known double rounding in mul, fixed in driver 2',
  url: 'https://example.com/issues/17',
  ...over,
});
const key = loadPrivateKey(join(PACKAGE_ROOT, 'fixtures', 'keys', 'ed25519.key'));
const trusted = [{ key: createPublicKey(key), source: 'vendor.pub', fingerprint: keyFingerprint(key) }];

describe('waiver files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waivers-'));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('load entries and number them W1, W2… unless they name themselves', () => {
    const p = file('ok.json', JSON.stringify({ waivers: [{ cases: 'core/**', devices: 'acme/X1/**', reason: 'r', url: 'https://x.org/1' }, { id: 'mine', cases: 'a', devices: 'acme/X2', reason: 'r', url: 'https://x.org/2' }] }));
    expect(loadWaivers(p).waivers.map((w) => w.id)).toEqual(['W1', 'mine']);
  });

  it('name the file and the field on bad input', () => {
    expect(() => loadWaivers(join(dir, 'nope.json'))).toThrow(new UserError(`cannot read waiver file ${join(dir, 'nope.json')}: ENOENT`));
    expect(() => loadWaivers(file('bad.json', '{'))).toThrow(/waiver file .*bad\.json is not valid JSON/);
    const noUrl = file('nourl.json', JSON.stringify({ waivers: [{ cases: 'a', devices: 'b', reason: 'r' }] }));
    expect(() => loadWaivers(noUrl)).toThrow(/waiver file .*nourl\.json, field waivers\.0\.url: /);
    const extra = file('extra.json', JSON.stringify({ waivers: [{ cases: 'a', devices: 'b', reason: 'r', url: 'https://x.org', status: 'pass' }] }));
    expect(() => loadWaivers(extra)).toThrow(/field waivers\.0/);
  });
});

describe('applying waivers', () => {
  it('waives only failures that match both globs, and reports waivers that matched nothing', () => {
    const { report } = syntheticReport({
      cases: 40,
      margins: { [FAILING]: 2.5, [FAILING2]: 3 },
      waivers: [waiver({}), waiver({ id: 'W2', cases: 'core/unary/**', devices: 'nvidia/**' }), waiver({ id: 'W3', cases: 'core/matmul/**' })],
    });
    const r1 = report.results.find((r) => r.id === FAILING);
    expect(r1).toMatchObject({ status: 'waived', waiver: 'W1' });
    expect(r1?.message).toMatch(/^waived by W1 \(https:\/\/example\.com\/issues\/17\): output 0/);
    expect(report.results.find((r) => r.id === FAILING2)?.status).toBe('fail');
    expect(report.waivers.map((w) => [w.id, w.matched])).toEqual([
      ['W1', [FAILING]],
      ['W2', []],
      ['W3', []],
    ]);
    expect(report.verdict.status).toBe('NOT_CERTIFIED');

    const { bytes, envelope } = signReport(report, key);
    const { catalog } = syntheticReport({ cases: 40 });
    const out = verifyRun({ envelope, reportBytes: bytes }, { keys: trusted, allowUnsigned: false }, catalog);
    expect(out.valid).toBe(true);
    const w = out.checks.find((c) => c.id === 'waivers');
    // the waivers were never signed by a waiver authority: the reviewer's verdict counts the waived case as failed
    expect(w?.state).toBe('warn');
    expect(w?.message).toBe('1 waived cases count as fail: waiver W1 is not honoured, unsigned: no waiver authority signed the waiver file');
    expect(w?.details).toContain(`waived: ${FAILING} (W1)`);
    expect(out.waived).toEqual([{ id: FAILING, waiver: 'W1' }]);
  });

  it('certify when every failure is waived', () => {
    const { report } = syntheticReport({ cases: 40, margins: { [FAILING]: 2.5 }, waivers: [waiver({})] });
    expect(report.verdict.status).toBe('CERTIFIED');
  });

  it('never waive a crash, an error or a pass', () => {
    const { report } = syntheticReport({ cases: 8 });
    const [a, b, c] = report.results;
    if (!a || !b || !c) throw new Error('fixture');
    const out = applyWaivers([{ ...a, status: 'crash' }, { ...b, status: 'error' }, c], [waiver({ cases: '**', devices: '**' })], report.target.fingerprint);
    expect(out.results.map((r) => r.status)).toEqual(['crash', 'error', c.status]);
    expect(out.waivers[0]?.matched).toEqual([]);
  });

  it('forged waivers are caught by verify', () => {
    const { report, catalog } = syntheticReport({ cases: 40, margins: { [FAILING]: 2.5 }, waivers: [waiver({})] });
    // the waiver narrowed after the fact so that it no longer covers the case
    const narrowed = structuredClone(report);
    const w = narrowed.waivers[0];
    if (w) w.cases = 'core/binary/aten.add.Tensor/**';
    const s1 = signReport(narrowed, key);
    const out1 = verifyRun({ envelope: s1.envelope, reportBytes: s1.bytes }, { keys: trusted, allowUnsigned: false }, catalog);
    expect(out1.checks.find((c) => c.id === 'waivers')?.message).toMatch(/is waived by W1, whose cases glob core\/binary\/aten\.add\.Tensor\/\*\* does not match it/);
    // a passing case marked waived
    const passing = structuredClone(report);
    const p = passing.results.find((r) => r.status === 'pass');
    if (p) Object.assign(p, { status: 'waived', waiver: 'W1' });
    const s2 = signReport(passing, key);
    const out2 = verifyRun({ envelope: s2.envelope, reportBytes: s2.bytes }, { keys: trusted, allowUnsigned: false }, catalog);
    expect(out2.checks.find((c) => c.id === 'statuses')?.message).toMatch(/status waived, but its metrics say pass/);
    // a waiver removed from the list
    const dropped = structuredClone(report);
    dropped.waivers = [];
    const s3 = signReport(dropped, key);
    const out3 = verifyRun({ envelope: s3.envelope, reportBytes: s3.bytes }, { keys: trusted, allowUnsigned: false }, catalog);
    expect(out3.checks.find((c) => c.id === 'waivers')?.message).toBe(`${FAILING} is waived by waiver W1, which the report does not list`);
  });
});

describe('device key', () => {
  it('joins vendor, model, driver and framework with / and keeps * within a part', () => {
    expect(deviceKey({ vendor: 'NVIDIA', model: 'H100 80GB/HBM3', memoryBytes: 1, driverVersion: '550.54', framework: { name: 'torch', version: '2.3.0' }, extra: {} })).toBe(
      'NVIDIA/H100 80GB_HBM3/550.54/torch-2.3.0',
    );
    expect(deviceKey({ vendor: 'x', model: 'y', memoryBytes: null, driverVersion: null, framework: null, extra: {} })).toBe('x/y/-/-');
  });
});
