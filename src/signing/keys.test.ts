import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { ensureDefaultKey, keyFingerprint, loadPrivateKey, loadPublicKey, writeKeyPair } from './keys.js';
import { syntheticReport } from '../testing/synthetic.js';
import { writeRunOutputs } from '../render/write.js';

const KEYS = join(PACKAGE_ROOT, 'fixtures', 'keys');

describe('loading keys', () => {
  it('gives one sentence for each wrong key file', () => {
    expect(() => loadPrivateKey(join(KEYS, 'ed25519.pub'))).toThrow(new UserError(`${join(KEYS, 'ed25519.pub')} holds a public key; signing needs the private key (the .key file)`));
    expect(() => loadPrivateKey(join(KEYS, 'corrupt.key'))).toThrow(new UserError(`${join(KEYS, 'corrupt.key')} is not a readable PEM private key`));
    expect(() => loadPrivateKey(join(KEYS, 'rsa.key'))).toThrow(/holds a rsa key; accelcert signs with ed25519 or ecdsa-p256 keys only/);
    expect(() => loadPrivateKey(join(KEYS, 'missing.key'))).toThrow(/key file .*missing\.key does not exist/);
    expect(() => loadPublicKey(join(KEYS, 'p256.key'))).toThrow(/holds a private key; give the public key/);
  });

  it('warns when a private key is readable by others, and says so for an encrypted one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accelcert-keymode-'));
    const open = join(dir, 'open.key');
    copyFileSync(join(PACKAGE_ROOT, 'fixtures/keys/ed25519.key'), open);
    chmodSync(open, 0o644);
    const lines: string[] = [];
    loadPrivateKey(open, (l) => lines.push(l));
    expect(lines).toEqual([`warning: private key ${open} is readable by others (mode 0644); chmod 600 ${open}`]);
    chmodSync(open, 0o600);
    lines.length = 0;
    loadPrivateKey(open, (l) => lines.push(l));
    expect(lines).toEqual([]);
    const encrypted = join(PACKAGE_ROOT, 'fixtures/keys/encrypted.key');
    expect(() => loadPrivateKey(encrypted, () => undefined)).toThrow(`${encrypted} is an encrypted private key`);
  });

  it('keygen writes the private key 0600 and the public key 0644 whatever the umask', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accelcert-umask-'));
    const old = process.umask(0);
    try {
      const files = writeKeyPair(join(dir, 'vendor'), 'ed25519');
      expect(statSync(files.keyPath).mode & 0o777).toBe(0o600);
      expect(statSync(files.pubPath).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(old);
    }
  });

  it('fingerprints a key pair the same from either half', () => {
    expect(keyFingerprint(loadPrivateKey(join(KEYS, 'p256.key')))).toBe(keyFingerprint(loadPublicKey(join(KEYS, 'p256.pub'))));
  });
});

describe('the default key', () => {
  it('is created on first use with mode 0600, its fingerprint logged, then reused', () => {
    const home = mkdtempSync(join(tmpdir(), 'accelcert-home-'));
    const logs: string[] = [];
    const first = ensureDefaultKey((l) => logs.push(l), { ACCELCERT_HOME: home });
    expect(first.created).toBe(true);
    expect(statSync(join(home, 'default.key')).mode & 0o777).toBe(0o600);
    expect(logs[0]).toBe(`created default signing key ${join(home, 'default.key')} (fingerprint ${first.fingerprint}); give ${join(home, 'default.pub')} to reviewers`);
    const second = ensureDefaultKey((l) => logs.push(l), { ACCELCERT_HOME: home });
    expect(second.created).toBe(false);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(logs.join('\n')).not.toMatch(/PRIVATE KEY/);
  });

  it('signs a run when no key is given, and --no-sign leaves no envelope behind', async () => {
    const home = mkdtempSync(join(tmpdir(), 'accelcert-home-'));
    const saved = process.env['ACCELCERT_HOME'];
    process.env['ACCELCERT_HOME'] = home;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'run-'));
      const { report } = syntheticReport({ cases: 8 });
      const signed = await writeRunOutputs(dir, report, { keyPath: undefined });
      expect(signed.files.map((f) => f.slice(dir.length + 1))).toEqual(['report.json', 'report.dsse.json', 'summary.md', 'junit.xml', 'report.html']);
      const env = JSON.parse(readFileSync(join(dir, 'report.dsse.json'), 'utf8')) as { signatures: { keyid: string }[] };
      expect(env.signatures[0]?.keyid).toBe(keyFingerprint(loadPublicKey(join(home, 'default.pub'))));
      const unsigned = await writeRunOutputs(dir, report, { none: true });
      expect(unsigned.files.some((f) => f.endsWith('report.dsse.json'))).toBe(false);
      expect(() => statSync(join(dir, 'report.dsse.json'))).toThrow();
    } finally {
      if (saved === undefined) delete process.env['ACCELCERT_HOME'];
      else process.env['ACCELCERT_HOME'] = saved;
    }
  });
});
