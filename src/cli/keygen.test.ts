import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keyFingerprint } from '../signing/keys.js';
import { runMain as run } from '../testing/helpers.js';

afterEach(() => vi.restoreAllMocks());

describe('accelcert keygen', () => {
  for (const algorithm of ['ed25519', 'ecdsa-p256'] as const) {
    it(`writes a ${algorithm} pair, the private key mode 0600 and never printed`, async () => {
      const prefix = join(mkdtempSync(join(tmpdir(), 'keygen-')), 'sub', 'vendor');
      const r = await run('keygen', '--out', prefix, '--algorithm', algorithm);
      expect(r.code).toBe(0);
      expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
      const priv = createPrivateKey(readFileSync(`${prefix}.key`, 'utf8'));
      const pub = createPublicKey(readFileSync(`${prefix}.pub`, 'utf8'));
      expect(priv.asymmetricKeyType).toBe(algorithm === 'ed25519' ? 'ed25519' : 'ec');
      expect(r.out).toContain(`fingerprint sha256:${keyFingerprint(pub)}`);
      expect(keyFingerprint(priv)).toBe(keyFingerprint(pub));
      expect(r.out + r.err).not.toMatch(/PRIVATE KEY|BEGIN/);
    });
  }

  it('refuses to overwrite a key, in one sentence with exit 2', async () => {
    const prefix = join(mkdtempSync(join(tmpdir(), 'keygen-')), 'k');
    expect((await run('keygen', '--out', prefix)).code).toBe(0);
    const again = await run('keygen', '--out', prefix);
    expect(again.err).toBe(`accelcert: ${prefix}.key already exists; choose another --out prefix or remove it first\n`);
    expect(again.code).toBe(2);
  });

  it('rejects an unknown algorithm and a missing --out with exit 2', async () => {
    expect((await run('keygen', '--out', join(tmpdir(), 'x'), '--algorithm', 'rsa')).code).toBe(2);
    expect((await run('keygen')).code).toBe(2);
  });
});
