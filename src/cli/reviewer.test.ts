import { copyFileSync, cpSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { runCli } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

/*
 * A reviewer who trusts nothing the vendor says, through the CLI: waivers granted by an authority, exit codes that tell
 * a forgery from an honest failure, the trust anchor said out loud, keyrings, signed companions, challenges.
 */

const KEYS = join(PACKAGE_ROOT, 'fixtures', 'keys');
const VENDOR = { key: join(KEYS, 'ed25519.key'), pub: join(KEYS, 'ed25519.pub') };
const AUTHORITY = { key: join(KEYS, 'other.key'), pub: join(KEYS, 'other.pub') };
const WRONG_RELU = join(PACKAGE_ROOT, 'fixtures/drivers/wrong-relu.js');
const RELU = 'core/activation/aten.relu.default/float32';
const FAILING = `${RELU}/*-special`;

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `accelcert-${name}-`));
const readReport = (dir: string): Report => ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
const verify = (...args: string[]): { code: number | null; stdout: string; stderr: string } => runCli(['verify', ...args]);
const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

const runs = new Map<string, string>();

/**
 * A signed run of the wrong relu driver over the relu cases (a few fail), with these extra run arguments; one run per
 * set of arguments, shared by the tests (those that edit a run copy it first).
 */
function wrongRelu(...extra: string[]): string {
  const key = extra.join('\n');
  const known = runs.get(key);
  if (known !== undefined) return known;
  const out = join(tmp('reviewer'), 'run');
  runs.set(key, out);
  const r = runCli(['run', '--driver', WRONG_RELU, '--filter', RELU, '--key', VENDOR.key, '--out', out, ...extra]);
  if (r.code !== 0 && r.code !== 1) throw new Error(r.stderr);
  return out;
}

function waiverFile(devices: string): string {
  const file = join(tmp('waivers'), 'waivers.json');
  writeFileSync(file, JSON.stringify({ waivers: [{ cases: FAILING, devices, reason: 'NaN dropped by relu, fixed in driver 2', url: 'https://example.com/b/1' }] }));
  return file;
}

describe('waivers and their authority', () => {
  it('a waiver file that covers every device is refused by run in one sentence (exit 2)', () => {
    const r = runCli(['run', '--driver', WRONG_RELU, '--filter', RELU, '--no-sign', '--waivers', waiverFile('**'), '--out', join(tmp('all'), 'run')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^accelcert: waiver file .*waivers\.json, waiver W1: devices "\*\*" must name a device: its vendor and model parts \(vendor\/model\/driverVersion\/framework-version\) may not be globs\n$/);
  });

  it('a self-granted waiver: the run counts its cases as waived, verify counts them as failed (exit 5) and says why', () => {
    const out = wrongRelu('--waivers', waiverFile('test/relu drops NaN/**'));
    const report = readReport(out);
    expect(report.results.filter((r) => r.status === 'waived').length).toBeGreaterThan(0);
    expect(report.verdict.reasons.join(' ')).not.toMatch(/fail/);
    const r = verify(out, '--key', VENDOR.pub, '--waiver-key', AUTHORITY.pub);
    expect(r.stdout).toMatch(/\n {2}waiver {5}W1: NOT honoured, unsigned: no waiver authority signed the waiver file\n/);
    expect(r.stdout).toMatch(/warn {2}waivers +\d+ waived cases count as fail: waiver W1 is not honoured, unsigned: no waiver authority signed the waiver file\n/);
    expect(r.code).toBe(5);
    const json = JSON.parse(verify(out, '--key', VENDOR.pub, '--json').stdout) as { reviewerVerdict: { reasons: string[] } };
    expect(json.reviewerVerdict.reasons.join(' ')).toMatch(/fail/);
  });

  it('a waiver file signed by a waiver authority the reviewer trusts is honoured; by the vendor\'s own key it is not', () => {
    const plain = waiverFile('test/relu drops NaN/**');
    const signed = join(tmp('signed'), 'waivers.dsse.json');
    const s = runCli(['waivers', 'sign', plain, '--key', AUTHORITY.key, '--out', signed]);
    expect(s.stdout).toMatch(/^wrote .*waivers\.dsse\.json: 1 waivers signed by waiver authority [0-9a-f]{64}\n$/);
    const out = wrongRelu('--waivers', signed);
    const ok = verify(out, '--key', VENDOR.pub, '--waiver-key', AUTHORITY.pub, '--json');
    const parsed = JSON.parse(ok.stdout) as { result: string; waiverTrust: { trusted: boolean }[]; reviewerVerdict: { status: string } };
    expect(parsed.waiverTrust.map((t) => t.trusted)).toEqual([true]);
    // a filtered run is never CERTIFIED; what matters is that the waived cases are not counted as failures
    expect(parsed.reviewerVerdict.status).toBe(readReport(out).verdict.status);
    expect(verify(out, '--key', VENDOR.pub).stdout).toMatch(/waiver {5}W1: NOT honoured, signed, but you trust no waiver authority \(--waiver-key\)/);

    const selfSigned = join(tmp('self'), 'waivers.dsse.json');
    runCli(['waivers', 'sign', plain, '--key', VENDOR.key, '--out', selfSigned]);
    const self = verify(wrongRelu('--waivers', selfSigned), '--key', VENDOR.pub, '--waiver-key', VENDOR.pub);
    expect(self.stdout).toMatch(/W1: NOT honoured, its waiver file is signed by the key that signed the report \([0-9a-f]{64}\): a vendor cannot waive its own failures/);
  });
});

describe('exit codes, what was verified, and the trust anchor', () => {
  it('VALID but not CERTIFIED (here INCOMPLETE: a narrowed run) exits 5, INVALID 1 (VALID and CERTIFIED: 0, in verify.test.ts)', () => {
    const failing = wrongRelu();
    const r = verify(failing, '--key', VENDOR.pub);
    expect(r.code).toBe(5);
    expect(lastLine(r.stdout)).toMatch(/^VALID but INCOMPLETE: every claim checks out, but it is INCOMPLETE for inference-fp32; selection covers 25 of \d+ required cases \(narrowed by --filter /);
    const forged = join(tmp('forged'), 'run');
    cpSync(failing, forged, { recursive: true });
    writeFileSync(join(forged, 'summary.md'), readFileSync(join(forged, 'summary.md'), 'utf8').replace(/INCOMPLETE/g, 'CERTIFIED'));
    const f = verify(forged, '--key', VENDOR.pub);
    expect(f.stdout).toMatch(/FAIL {2}signed files beside +summary\.md hashes to sha256 [0-9a-f]{64}, but the signed statement names [0-9a-f]{64}: it was changed after signing\n/);
    expect(f.code).toBe(1);
  });

  it('without --key, the first line says only the local default key was trusted', () => {
    const home = tmp('home');
    const out = join(tmp('default'), 'run');
    runCli(['run', '--driver', WRONG_RELU, '--filter', RELU, '--out', out], { ACCELCERT_HOME: home });
    const r = runCli(['verify', out], { ACCELCERT_HOME: home });
    expect(r.stdout.split('\n')[0]).toMatch(/^no --key given: trusting only your local default key .*default\.pub \([0-9a-f]{16}…\), not a vendor's; pass --key VENDOR\.pub to check a vendor's signature$/);
    expect(r.stdout).toMatch(/\n {2}signer {5}your local default key [0-9a-f]{64} /);
    const none = runCli(['verify', out], { ACCELCERT_HOME: tmp('empty-home') });
    expect(none.stderr).toMatch(/^accelcert: no --key given and no local default key .*default\.pub: pass --key VENDOR\.pub \(the signer's public key\) or a keyring\n$/);
    expect(none.code).toBe(2);
  });

  it('--expect-profile, --expect-device and --require-certified', () => {
    const out = wrongRelu();
    const r = verify(out, '--key', VENDOR.pub, '--expect-device', 'nvidia/**', '--require-certified');
    expect(r.stdout).toMatch(/FAIL {2}your expectations +the report's device test\/relu drops NaN\/.* does not match nvidia\/\*\* \(and 1 more problems\)\n/);
    expect(r.code).toBe(1);
    expect(verify(out, '--key', VENDOR.pub, '--expect-profile', 'inference-fp32', '--expect-device', 'test/relu drops NaN/**').code).toBe(5);
  });

  it('a keyring binds a key to its vendor\'s devices', () => {
    const out = wrongRelu();
    const ring = (devices: string[], vendor = 'test'): string => {
      const file = join(tmp('ring'), 'keyring.json');
      writeFileSync(file, JSON.stringify({ keys: [{ key: VENDOR.pub, vendor, devices }] }));
      return file;
    };
    expect(verify(out, '--key', ring(['test/relu drops NaN/**'])).stdout).toMatch(/ok {4}signer may sign this device +test key .*keyring\.json#1 may sign test\/relu drops NaN\/\*\*, which names this device/);
    const other = verify(out, '--key', ring(['test/other/**']));
    expect(other.stdout).toMatch(/FAIL {2}signer may sign this device +the report is signed by test key \(.*keyring\.json#1\) that may sign only test\/other\/\*\*, not this device test\/relu drops NaN\//);
    expect(other.code).toBe(1);
    const bad = verify(out, '--key', ring(['nvidia/**']));
    expect(bad.stderr).toMatch(/^accelcert: keyring .*keyring\.json, field keys\.0\.devices: "nvidia\/\*\*" must start with the entry's vendor "test\/" \(a key signs its own vendor's devices\)\n$/);
    expect(bad.code).toBe(2);
  });
});

describe('every path to a run uses its envelope', () => {
  it('verify DIR/report.json and a renamed envelope both compare report.json with the signature', () => {
    const out = wrongRelu();
    const dir = join(tmp('paths'), 'run');
    cpSync(out, dir, { recursive: true });
    writeFileSync(join(dir, 'report.json'), readFileSync(join(dir, 'report.json'), 'utf8').replace('"status":"fail"', '"status":"pass"'));
    const direct = verify(join(dir, 'report.json'), '--key', VENDOR.pub);
    expect(direct.stdout).toMatch(/FAIL {2}subject digest +report\.json hashes to sha256 [0-9a-f]{64}, but the signed statement names [0-9a-f]{64}: report\.json was changed after signing/);
    expect(direct.code).toBe(1);
    renameSync(join(dir, 'report.dsse.json'), join(dir, 'submitted.dsse.json'));
    const renamed = verify(join(dir, 'submitted.dsse.json'), '--key', VENDOR.pub);
    expect(renamed.stdout).toMatch(/FAIL {2}subject digest +report\.json hashes to sha256/);
    expect(renamed.code).toBe(1);
    copyFileSync(join(out, 'report.json'), join(dir, 'report.json'));
    writeFileSync(join(dir, 'junit.xml'), readFileSync(join(dir, 'junit.xml'), 'utf8').replace(/failures="\d+"/, 'failures="0"'));
    expect(verify(join(dir, 'submitted.dsse.json'), '--key', VENDOR.pub).stdout).toMatch(/FAIL {2}signed files beside +junit\.xml hashes to sha256/);
  });
});

const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the pytorch driver tests: ${python?.reason ?? 'no python'}`);

describe('a reviewer\'s challenge', () => {
  const roundTrip = (driver: string[]): void => {
    const challenge = join(tmp('challenge'), 'challenge.json');
    const c = runCli(['challenge', '--key', AUTHORITY.key, '--out', challenge, '--to', 'acme']);
    const seed = /seed ([0-9a-f]{32}), issued /.exec(c.stdout)?.[1];
    expect(seed).toBeDefined();
    const out = join(tmp('answer'), 'run');
    const r = runCli(['run', ...driver, '--filter', 'core/binary/aten.add.Tensor/float32', '--filter', RELU, '--challenge', challenge, '--key', VENDOR.key, '--out', out]);
    expect(r.code, r.stderr).toBe(0); // every selected case passed (a filtered run is never CERTIFIED: verify exits 5)
    expect(readReport(out).selection.seed).toBe(seed);
    const v = verify(out, '--key', VENDOR.pub, '--challenge', challenge);
    expect(v.stdout).toMatch(/ok {4}challenge +the run answers your challenge \(seed [0-9a-f]{32}, issued .*\); its inputs derive from that seed\n/);
    expect(v.stdout).toMatch(/ok {4}input digests +\d+ input digests equal sha256 of the inputs their cases generate with seed "[0-9a-f]{32}"/);
    expect(v.code).toBe(5);
    // another challenge than the reviewer's is refused
    const other = join(tmp('other'), 'challenge.json');
    runCli(['challenge', '--key', AUTHORITY.key, '--out', other]);
    const w = verify(out, '--key', VENDOR.pub, '--challenge', other);
    expect(w.stdout).toMatch(/FAIL {2}challenge +the report answers another challenge than the one you issued\n/);
    expect(w.code).toBe(1);
  };

  it('round trip on the reference driver; --seed with --challenge is refused', () => {
    roundTrip(['--driver', 'reference']);
    const both = runCli(['run', '--driver', 'reference', '--seed', 'x', '--challenge', join(KEYS, 'ed25519.pub')]);
    expect(both).toMatchObject({ code: 2, stderr: 'accelcert: --challenge FILE gives the seed: give --seed or --challenge, not both\n' });
  });

  it.runIf(haveTorch)('round trip on the pytorch CPU driver', () => {
    roundTrip(['--driver', 'pytorch', '--python', python?.path ?? 'python3']);
  });
});
