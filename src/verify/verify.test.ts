import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import { reportBytes } from '../report/build.js';
import { signEnvelope, type Envelope } from '../signing/dsse.js';
import { keyFingerprint, loadPrivateKey } from '../signing/keys.js';
import { parseEnvelope } from './load.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/schema.js';
import { buildStatement, envelopeBytes, signReport } from '../signing/sign.js';
import { syntheticReport } from '../testing/synthetic.js';
import { summarize } from '../report/verdict.js';
import { verifyRun, type CheckId, type ShippedCatalog, type TrustedKey, type VerifyOutcome } from './verify.js';

const KEYS = join(PACKAGE_ROOT, 'fixtures', 'keys');
const vendorKey = loadPrivateKey(join(KEYS, 'ed25519.key'));
const otherKey = loadPrivateKey(join(KEYS, 'other.key'));
const p256Key = loadPrivateKey(join(KEYS, 'p256.key'));
const trust = (key: KeyObject, source: string): TrustedKey => ({ key: createPublicKey(key), source, fingerprint: keyFingerprint(key) });
const VENDOR = trust(vendorKey, 'vendor.pub');

const FAILING = 'core/binary/aten.mul.Tensor/float32/case-000001';
/** The synthetic cases have no inputs to generate: their "inputs" hash the id and the seed, so the check has something to derive. */
const fakeInputDigest = (id: string, seed: string | null): string => createHash('sha256').update(`${id}:${seed ?? '-'}`).digest('hex');

function fixture(seed: string | null = null): { catalog: ShippedCatalog; report: Report } {
  const { report, catalog } = syntheticReport({ cases: 40, margins: { [FAILING]: 2.5 } });
  report.selection.seed = seed;
  if (seed !== null) report.command.push('--seed', seed);
  for (const r of report.results) r.inputDigest = fakeInputDigest(r.id, seed);
  return { report, catalog: { ...catalog, inputDigest: (c, s) => fakeInputDigest(c.id, s) } };
}

function verifySigned(report: Report, catalog: ShippedCatalog, key: KeyObject = vendorKey, keys = [VENDOR]): VerifyOutcome {
  const { bytes, envelope } = signReport(report, key);
  return verifyRun({ envelope, reportBytes: bytes }, { keys, allowUnsigned: false }, catalog);
}

function check(outcome: VerifyOutcome, id: CheckId): { state: string; message: string } {
  const c = outcome.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

/** A forger holding the vendor's key: edits the report, then re-signs it. */
function forge(edit: (r: Report) => void, seed: string | null = null): { report: Report; catalog: ShippedCatalog } {
  const { report, catalog } = fixture(seed);
  const copy = structuredClone(report);
  edit(copy);
  return { report: copy, catalog };
}

describe('verify accepts honest reports', () => {
  it('passes every check on a signed NOT_CERTIFIED report', () => {
    const { report, catalog } = fixture();
    expect(report.verdict.status).toBe('NOT_CERTIFIED');
    const out = verifySigned(report, catalog);
    // the synthetic catalog cannot compute expectations: the one check it leaves to a warning
    expect(out.checks.filter((c) => c.state !== 'ok').map((c) => c.id)).toEqual(['expected']);
    expect(out.valid).toBe(true);
    expect(out.recomputed?.status).toBe('NOT_CERTIFIED');
  });

  it('checks an ECDSA P-256 signature', () => {
    const { report, catalog } = fixture();
    const out = verifySigned(report, catalog, p256Key, [VENDOR, trust(p256Key, 'p256.pub')]);
    expect(out.valid).toBe(true);
    expect(check(out, 'signature').message).toMatch(/ECDSA P-256 signature by trusted key .* \(p256\.pub\)/);
  });

  it('trusts any of several keys', () => {
    const { report, catalog } = fixture();
    const out = verifySigned(report, catalog, otherKey, [VENDOR, trust(otherKey, 'other.pub')]);
    expect(out.valid).toBe(true);
    expect(out.signedBy).toBe(keyFingerprint(otherKey));
  });

  it('verifies the envelope alone, without report.json beside it', () => {
    const { report, catalog } = fixture();
    const { envelope } = signReport(report, vendorKey);
    const out = verifyRun({ envelope, reportBytes: null }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(out.valid).toBe(true);
  });
});

describe('tamper matrix: each forgery is caught by a specific check', () => {
  it('one byte changed in the payload: the signature no longer verifies', () => {
    const { report, catalog } = fixture();
    const { bytes, envelope } = signReport(report, vendorKey);
    const payload = Buffer.from(envelope.payload, 'base64');
    const at = payload.indexOf('"verdict"');
    payload.writeUInt8((payload[at + 20] ?? 0) ^ 0x01, at + 20);
    const tampered: Envelope = { ...envelope, payload: payload.toString('base64') };
    const out = verifyRun({ envelope: tampered, reportBytes: bytes }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'signature')).toEqual({ ...check(out, 'signature'), state: 'fail' });
    expect(check(out, 'signature').message).toMatch(/does not verify: the payload or payloadType changed after signing/);
  });

  it('report.json edited beside an intact envelope: the subject digest differs', () => {
    const { report, catalog } = fixture();
    const { envelope } = signReport(report, vendorKey);
    const edited = structuredClone(report);
    edited.verdict.status = 'CERTIFIED';
    const out = verifyRun({ envelope, reportBytes: reportBytes(edited) }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'subject').message).toMatch(/report\.json was changed after signing/);
  });

  it('a result flipped from fail to pass: its metrics still say fail', () => {
    const { report, catalog } = forge((r) => {
      const res = r.results.find((x) => x.id === FAILING);
      if (res) res.status = 'pass';
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'statuses').message).toContain(
      `${FAILING}: status pass, but its metrics say fail (output 0 (float32[4,16], correctly-rounded): 3 of 64 elements outside the acceptance interval, margin 2.50,`,
    );
    expect(check(out, 'summary').state).toBe('fail');
    expect(check(out, 'verdict').state).toBe('fail');
  });

  it('a pass whose repeated run gave other bytes: not bit-identical, so not a pass', () => {
    const { report, catalog } = forge((r) => {
      const res = r.results.find((x) => x.status === 'pass' && x.outputDigest !== null);
      if (res) res.repeatDigest = 'f'.repeat(64);
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'statuses').message).toMatch(/status pass, but its repeated run gave other bytes/);
  });

  it('metrics edited to fit a pass (summary and verdict redone too): the numbers contradict each other', () => {
    const { report, catalog } = forge((r) => {
      const res = r.results.find((x) => x.id === FAILING);
      const o = res?.outputs[0];
      if (!res || !o) throw new Error('fixture');
      res.status = 'pass';
      res.message = null;
      o.mismatches = 0;
      o.margin = 0.9;
      r.summary = summarize(r.results);
      r.verdict = { status: 'CERTIFIED', profile: r.profile.name, reasons: [`all 40 required cases of profile inference-lowp present exactly once: 40 passed, 0 waived`] };
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'statuses').message).toMatch(new RegExp(`${FAILING}: output 0: margin 0.9 but the worst element .* gives 2.5`));
    // and once the worst element is rewritten too, the ULP error still disagrees
    const deeper = structuredClone(report);
    const o = deeper.results.find((x) => x.id === FAILING)?.outputs[0];
    if (!o?.worst) throw new Error('fixture');
    o.worst = { ...o.worst, actual: String(1 + 0.9 * 2 ** -11) };
    const out2 = verifySigned(deeper, catalog);
    expect(check(out2, 'statuses').message).toMatch(/margin 0.9 but max ULP error 1.25 under correctly-rounded gives 2.5/);
  });

  it('a failing case deleted: required case missing, verdict no longer NOT_CERTIFIED', () => {
    const { report, catalog } = forge((r) => {
      r.results = r.results.filter((x) => x.id !== FAILING);
      r.summary = summarize(r.results);
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'completeness')).toMatchObject({ state: 'warn', message: `1 of 40 required cases of profile inference-lowp were not run, so the verdict cannot be CERTIFIED: ${FAILING}` });
    expect(check(out, 'verdict').message).toMatch(/claims NOT_CERTIFIED, but its results give INCOMPLETE: 1 of 40 required cases missing/);
  });

  it('a case duplicated: present more than once', () => {
    const { report, catalog } = forge((r) => {
      const first = r.results[0];
      if (first) r.results.push(structuredClone(first));
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'completeness').message).toMatch(/^core\/binary\/aten\.add\.Tensor\/float32\/case-000000 appears 2 times/);
  });

  it('the verdict edited: recomputed verdict differs', () => {
    const { report, catalog } = forge((r) => {
      r.verdict = { status: 'CERTIFIED', profile: r.profile.name, reasons: ['all good'] };
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'verdict').message).toBe(`the report claims CERTIFIED, but its results give NOT_CERTIFIED: 1 required cases failed: ${FAILING}`);
    expect(check(out, 'statuses').state).toBe('ok');
  });

  it('an edited inputDigest: the inputs its case generates hash to something else', () => {
    const { report, catalog } = forge((r) => {
      const res = r.results.find((x) => x.id === FAILING);
      if (res) res.inputDigest = 'a'.repeat(64);
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'inputs').message).toBe(
      `1 results record inputs other than their cases generate without a seed; first: ${FAILING}: inputDigest ${'a'.repeat(64)}, but its inputs without a seed hash to ${fakeInputDigest(FAILING, null)}`,
    );
    expect(check(out, 'statuses').state).toBe('ok');
  });

  it('a seed claimed that the cases did not run with: every input digest disagrees', () => {
    const { report, catalog } = forge((r) => {
      r.selection.seed = 'reviewer-2025-06';
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'inputs').message).toMatch(/^40 results record inputs other than their cases generate with seed "reviewer-2025-06"; first: /);
  });

  it('a seeded run whose digests were stripped: nothing shows that the seed was used', () => {
    const { report, catalog } = forge((r) => {
      for (const x of r.results) delete x.inputDigest;
    }, 'reviewer-2025-06');
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'inputs').message).toMatch(/^the report names seed "reviewer-2025-06", but 40 judged results record no inputDigest: /);
  });

  it('an honest seeded report verifies; one without a seed or digests (an older writer) is a warning', () => {
    const seeded = fixture('reviewer-2025-06');
    const out = verifySigned(seeded.report, seeded.catalog);
    expect(out.valid).toBe(true);
    expect(check(out, 'inputs')).toMatchObject({ state: 'ok', message: '40 input digests equal sha256 of the inputs their cases generate with seed "reviewer-2025-06"' });
    const { report, catalog } = forge((r) => {
      for (const x of r.results) delete x.inputDigest;
      delete r.selection.seed;
    });
    const old = verifySigned(report, catalog);
    expect(old.valid).toBe(true);
    expect(check(old, 'inputs')).toMatchObject({ state: 'warn', message: expect.stringMatching(/^40 judged results record no inputDigest/) as unknown });
  });

  it('the verdict reasons edited alone', () => {
    const { report, catalog } = forge((r) => {
      r.verdict.reasons = ['1 required cases failed: something harmless'];
    });
    expect(check(verifySigned(report, catalog), 'verdict').message).toMatch(/reasons were edited/);
  });

  it('signed by another key: not a trusted key', () => {
    const { report, catalog } = fixture();
    const out = verifySigned(report, catalog, otherKey);
    expect(out.valid).toBe(false);
    expect(check(out, 'signature').message).toBe(`signed by key ${keyFingerprint(otherKey)}, which is not a trusted key (vendor.pub)`);
    expect(check(out, 'schema').state).toBe('skipped');
  });

  it('another key that claims the vendor keyid: still not verified', () => {
    const { report, catalog } = fixture();
    const { envelope } = signReport(report, otherKey);
    const lying: Envelope = { ...envelope, signatures: [{ keyid: VENDOR.fingerprint, sig: envelope.signatures[0]?.sig ?? '' }] };
    const out = verifyRun({ envelope: lying, reportBytes: null }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(check(out, 'signature').message).toMatch(/signature by vendor\.pub does not verify/);
  });

  it('a suite digest edited: differs from the shipped suite', () => {
    const { report, catalog } = forge((r) => {
      const s = r.suites[0];
      if (s) s.digest = '0'.repeat(64);
    });
    const out = verifySigned(report, catalog);
    expect(out.valid).toBe(false);
    expect(check(out, 'suites').message).toMatch(/^suite core digest 0{64} differs from the shipped core@1 digest [0-9a-f]{64}$/);
  });

  it('a rule swapped for a looser one: not the shipped acceptance rule', () => {
    const { report, catalog } = forge((r) => {
      const o = r.results.find((x) => x.id === FAILING)?.outputs[0];
      if (o) o.rule = 'ulp≤4';
    });
    expect(check(verifySigned(report, catalog), 'statuses').message).toMatch(/recorded under rule ulp≤4; aten\.mul\.Tensor is judged under correctly-rounded/);
  });

  it('envelope re-encoded with URL-safe base64 without padding: still verifies', () => {
    const { report, catalog } = fixture();
    const { bytes, envelope } = signReport(report, vendorKey);
    const urlSafe = (b64: string): string => b64.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    const reencoded: Envelope = {
      ...envelope,
      payload: urlSafe(envelope.payload),
      signatures: envelope.signatures.map((s) => ({ ...s, sig: urlSafe(s.sig) })),
    };
    expect(JSON.stringify(reencoded)).not.toBe(JSON.stringify(envelope));
    const file = Buffer.from(JSON.stringify(reencoded, null, 2));
    const out = verifyRun({ envelope: parseEnvelope(file, 'report.dsse.json'), reportBytes: bytes }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(out.valid).toBe(true);
  });

  it('random mutation sweep: none of 1,200 single-byte changes verifies', () => {
    const { report, catalog } = fixture();
    const { bytes, envelope } = signReport(report, vendorKey);
    const env = envelopeBytes(envelope);
    let state = 0x2545f491;
    const rand = (n: number): number => {
      // xorshift32: a fixed sequence, so a failure is reproducible
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const attempt = (envFile: Buffer, reportFile: Buffer): boolean => {
      try {
        const e = parseEnvelope(envFile, 'report.dsse.json');
        return verifyRun({ envelope: e, reportBytes: reportFile }, { keys: [VENDOR], allowUnsigned: false }, catalog).valid;
      } catch {
        return false; // unreadable input: verify exits 2
      }
    };
    expect(attempt(env, bytes)).toBe(true);
    const verified: string[] = [];
    for (let i = 0; i < 1200; i++) {
      const onEnvelope = i < 1000;
      const target = Buffer.from(onEnvelope ? env : bytes);
      const at = rand(target.length);
      const old = target[at] as number;
      target[at] = (old + 1 + rand(255)) & 0xff;
      if (onEnvelope ? attempt(target, bytes) : attempt(env, target)) {
        verified.push(`${onEnvelope ? 'envelope' : 'report.json'} byte ${at}: ${old} -> ${target[at]}`);
      }
    }
    expect(verified).toEqual([]);
  });
});

describe('unsigned reports', () => {
  it('fail unless --allow-unsigned, and are then checked like signed ones', () => {
    const { report, catalog } = fixture();
    const bytes = reportBytes(report);
    const input = { envelope: null, reportBytes: bytes, reportValue: JSON.parse(bytes.toString('utf8')) as unknown };
    const strict = verifyRun(input, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(strict.valid).toBe(false);
    expect(check(strict, 'signature').message).toMatch(/the report is unsigned/);
    // its content is checked and consistent, but an unsigned report is never VALID: nothing proves who wrote it
    const lenient = verifyRun(input, { keys: [], allowUnsigned: true }, catalog);
    expect(lenient.valid).toBe(false);
    expect(lenient.result).toBe('INVALID');
    expect(check(lenient, 'signature')).toMatchObject({ state: 'fail', message: expect.stringMatching(/^the report is unsigned: its content is checked below \(--allow-unsigned\), but nothing proves who wrote it$/) as unknown });
    expect(lenient.checks.filter((c) => c.state === 'fail').map((c) => c.id)).toEqual(['signature']);
  });

  it('a signed statement whose predicate is no report fails the schema check', () => {
    const { report, catalog } = fixture();
    const broken = { ...structuredClone(report), schemaVersion: 99 } as unknown as Report;
    const bytes = reportBytes(broken);
    const envelope = signEnvelope('application/vnd.in-toto+json', Buffer.from(canonicalize(buildStatement(broken, bytes)) ?? ''), vendorKey);
    const out = verifyRun({ envelope, reportBytes: bytes }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(check(out, 'schema').message).toBe(`schemaVersion 99 is not the version this accelcert reads (${REPORT_SCHEMA_VERSION})`);
  });

  it('a statement whose signed bytes are not canonical (members in another order, whitespace) is refused', () => {
    const { report, catalog } = fixture();
    const bytes = reportBytes(report);
    const st = buildStatement(report, bytes);
    const text = JSON.stringify({ subject: st.subject, predicateType: st.predicateType, _type: st._type, predicate: st.predicate }, null, 1);
    const envelope = signEnvelope('application/vnd.in-toto+json', Buffer.from(text), vendorKey);
    const reordered = verifyRun({ envelope, reportBytes: bytes }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(check(reordered, 'envelope')).toMatchObject({ state: 'fail', message: expect.stringMatching(/^the signed statement is not in canonical form \(RFC 8785\)/) as unknown });
    const edited = { ...st, predicate: { report: { ...report, verdict: { ...report.verdict, status: 'CERTIFIED' } } } };
    const forged = signEnvelope('application/vnd.in-toto+json', Buffer.from(canonicalize(edited) ?? ''), vendorKey);
    const out = verifyRun({ envelope: forged, reportBytes: null }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(check(out, 'subject').message).toMatch(/^the statement names report\.json sha256 [0-9a-f]{64}, but the report it carries hashes to [0-9a-f]{64}$/);
  });

  it('a wrong payloadType is named', () => {
    const { report, catalog } = fixture();
    const bytes = reportBytes(report);
    const envelope = signEnvelope('application/json', Buffer.from(canonicalize(buildStatement(report, bytes)) ?? ''), vendorKey);
    const out = verifyRun({ envelope, reportBytes: bytes }, { keys: [VENDOR], allowUnsigned: false }, catalog);
    expect(check(out, 'envelope').message).toBe('payloadType is "application/json", expected "application/vnd.in-toto+json"');
  });
});

describe('fixture keys', () => {
  it('are the files the docs name', () => {
    expect(readFileSync(join(KEYS, 'ed25519.pub'), 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
  });
});
