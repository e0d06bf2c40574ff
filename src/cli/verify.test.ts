import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OutputMetrics } from '../judge/result.js';
import { ruleLabel } from '../judge/interval.js';
import { getOp } from '../ops/registry.js';
import { opCall } from '../ops/types.js';
import { buildReport } from '../report/build.js';
import { writeRunOutputs } from '../render/write.js';
import type { CaseResult } from '../runner/result.js';
import type { Case, GraphCase } from '../workload/case.js';
import { typeGraph } from '../graph/interpret.js';
import { modelRuleLabel } from '../graph/judge.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import { shippedSuites } from '../../suites/index.js';
import { PACKAGE_ROOT } from '../version.js';
import { runMain as run } from '../testing/helpers.js';
import { CHECKS } from '../verify/verify.js';
import { shippedCatalog } from '../verify/shipped.js';
import { PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, signEnvelope } from '../signing/dsse.js';
import { loadPrivateKey } from '../signing/keys.js';

const KEYS = join(PACKAGE_ROOT, 'fixtures', 'keys');

/** A result that passes with zero error, as the judge would record it, for a shipped case. */
function passing(c: Case): CaseResult {
  if (c.kind === 'graph') return passingGraph(c);
  if (c.kind !== 'op') throw new Error(`${c.id} is not an op or graph case`);
  const op = getOp(c.op);
  if (!op) throw new Error(`no op ${c.op}`);
  const outputs: OutputMetrics[] = op.bind(opCall(c)).outputs.map((spec, index) => ({
    index,
    dtype: spec.dtype,
    shape: spec.shape,
    rule: ruleLabel(spec.accuracy, spec.dtype),
    elements: spec.shape.reduce((a, b) => a * b, 1),
    mismatches: 0,
    maxAbsError: 0,
    maxRelError: 0,
    maxUlpError: null,
    margin: 0,
    worst: null,
    problem: null,
  }));
  // a deterministic op runs twice and records both digests (equal); a nondeterministic one runs once
  const repeatDigest = op.bind(opCall(c)).nondeterministic === true ? null : '0'.repeat(64);
  return { id: c.id, kind: c.kind, subject: c.op, family: c.family, dtype: c.dtype, status: 'pass', message: null, outputs, outputDigest: '0'.repeat(64), repeatDigest, timings: { execMs: 1, deviceMs: null } };
}

const zero = { mismatches: 0, maxAbsError: 0, maxRelError: 0, maxUlpError: null, margin: 0, worst: null, problem: null };

/** A graph case's passing result: each graph output under its model rule, then each task check. */
function passingGraph(c: GraphCase): CaseResult {
  const typed = typeGraph(c.graph, c.inputs);
  const values: OutputMetrics[] = c.graph.outputs.map((v, index) => {
    const spec = typed.values[v]!;
    const node = typed.nodes[typed.producer[v]!]!.node.name;
    return { index, dtype: spec.dtype, shape: spec.shape, rule: modelRuleLabel(node, typed.pathDtypes[v] ?? null), elements: spec.shape.reduce((a, b) => a * b, 1), ...zero };
  });
  const checks: OutputMetrics[] = c.checks.map((check, k) => {
    const spec = typed.values[c.graph.outputs[check.output]!]!;
    const rows = spec.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const shape = check.kind === 'tokens' ? spec.shape : [rows];
    const rule = check.kind === 'tokens' ? 'tokens identical' : `${check.kind}≥${check.min}`;
    return { index: values.length + k, dtype: spec.dtype, shape, rule, elements: shape.reduce((a, b) => a * b, 1), ...zero };
  });
  return { id: c.id, kind: c.kind, subject: c.graph.name, family: c.family, dtype: c.dtype, status: 'pass', message: null, outputs: [...values, ...checks], outputDigest: '0'.repeat(64), timings: { execMs: 1, deviceMs: null } };
}

/**
 * A pass whose rules admit one answer only must carry that answer's digest (verify recomputes it): the results get the
 * digests the shipped catalog expects, as an honest device's would.
 */
async function withExpectedDigests(results: CaseResult[]): Promise<CaseResult[]> {
  const catalog = shippedCatalog(shippedSuites());
  await catalog.prepareExpectedDigests?.(results.map((r) => r.id), null);
  const cases = new Map(catalog.suites.flatMap((s) => s.cases.map((c) => [c.id, c] as const)));
  return results.map((r) => {
    const c = cases.get(r.id);
    const digest = c ? catalog.expectedDigest?.(c, null) : null;
    return digest ? { ...r, outputDigest: digest, repeatDigest: r.repeatDigest === undefined || r.repeatDigest === null ? r.repeatDigest : digest } : r;
  });
}

let runDir = '';
beforeAll(async () => {
  const suites = shippedSuites();
  const profile = getProfile('inference-fp32');
  const required = requiredCases(profile, suites);
  const report = buildReport({
    command: ['accelcert', 'run', '--driver', 'reference'],
    startedAt: new Date('2025-06-01T10:00:00Z'),
    endedAt: new Date('2025-06-01T10:01:00Z'),
    target: { driver: 'reference', device: 'reference', fingerprint: { vendor: 'accelcert', model: 'reference', memoryBytes: null, driverVersion: null, framework: null, extra: {} } },
    suites: suites.filter((s) => profile.suites.includes(s.name)),
    profile: profile.name,
    requiredIds: required.map((c) => c.id),
    selection: { suites: [], filters: [], dtypes: [], shard: null, cases: required.length },
    results: await withExpectedDigests(required.map(passing)),
    waivers: [],
    run: { outcome: 'completed', message: null },
  });
  runDir = mkdtempSync(join(tmpdir(), 'verify-cli-'));
  await writeRunOutputs(runDir, report, { key: join(KEYS, 'ed25519.key') });
});

afterEach(() => vi.restoreAllMocks());

describe('accelcert verify against the suites this version ships', () => {
  it('prints a checklist and exits 0 for an intact certified run', async () => {
    const r = await run('verify', runDir, '--key', join(KEYS, 'ed25519.pub'));
    expect(r.err).toBe('');
    // the first line says which key was trusted; then what the report is about, before any check
    expect(r.out).toMatch(/^trusting the key you gave: .*ed25519\.pub \([0-9a-f]{16}…\)\naccelcert verify .*\n {2}target {5}reference reference: /);
    expect(r.out).toMatch(/\n {2}claim {6}CERTIFIED for profile inference-fp32\n/);
    expect(r.out).toMatch(/\n {2}signer {5}key [0-9a-f]{64} \(.*ed25519\.pub\)\n {2}waivers {4}none\n/);
    expect(r.out).toMatch(/ok {4}signature +valid Ed25519 signature by trusted key [0-9a-f]{64}/);
    expect(r.out).toMatch(/ok {4}required cases +all \d+ required cases of profile inference-fp32 present exactly once/);
    expect(r.out).toMatch(/\nVALID and CERTIFIED: every claim checks out; CERTIFIED for inference-fp32\n$/);
    expect(r.code).toBe(0);
  });

  it('--json prints the outcome alone on stdout', async () => {
    const r = await run('verify', join(runDir, 'report.dsse.json'), '--key', join(KEYS, 'other.pub'), '--key', join(KEYS, 'ed25519.pub'), '--json');
    const parsed = JSON.parse(r.out) as { valid: boolean; checks: { id: string; state: string }[] };
    expect(parsed.valid).toBe(true);
    expect(parsed.checks).toHaveLength(CHECKS.length);
    expect(r.code).toBe(0);
  });

  it('exits 1 with the failing check named when report.json was edited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-cli-tampered-'));
    cpSync(runDir, dir, { recursive: true });
    const text = readFileSync(join(dir, 'report.json'), 'utf8');
    writeFileSync(join(dir, 'report.json'), text.replace('"status":"pass"', '"status":"fail"'));
    const r = await run('verify', dir, '--key', join(KEYS, 'ed25519.pub'));
    expect(r.out).toMatch(/FAIL {2}subject digest +report\.json hashes to sha256 [0-9a-f]{64}, but the signed statement names/);
    expect(r.out).toMatch(new RegExp(`INVALID: \\d+ of ${CHECKS.length} checks did not hold`));
    expect(r.code).toBe(1);
  });

  it('an unsigned run is never VALID: --allow-unsigned only checks its content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-cli-unsigned-'));
    cpSync(join(runDir, 'report.json'), join(dir, 'report.json'));
    expect((await run('verify', dir, '--key', join(KEYS, 'ed25519.pub'))).code).toBe(1);
    const r = await run('verify', dir, '--allow-unsigned', '--key', join(KEYS, 'ed25519.pub'));
    expect(r.out).toMatch(/FAIL {2}signature +the report is unsigned: its content is checked below \(--allow-unsigned\), but nothing proves who wrote it/);
    expect(r.out).not.toMatch(/VALID and|VALID but/);
    expect(r.out).toMatch(/\nINVALID: the report is unsigned: its content is consistent, but nothing proves who wrote it\n$/);
    expect(r.code).toBe(1);
  });

  describe('bad input: one sentence on stderr, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-cli-bad-'));
    const file = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const cases: [string, () => string[], RegExp][] = [
      ['a missing file', () => ['verify', join(dir, 'nope')], /^accelcert: .*nope does not exist\n$/],
      ['a file that is not JSON', () => ['verify', file('x.json', 'not json')], /^accelcert: .*x\.json is not JSON\n$/],
      ['JSON that is neither report nor envelope', () => ['verify', file('y.json', '{"hello":1}')], /^accelcert: .*y\.json is not an accelcert report or DSSE envelope .*\n$/],
      ['an envelope of the wrong shape', () => ['verify', file('z.json', '{"payload":1,"payloadType":"x","signatures":[]}')], /^accelcert: .*z\.json is not a DSSE envelope: field payload: .*\n$/],
      ['a corrupt PEM key', () => ['verify', runDir, '--key', join(KEYS, 'corrupt.key')], /^accelcert: .*corrupt\.key holds a private key; give the public key .*\n$/],
      ['an unreadable PEM key', () => ['verify', runDir, '--key', file('garbage.pub', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')], /^accelcert: .*garbage\.pub is not a readable PEM public key\n$/],
      ['a private key given as --key', () => ['verify', runDir, '--key', join(KEYS, 'ed25519.key')], /^accelcert: .*ed25519\.key holds a private key; give the public key \(the \.pub file\) to verify\n$/],
      ['an RSA key', () => ['verify', runDir, '--key', join(KEYS, 'rsa.pub')], /^accelcert: .*rsa\.pub holds a rsa key; accelcert signs with ed25519 or ecdsa-p256 keys only\n$/],
      ['a missing key file', () => ['verify', runDir, '--key', join(dir, 'none.pub')], /^accelcert: key file .*none\.pub does not exist\n$/],
    ];
    for (const [what, args, message] of cases) {
      it(what, async () => {
        const r = await run(...args());
        expect(r.err).toMatch(message);
        expect(r.out).toBe('');
        expect(r.code).toBe(2);
      });
    }
  });
});

describe('accelcert report', () => {
  it('re-renders the summary and the junit file from the signed report, once its signature checks out', async () => {
    const key = ['--key', join(KEYS, 'ed25519.pub')];
    const md = await run('report', runDir, '--format', 'md', ...key);
    expect(md.out).toMatch(/^# accelcert: CERTIFIED\n/);
    expect(md.out).toBe(readFileSync(join(runDir, 'summary.md'), 'utf8'));
    expect(md.code).toBe(0);
    // a key that did not sign it: refused, unless --unverified, which says so on stderr
    const other = await run('report', runDir, '--format', 'md', '--key', join(KEYS, 'other.pub'));
    expect(other).toMatchObject({ out: '', code: 1 });
    expect(other.err).toMatch(/^accelcert: .* is not verified, so it is not rendered \(signature: signed by key [0-9a-f]{64}, which is not a trusted key .*\); pass --key VENDOR\.pub, or --unverified to render it anyway\n$/);
    const loud = await run('report', runDir, '--format', 'md', '--key', join(KEYS, 'other.pub'), '--unverified');
    expect(loud.err).toMatch(/^accelcert: WARNING: rendering an UNVERIFIED report \(signature: .*\): nothing proves who wrote it\n$/);
    expect(loud.code).toBe(0);
    // an edited report.json beside the envelope is never what gets rendered
    const dir = mkdtempSync(join(tmpdir(), 'report-cli-tampered-'));
    cpSync(runDir, dir, { recursive: true });
    writeFileSync(join(dir, 'report.json'), readFileSync(join(dir, 'report.json'), 'utf8').replace('"CERTIFIED"', '"NOT_CERTIFIED"'));
    const tampered = await run('report', dir, '--format', 'md', ...key);
    expect(tampered.code).toBe(1);
    expect(tampered.err).toMatch(/\(subject digest: report\.json hashes to sha256 [0-9a-f]{64}, but the signed statement names [0-9a-f]{64}: report\.json was changed after signing\)/);
    const xml = await run('report', runDir, '--format', 'junit', ...key);
    expect(xml.out).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites>/);
    const html = await run('report', runDir, '--format', 'html', ...key);
    expect(html.out).toBe(readFileSync(join(runDir, 'report.html'), 'utf8'));
    expect((await run('report', runDir, '--format', 'pdf')).code).toBe(2);
    const bad = await run('report', join(runDir, 'nope'), '--format', 'md');
    expect(bad.err).toMatch(/^accelcert: .*nope does not exist\n$/);
    expect(bad.code).toBe(2);
  });
});

describe('verify of hostile input', () => {
  it('reads a signed statement nested 5,000 levels deep as invalid, in one sentence, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accelcert-deep-'));
    // a report nested far past anything accelcert writes, inside an otherwise well-formed, signed statement
    const report = Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    const statement = Buffer.from(
      `{"_type":"${STATEMENT_TYPE}","predicate":{"report":${report.toString()}},"predicateType":"${PREDICATE_TYPE}",` +
        `"subject":[{"digest":{"sha256":"${createHash('sha256').update(report).digest('hex')}"},"name":"report.json"}]}`,
    );
    const file = join(dir, 'report.dsse.json');
    writeFileSync(file, JSON.stringify(signEnvelope(PAYLOAD_TYPE, statement, loadPrivateKey(join(KEYS, 'ed25519.key'), () => undefined))));
    const r = await run('verify', file, '--key', join(KEYS, 'ed25519.pub'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL {2}subject digest +the report carried in the statement nests deeper than 64 levels/);
    expect(r.err).not.toMatch(/RangeError|\n\s+at /);
  });

  it('refuses an unsigned report file nested too deep with one sentence naming it (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accelcert-deep-'));
    const file = join(dir, 'report.json');
    writeFileSync(file, `{"schemaVersion":3,"x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    const r = await run('verify', file, '--allow-unsigned');
    expect([r.code, r.err]).toEqual([2, `accelcert: ${file} nests deeper than 64 levels, which no accelcert file does\n`]);
  });
});
