import { createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import { reportBytes } from '../report/build.js';
import { WAIVERS_PAYLOAD_TYPE, CHALLENGE_PAYLOAD_TYPE, type Envelope } from '../report/envelope.js';
import type { Report, Waiver } from '../report/schema.js';
import { signDocument } from '../signing/document.js';
import { signEnvelope } from '../signing/dsse.js';
import { keyFingerprint, loadPrivateKey } from '../signing/keys.js';
import type { TrustedKey } from '../signing/keyring.js';
import { buildStatement, signReport } from '../signing/sign.js';
import { syntheticReport } from '../testing/synthetic.js';
import { verifyRun, type CheckId, type ShippedCatalog, type VerifyOptions, type VerifyOutcome } from './verify.js';

/*
 * The findings of a review of what `verify` accepted, one describe block each: every forged or self-waived report
 * is rejected with one sentence, and an honest one still verifies.
 */

const KEYS = join(PACKAGE_ROOT, 'fixtures', 'keys');
const vendorKey = loadPrivateKey(join(KEYS, 'ed25519.key'));
const authorityKey = loadPrivateKey(join(KEYS, 'other.key'));
const strangerKey = loadPrivateKey(join(KEYS, 'p256.key'));
const trust = (key: KeyObject, source: string, extra: Partial<TrustedKey> = {}): TrustedKey => ({ key: createPublicKey(key), source, fingerprint: keyFingerprint(key), ...extra });
const VENDOR = trust(vendorKey, 'vendor.pub');
const AUTHORITY = trust(authorityKey, 'authority.pub');

const FAILING = 'core/binary/aten.mul.Tensor/float32/case-000001';
const EXACT = 'core/comparison/aten.eq.Tensor';
const waiver = (over: Partial<Waiver> = {}): Waiver => ({
  id: 'W1',
  cases: 'core/binary/aten.mul.Tensor/**',
  devices: 'accelcert/reference/**',
  reason: 'double rounding in mul, fixed in driver 2',
  url: 'https://example.com/issues/17',
  ...over,
});

function waivedReport(waivers: Waiver[] = [waiver()]): { report: Report; catalog: ShippedCatalog } {
  const { report, catalog } = syntheticReport({ cases: 40, margins: { [FAILING]: 2.5 }, waivers });
  return { report, catalog };
}

function verify(report: Report, catalog: ShippedCatalog, options: Partial<VerifyOptions> = {}, companions: { name: string; bytes: Buffer }[] = [], beside?: Map<string, Buffer>): VerifyOutcome {
  const { bytes, envelope } = signReport(report, vendorKey, companions);
  return verifyRun({ envelope, reportBytes: bytes, ...(beside ? { beside } : {}) }, { keys: [VENDOR], allowUnsigned: false, ...options }, catalog);
}

function check(outcome: VerifyOutcome, id: CheckId): { state: string; message: string } {
  const c = outcome.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

const failing = (o: VerifyOutcome): string[] => o.checks.filter((c) => c.state === 'fail').map((c) => `${c.id}: ${c.message}`);

describe('1. a waiver counts only when a waiver authority the reviewer trusts signed it', () => {
  it('an unsigned waiver leaves the report VALID but NOT_CERTIFIED, and says why in one sentence', () => {
    const { report, catalog } = waivedReport();
    expect(report.verdict.status).toBe('CERTIFIED');
    const out = verify(report, catalog, { waiverKeys: [AUTHORITY] });
    expect(failing(out)).toEqual([]);
    expect(out.result).toBe('NOT_CERTIFIED');
    expect(check(out, 'waivers').message).toBe('1 waived cases count as fail: waiver W1 is not honoured, unsigned: no waiver authority signed the waiver file');
    expect(out.reviewerVerdict?.reasons[0]).toMatch(/fail/);
  });

  it('a waiver file signed by the vendor\'s own report key is not honoured, even when the reviewer lists that key', () => {
    const { report, catalog } = waivedReport();
    report.signedWaivers = signDocument(WAIVERS_PAYLOAD_TYPE, { waivers: [waiver()] }, vendorKey);
    const out = verify(report, catalog, { waiverKeys: [AUTHORITY, VENDOR] });
    expect(out.result).toBe('NOT_CERTIFIED');
    expect(check(out, 'waivers').message).toMatch(/waiver W1 is not honoured, its waiver file is signed by the key that signed the report \([0-9a-f]{64}\): a vendor cannot waive its own failures$/);
  });

  it('a waiver signed by a key the reviewer does not trust for waivers, or with no --waiver-key at all, is not honoured', () => {
    const { report, catalog } = waivedReport();
    report.signedWaivers = signDocument(WAIVERS_PAYLOAD_TYPE, { waivers: [waiver()] }, strangerKey);
    expect(check(verify(report, catalog, { waiverKeys: [AUTHORITY] }), 'waivers').message).toMatch(/not honoured, its signed waiver file is not honoured: no signature verifies with a trusted key/);
    expect(check(verify(report, catalog, {}), 'waivers').message).toMatch(/not honoured, signed, but you trust no waiver authority \(--waiver-key\)$/);
  });

  it('a waiver widened after the authority signed it is not honoured', () => {
    const { report, catalog } = waivedReport([waiver({ cases: 'core/**' })]);
    report.signedWaivers = signDocument(WAIVERS_PAYLOAD_TYPE, { waivers: [waiver()] }, authorityKey);
    const out = verify(report, catalog, { waiverKeys: [AUTHORITY] });
    expect(out.result).toBe('NOT_CERTIFIED');
    expect(check(out, 'waivers').message).toMatch(/waiver W1 is not honoured, not in the signed waiver file \(added or edited after signing\)$/);
  });

  it('a waiver whose devices glob names no device is not honoured even when signed', () => {
    const all = waiver({ devices: '**' });
    const { report, catalog } = waivedReport([all]);
    report.signedWaivers = signDocument(WAIVERS_PAYLOAD_TYPE, { waivers: [waiver()] }, authorityKey);
    expect(check(verify(report, catalog, { waiverKeys: [AUTHORITY] }), 'waivers').message).toMatch(/devices "\*\*" must name a device/);
  });

  it('a waiver signed by a trusted authority is honoured: CERTIFIED', () => {
    const { report, catalog } = waivedReport();
    report.signedWaivers = signDocument(WAIVERS_PAYLOAD_TYPE, { waivers: [waiver()] }, authorityKey);
    const out = verify(report, catalog, { waiverKeys: [AUTHORITY] });
    expect(failing(out)).toEqual([]);
    expect(out.result).toBe('CERTIFIED');
    expect(out.waiverTrust).toEqual([{ id: 'W1', trusted: true, why: `signed by waiver authority ${AUTHORITY.fingerprint} (authority.pub)`, authority: AUTHORITY.fingerprint }]);
  });
});

describe('2. verify says what it verified', () => {
  it('names the target, fingerprint, profile, accelcert version, seed, dates and signer', () => {
    const { report, catalog } = waivedReport([]);
    const out = verify(report, catalog);
    expect(out.verified).toEqual({
      target: { driver: 'reference', device: 'reference', deviceKey: 'accelcert/reference/1/-', fingerprint: report.target.fingerprint },
      profile: 'inference-lowp',
      graph: null,
      harness: { version: report.harness.version, gitCommit: report.harness.gitCommit },
      seed: null,
      startedAt: '2025-06-01T10:00:00.000Z',
      endedAt: '2025-06-01T10:05:00.000Z',
      signer: { fingerprint: VENDOR.fingerprint, source: 'vendor.pub', vendor: null, devices: null, localDefault: false },
      challenge: null,
    });
  });

  it('an INCOMPLETE and a NOT_CERTIFIED report are VALID but not CERTIFIED; a CERTIFIED one is', () => {
    const { report, catalog } = syntheticReport({ cases: 40 });
    expect(verify(report, catalog).result).toBe('CERTIFIED');
    const crashed = syntheticReport({ cases: 40 });
    crashed.report.run = { outcome: 'crashed', message: 'device lost' };
    // the verdict a crashed run gets, as the harness computes it
    crashed.report.verdict = verify(crashed.report, crashed.catalog).recomputed ?? crashed.report.verdict;
    expect(crashed.report.verdict.status).toBe('INCOMPLETE');
    const incomplete = verify(crashed.report, crashed.catalog);
    expect(incomplete.valid).toBe(true);
    expect(incomplete.result).toBe('INCOMPLETE');
    const { report: failed } = syntheticReport({ cases: 40, margins: { [FAILING]: 2.5 } });
    expect(verify(failed, catalog).result).toBe('NOT_CERTIFIED');
  });

  it('checks the reviewer\'s expectations: profile, device glob, CERTIFIED', () => {
    const { report, catalog } = syntheticReport({ cases: 40, margins: { [FAILING]: 2.5 } });
    const out = verify(report, catalog, { expect: { profile: 'inference-fp32', device: 'nvidia/H100*/**', certified: true } });
    expect(out.result).toBe('INVALID');
    expect(check(out, 'expectations').message).toBe(
      'the report certifies profile inference-lowp, not inference-fp32 (and 2 more problems)',
    );
    const met = verify(report, catalog, { expect: { profile: 'inference-lowp', device: 'accelcert/reference/**' } });
    expect(check(met, 'expectations')).toEqual(expect.objectContaining({ state: 'ok', message: 'met: profile inference-lowp; device accelcert/reference/1/- matches accelcert/reference/**' }));
  });
});

describe('3. a keyring binds a vendor\'s key to its devices', () => {
  it('a key bound to other devices cannot sign this one', () => {
    const { report, catalog } = syntheticReport({ cases: 40 });
    const bound = trust(vendorKey, 'keyring.json#1', { vendor: 'nvidia', devices: ['nvidia/H100/**'] });
    const out = verify(report, catalog, { keys: [bound] });
    expect(out.result).toBe('INVALID');
    expect(check(out, 'authority').message).toBe('the report is signed by nvidia key (keyring.json#1) that may sign only nvidia/H100/**, not this device accelcert/reference/1/-');
    const right = trust(vendorKey, 'keyring.json#1', { vendor: 'accelcert', devices: ['accelcert/reference/**'] });
    expect(verify(report, catalog, { keys: [right] }).result).toBe('CERTIFIED');
  });
});

describe('4. everything signed is everything shown', () => {
  const companions = [
    { name: 'summary.md', bytes: Buffer.from('# summary\nCERTIFIED\n') },
    { name: 'junit.xml', bytes: Buffer.from('<testsuites/>\n') },
  ];

  it('the statement names summary.md and junit.xml, and each file beside must hash to its digest', () => {
    const { report, catalog } = syntheticReport({ cases: 40 });
    const honest = new Map(companions.map((c) => [c.name, c.bytes]));
    expect(check(verify(report, catalog, {}, companions, honest), 'companions')).toEqual(expect.objectContaining({ state: 'ok', message: 'summary.md, junit.xml hash to their signed digests' }));
    const edited = new Map(honest);
    edited.set('summary.md', Buffer.from('# summary\nCERTIFIED (really)\n'));
    const out = verify(report, catalog, {}, companions, edited);
    expect(out.result).toBe('INVALID');
    expect(check(out, 'companions').message).toMatch(/^summary\.md hashes to sha256 [0-9a-f]{64}, but the signed statement names [0-9a-f]{64}: it was changed after signing$/);
  });

  it('a file beside the report that the statement does not sign is named', () => {
    const { report, catalog } = syntheticReport({ cases: 40 });
    const out = verify(report, catalog, {}, [], new Map([['junit.xml', Buffer.from('<testsuites/>')]]));
    expect(check(out, 'companions')).toEqual(expect.objectContaining({ state: 'warn', message: 'junit.xml lies beside the report but is not signed: do not trust it; no file hash to their signed digests' }));
  });

  it('a duplicated key in the signed report is refused: the signed bytes must be canonical', () => {
    const { report, catalog } = syntheticReport({ cases: 40, margins: { [FAILING]: 2.5 } });
    const bytes = reportBytes(report);
    const text = bytes.toString('utf8');
    // a second "verdict" member after the first: JSON.parse keeps the last, a careless reader the first
    const doubled = Buffer.from(`${text.slice(0, -1)},"verdict":${JSON.stringify({ ...report.verdict, status: 'CERTIFIED' })}}`);
    const st = buildStatement(report, doubled);
    const payload = (canonicalize({ ...st, predicate: { report: '@' } }) ?? '').replace('"@"', doubled.toString('utf8'));
    const envelope = signEnvelope('application/vnd.in-toto+json', Buffer.from(payload), vendorKey);
    const out = verifyRun({ envelope, reportBytes: doubled }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(check(out, 'subject').message).toBe('the signed report is not in canonical form (RFC 8785): a key is duplicated, or members or numbers are written otherwise than canonicalisation gives');
  });
});

describe('5. what the report says twice must agree', () => {
  const forged = (edit: (r: Report) => void): VerifyOutcome => {
    const { report, catalog } = syntheticReport({ cases: 40 });
    edit(report);
    return verify(report, catalog);
  };

  it('a pass under an exact rule with a large max abs error', () => {
    const out = forged((r) => {
      const x = r.results.find((c) => c.id.startsWith(EXACT) && c.status === 'pass');
      if (x?.outputs[0]) x.outputs[0].maxAbsError = 1e10;
    });
    expect(check(out, 'statuses').message).toMatch(/: output 0: max abs error 10000000000 on an output that passes the exact rule exact$/);
  });

  it('a judged result without its output digest', () => {
    const out = forged((r) => {
      const x = r.results.find((c) => c.status === 'pass');
      if (x) x.outputDigest = null;
    });
    expect(check(out, 'consistency').message).toMatch(/^core\/.* is pass but records no outputDigest$/);
  });

  it('an end before the start', () => {
    const out = forged((r) => {
      r.endedAt = '2025-06-01T09:00:00.000Z';
    });
    expect(check(out, 'consistency').message).toBe('the run ended (2025-06-01T09:00:00.000Z) before it started (2025-06-01T10:00:00.000Z)');
  });

  it('a command line that disagrees with the selection', () => {
    const out = forged((r) => {
      r.command.push('--filter', 'core/binary/**');
    });
    expect(check(out, 'consistency').message).toBe('the command gives --filter ["core/binary/**"], but the report records filters []');
    const seeded = forged((r) => {
      r.selection.seed = 'abc';
    });
    expect(check(seeded, 'consistency').message).toBe('the command gives seed null, but the report records seed "abc"');
  });
});

describe('6. a challenge ties the inputs to the reviewer\'s seed', () => {
  const challengeOf = (seed: string, issuedAt = '2025-06-01T09:00:00.000Z'): { envelope: Envelope; challenge: { seed: string; issuedAt: string; issuedTo: string | null } } => {
    const challenge = { seed, issuedAt, issuedTo: 'acme' };
    return { envelope: signDocument(CHALLENGE_PAYLOAD_TYPE, challenge, authorityKey), challenge };
  };
  const answered = (c: ReturnType<typeof challengeOf>): { report: Report; catalog: ShippedCatalog } => {
    const { report, catalog } = syntheticReport({ cases: 40 });
    report.challenge = c.envelope;
    report.selection.seed = c.challenge.seed;
    report.command.push('--challenge', 'challenge.json');
    return { report, catalog };
  };

  it('the report must answer exactly the challenge the reviewer issued', () => {
    const mine = challengeOf('a1b2c3');
    const { report, catalog } = answered(mine);
    expect(check(verify(report, catalog, { challenge: mine }), 'challenge')).toEqual(expect.objectContaining({ state: 'ok' }));
    const other = challengeOf('ffff');
    expect(check(verify(report, catalog, { challenge: other }), 'challenge').message).toBe('the report answers another challenge than the one you issued');
    const none = syntheticReport({ cases: 40 });
    expect(check(verify(none.report, none.catalog, { challenge: mine }), 'challenge').message).toBe('the report answers no challenge, but you issued one (seed a1b2c3): its inputs may have been chosen by the submitter');
  });

  it('a run that started before its challenge was issued, or ran another seed, is refused', () => {
    const late = challengeOf('a1b2c3', '2025-06-02T00:00:00.000Z');
    expect(check(verify(answered(late).report, answered(late).catalog, { challenge: late }), 'consistency').message).toBe(
      'the run started (2025-06-01T10:00:00.000Z) before its challenge was issued (2025-06-02T00:00:00.000Z)',
    );
    const mine = challengeOf('a1b2c3');
    const { report, catalog } = answered(mine);
    report.selection.seed = 'other';
    expect(check(verify(report, catalog, { challenge: mine }), 'consistency').message).toBe('the report answers challenge seed a1b2c3, but ran seed "other"');
  });
});
