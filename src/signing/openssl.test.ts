import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import { EnvelopeSchema } from './dsse.js';
import { syntheticReport } from '../testing/synthetic.js';
import { writeRunOutputs } from '../render/write.js';

const KEYS = join(PACKAGE_ROOT, 'fixtures', 'keys');
const DOC = readFileSync(join(PACKAGE_ROOT, 'docs', 'report-format.md'), 'utf8');

/** The shell block the report format doc gives a reviewer under `<!-- reviewer:NAME -->`. */
function docBlock(name: string): string {
  const m = new RegExp(`<!-- reviewer:${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  if (!m?.[1]) throw new Error(`docs/report-format.md has no reviewer:${name} block`);
  return m[1];
}

function runDocSteps(dir: string, pub: string, algorithm: 'ed25519' | 'ecdsa-p256'): string {
  const script = ['set -eu', docBlock('pae'), docBlock(algorithm), docBlock('subject')].join('\n');
  return execFileSync('bash', ['-c', script], { cwd: dir, env: { ...process.env, PUB: pub }, encoding: 'utf8' });
}

describe('a reviewer checks the signature with openssl alone, as docs/report-format.md says', () => {
  const { report } = syntheticReport({ cases: 40, margins: { 'core/binary/aten.mul.Tensor/float32/case-000001': 2.5 } });

  for (const [algorithm, name] of [
    ['ed25519', 'ed25519'],
    ['ecdsa-p256', 'p256'],
  ] as const) {
    it(`${algorithm}: signature verified and subject digest equal to sha256(report.json)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `openssl-${name}-`));
      await writeRunOutputs(dir, report, { key: join(KEYS, `${name}.key`) });
      const out = runDocSteps(dir, join(KEYS, `${name}.pub`), algorithm);
      const lines = out.trim().split('\n');
      expect(lines[0]).toMatch(algorithm === 'ed25519' ? /^Signature Verified Successfully$/ : /^Verified OK$/);
      expect(lines[1]).toMatch(/^[0-9a-f]{64}$/);
      expect(lines[2]).toBe(lines[1]);
    });
  }

  it('also from a URL-safe re-encoded envelope, and openssl rejects a changed byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openssl-urlsafe-'));
    await writeRunOutputs(dir, report, { key: join(KEYS, 'ed25519.key') });
    const envPath = join(dir, 'report.dsse.json');
    const env = EnvelopeSchema.parse(JSON.parse(readFileSync(envPath, 'utf8')));
    const url = (s: string): string => s.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    writeFileSync(envPath, JSON.stringify({ ...env, payload: url(env.payload), signatures: env.signatures.map((s) => ({ ...s, sig: url(s.sig) })) }));
    expect(runDocSteps(dir, join(KEYS, 'ed25519.pub'), 'ed25519')).toMatch(/^Signature Verified Successfully/);

    const payload = Buffer.from(env.payload, 'base64');
    payload.writeUInt8((payload.at(-10) ?? 0) ^ 0x04, payload.length - 10);
    writeFileSync(envPath, JSON.stringify({ ...env, payload: payload.toString('base64') }));
    expect(() => runDocSteps(dir, join(KEYS, 'ed25519.pub'), 'ed25519')).toThrow();
  });
});
