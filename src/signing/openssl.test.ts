import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import { tablePeak } from '../bench/peaks.js';
import { benchmarksOf } from '../report/benchmarks.js';
import type { Report } from '../report/schema.js';
import { writeRunOutputs } from '../render/write.js';
import { syntheticBenchResult, syntheticReport } from '../testing/synthetic.js';
import { EnvelopeSchema, PAYLOAD_TYPE, decodeBase64, signEnvelope, type Envelope } from './dsse.js';
import { loadPrivateKey } from './keys.js';
import { envelopeBytes } from './sign.js';

/*
 * docs/report-format.md "Checking the signature with openssl alone" gives reviewers a shell procedure in blocks marked
 * `<!-- reviewer:NAME -->`. The blocks are taken from the doc and run exactly as printed, concatenated in order, with
 * sh: the doc cannot drift from what is tested.
 */

const KEYS = join(PACKAGE_ROOT, 'fixtures', 'keys');
const key = (name: string): KeyObject => loadPrivateKey(join(KEYS, `${name}.key`), () => {});
const pub = (name: string): string => join(KEYS, `${name}.pub`);

const DOC = readFileSync(join(PACKAGE_ROOT, 'docs', 'report-format.md'), 'utf8');
const SECTION = /^### Checking the signature with openssl alone\n([\s\S]*?)^## What `verify` checks$/m.exec(DOC)?.[1] ?? '';
const BLOCKS = [...SECTION.matchAll(/<!-- reviewer:([a-z0-9-]+) -->\n```sh\n([\s\S]*?)```/g)].map((m) => ({ name: m[1] ?? '', code: m[2] ?? '' }));
const SCRIPT = BLOCKS.map((b) => b.code).join('\n');

const scratch = mkdtempSync(join(tmpdir(), 'accelcert-openssl-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let serial = 0;
const freshDir = (label: string): string => {
  const dir = join(scratch, `${label}-${++serial}`);
  mkdirSync(dir);
  return dir;
};

const snapshot = (dir: string): Map<string, Buffer> => new Map(readdirSync(dir).sort().map((n) => [n, readFileSync(join(dir, n))]));
function changed(before: Map<string, Buffer>, after: Map<string, Buffer>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names]
    .filter((n) => {
      const [a, b] = [before.get(n), after.get(n)];
      return !a || !b || !a.equals(b);
    })
    .sort();
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The doc's procedure on run folder `run` with public key `pub`: from an empty working directory, with a TMPDIR of its
 * own and nothing else in the environment but PATH (`pathFirst` put before it). Leaving the run folder byte for byte
 * as it was and the working directory empty is part of every run, and the work is done in one folder from mktemp.
 */
function reviewerChecks(run: string, pubPath: string, pathFirst?: string): Outcome {
  const cwd = freshDir('cwd');
  const tmp = freshDir('tmp');
  const before = snapshot(run);
  const PATH = [pathFirst, process.env.PATH ?? '/usr/bin:/bin'].filter((p) => p !== undefined).join(':');
  const r = spawnSync('sh', ['-c', SCRIPT], { cwd, env: { PATH, RUN: run, PUB: pubPath, TMPDIR: tmp }, encoding: 'utf8' });
  expect(changed(before, snapshot(run)), 'files of the run folder the procedure changed').toEqual([]);
  expect(readdirSync(cwd)).toEqual([]);
  if (r.status === 0) expect(readdirSync(tmp)).toHaveLength(1);
  else expect(readdirSync(tmp).length).toBeLessThanOrEqual(1);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const plain = syntheticReport({ cases: 40, margins: { 'core/binary/aten.mul.Tensor/float32/case-000001': 2.5 } }).report;
// three of a kind at every offset: the payload's base64 then holds both a '+' (from '>') and a '/' (from '?'), so the
// URL-safe variants below really differ from the standard ones
plain.host.hostname = 'ci-runner-7 >>>???';
/** a run that measured a benchmark, so benchmarks.svg is written and signed too */
function withBenchmark(): Report {
  const { report } = syntheticReport({ cases: 8 });
  const ns = 1e6;
  report.results.push(syntheticBenchResult({ id: 'bench/gemm/mm-4096/float32/hot', samplesNs: [ns * 0.97, ns * 0.99, ns, ns, ns * 1.01, ns * 1.05], work: { flops: 2e9 } }));
  report.benchmarks = benchmarksOf(report.results, tablePeak('NVIDIA H200'), 'small');
  return report;
}
const benched = withBenchmark();

async function signedRun(report: Report, keyName: string): Promise<string> {
  const dir = freshDir('run');
  await writeRunOutputs(dir, report, { key: key(keyName) });
  return dir;
}

const envPath = (dir: string): string => join(dir, 'report.dsse.json');
const readEnvelope = (dir: string): Envelope => EnvelopeSchema.parse(JSON.parse(readFileSync(envPath(dir), 'utf8')));
const writeEnvelope = (dir: string, env: Envelope): void => writeFileSync(envPath(dir), envelopeBytes(env));
const statementOf = (env: Envelope): Record<string, unknown> => JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as Record<string, unknown>;
/** the names the run's statement signs, in order: report.json first, then the files rendered from the report */
const signedNames = (dir: string): string[] => (statementOf(readEnvelope(dir)).subject as { name: string }[]).map((s) => s.name);

/** Signs `statement` (canonicalised) as the envelope of `dir`, with a key and payloadType of choice. */
function resign(dir: string, statement: unknown, keyName = 'ed25519', payloadType = PAYLOAD_TYPE): void {
  const text = canonicalize(statement);
  if (text === undefined) throw new Error('statement cannot be canonicalised');
  writeEnvelope(dir, signEnvelope(payloadType, Buffer.from(text, 'utf8'), key(keyName)));
}

/** Flips one bit in the middle of a file of the run folder. */
function editFile(dir: string, name: string): void {
  const bytes = readFileSync(join(dir, name));
  const mid = Math.floor(bytes.length / 2);
  bytes.writeUInt8((bytes[mid] ?? 0) ^ 0x01, mid);
  writeFileSync(join(dir, name), bytes);
}

const urlSafe = (s: string): string => s.replaceAll('+', '-').replaceAll('/', '_');
const unpadded = (s: string): string => s.replace(/=+$/, '');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('docs/report-format.md prints the openssl-only procedure', () => {
  it('as five sh blocks, in order, under "Checking the signature with openssl alone"', () => {
    expect(BLOCKS.map((b) => b.name)).toEqual(['setup', 'envelope', 'signature', 'statement', 'digests']);
    expect(SCRIPT).toMatch(/^set -eu\n/);
    expect(SCRIPT).toContain('WORK=$(mktemp -d)');
    expect(SECTION).toContain('`src/signing/openssl.test.ts`');
  });

  it('needing OpenSSL 3.0 or later, which this machine has', () => {
    expect(SECTION).toContain('OpenSSL 3.0 or later');
    const version = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout;
    expect(version).toMatch(/^OpenSSL (?:[3-9]|[1-9][0-9])\./);
  });

  it('and stopping, before it reads anything, on OpenSSL 1.1.1 or LibreSSL', async () => {
    const run = await signedRun(plain, 'ed25519');
    for (const version of ['OpenSSL 1.1.1w  11 Sep 2023', 'LibreSSL 3.3.6']) {
      const bin = freshDir('bin');
      writeFileSync(join(bin, 'openssl'), `#!/bin/sh\necho '${version}'\n`, { mode: 0o755 });
      const out = reviewerChecks(run, pub('ed25519'), bin);
      expect(out.status).toBe(1);
      expect(out.stdout).toBe('');
      expect(out.stderr).toBe(`FAIL: needs OpenSSL 3.0 or later (pkeyutl -rawin, for Ed25519); this is ${version}\n`);
    }
  });
});

describe('a reviewer checks a signed run with openssl alone, exactly as docs/report-format.md prints it', () => {
  it('Ed25519: the signature verifies and every signed file (report.json, summary.md, junit.xml, …) matches', async () => {
    const run = await signedRun(plain, 'ed25519');
    const names = signedNames(run);
    expect(names.slice(0, 3)).toEqual(['report.json', 'summary.md', 'junit.xml']);
    expect(names).not.toContain('benchmarks.svg');
    const out = reviewerChecks(run, pub('ed25519'));
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(lines(out.stdout)[0]).toMatch(/^working in \//);
    expect(lines(out.stdout).slice(1)).toEqual([
      'Signature Verified Successfully',
      ...names.map((n) => `ok ${n}`),
      `OK: signed with ${pub('ed25519')}; all ${names.length} signed files match`,
    ]);
  });

  it('ECDSA P-256: the signature verifies and the signed files match', async () => {
    const run = await signedRun(plain, 'p256');
    const out = reviewerChecks(run, pub('p256'));
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(lines(out.stdout).slice(1, -1)).toEqual(['Verified OK', ...signedNames(run).map((n) => `ok ${n}`)]);
  });

  it('a run with benchmarks: benchmarks.svg is signed and checked too', async () => {
    const run = await signedRun(benched, 'ed25519');
    expect(signedNames(run)).toContain('benchmarks.svg');
    const out = reviewerChecks(run, pub('ed25519'));
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(lines(out.stdout).filter((l) => l.startsWith('ok '))).toEqual(signedNames(run).map((n) => `ok ${n}`));
  });

  it('URL-safe, unpadded base64 in the envelope still passes (Ed25519 and ECDSA P-256)', async () => {
    for (const name of ['ed25519', 'p256']) {
      const run = await signedRun(plain, name);
      const env = readEnvelope(run);
      expect(env.payload).toMatch(/\+/);
      expect(env.payload).toMatch(/\//);
      writeEnvelope(run, { ...env, payload: unpadded(urlSafe(env.payload)), signatures: env.signatures.map((s) => ({ ...s, sig: unpadded(urlSafe(s.sig)) })) });
      const out = reviewerChecks(run, pub(name));
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
    }
  });
});

describe('each forgery fails loudly: a non-zero exit and the reason on stderr', () => {
  /** the last line when `oneFile` of the run's signed files is changed or missing */
  const oneBad = (run: string): RegExp => new RegExp(`^FAIL: 1 of the ${signedNames(run).length} signed files are changed or missing$`, 'm');
  const forgeries: { what: string; report?: Report; keyName?: string; forge: (run: string) => void; pubName?: string; stderr: RegExp; oneFile?: true }[] = [
    {
      what: 'an edited report.json',
      forge: (run) => editFile(run, 'report.json'),
      stderr: /^MISMATCH report\.json: sha256 [0-9a-f]{64}, but the statement signs [0-9a-f]{64}$/m,
      oneFile: true,
    },
    {
      what: 'an edited summary.md',
      forge: (run) => editFile(run, 'summary.md'),
      stderr: /^MISMATCH summary\.md: sha256 [0-9a-f]{64}, but the statement signs [0-9a-f]{64}$/m,
      oneFile: true,
    },
    {
      what: 'an edited junit.xml',
      forge: (run) => editFile(run, 'junit.xml'),
      stderr: /^MISMATCH junit\.xml: /m,
      oneFile: true,
    },
    {
      what: 'an edited benchmarks.svg',
      report: benched,
      forge: (run) => editFile(run, 'benchmarks.svg'),
      stderr: /^MISMATCH benchmarks\.svg: /m,
      oneFile: true,
    },
    {
      what: 'a deleted summary.md',
      forge: (run) => rmSync(join(run, 'summary.md')),
      stderr: /^MISSING summary\.md: signed, but not in /m,
      oneFile: true,
    },
    {
      what: 'another payloadType, signed by the same key',
      forge: (run) => resign(run, statementOf(readEnvelope(run)), 'ed25519', 'application/json'),
      stderr: /^FAIL: payloadType is "application\/json", expected application\/vnd\.in-toto\+json$/m,
    },
    {
      what: 'another predicateType, signed by the same key',
      forge: (run) => resign(run, { ...statementOf(readEnvelope(run)), predicateType: 'https://example.com/other/v1' }),
      stderr: /^FAIL: the statement's predicateType is "https:\/\/example\.com\/other\/v1", expected https:\/\/accelcert\.dev\/report\/v1$/m,
    },
    {
      what: 'another _type, signed by the same key',
      forge: (run) => resign(run, { ...statementOf(readEnvelope(run)), _type: 'https://in-toto.io/Statement/v0.1' }),
      stderr: /^FAIL: the statement's _type is "https:\/\/in-toto\.io\/Statement\/v0\.1", expected https:\/\/in-toto\.io\/Statement\/v1$/m,
    },
    {
      what: 'subjects reordered so that report.json is not first, signed by the same key',
      forge: (run) => {
        const st = statementOf(readEnvelope(run));
        resign(run, { ...st, subject: [...(st.subject as unknown[])].reverse() });
      },
      stderr: /^FAIL: the statement's first subject is not report\.json$/m,
    },
    {
      what: 'a subject named by a path out of the run folder, signed by the same key',
      forge: (run) => {
        const st = statementOf(readEnvelope(run));
        const [first, ...rest] = st.subject as { name: string }[];
        resign(run, { ...st, subject: [first, ...rest.map((s) => ({ ...s, name: `../elsewhere/${s.name}` }))] });
      },
      stderr: /^FAIL: the statement does not end in predicateType and a list of subjects, as accelcert writes it$/m,
    },
    {
      what: 'a signature by another key',
      forge: (run) => resign(run, statementOf(readEnvelope(run)), 'other'),
      stderr: /^FAIL: the signature does not verify with .*ed25519\.pub: another key signed it, or the envelope was changed$/m,
    },
    {
      what: 'a signed ECDSA P-256 run checked against another key',
      keyName: 'p256',
      forge: () => {},
      pubName: 'ed25519',
      stderr: /^FAIL: the signature does not verify with .*ed25519\.pub: /m,
    },
    {
      what: 'a payload changed after signing',
      forge: (run) => {
        const env = readEnvelope(run);
        const payload = Buffer.from(env.payload, 'base64');
        payload.writeUInt8((payload.at(-200) ?? 0) ^ 0x04, payload.length - 200);
        writeEnvelope(run, { ...env, payload: payload.toString('base64') });
      },
      stderr: /^FAIL: the signature does not verify with /m,
    },
    {
      what: 'an envelope laid out otherwise (pretty-printed)',
      forge: (run) => writeFileSync(envPath(run), JSON.stringify(readEnvelope(run), null, 2)),
      stderr: /^FAIL: report\.dsse\.json is not laid out as accelcert writes it: /m,
    },
  ];

  for (const f of forgeries) {
    it(f.what, async () => {
      const run = await signedRun(f.report ?? plain, f.keyName ?? 'ed25519');
      f.forge(run);
      const out = reviewerChecks(run, pub(f.pubName ?? f.keyName ?? 'ed25519'));
      expect(out.status, out.stderr).not.toBe(0);
      expect(out.stderr).toMatch(f.stderr);
      if (f.oneFile) expect(out.stderr).toMatch(oneBad(run));
      expect(out.stdout).not.toMatch(/^OK:/m);
    });
  }
});

describe('the procedure decodes base64 exactly as accelcert verify does (decodeBase64)', () => {
  type Field = 'payload' | 'sig';
  const variants: { what: string; field: Field; change: (b64: string) => string; accepted: boolean }[] = [
    { what: 'standard, padded (as written)', field: 'sig', change: (s) => s, accepted: true },
    { what: 'standard, unpadded', field: 'sig', change: unpadded, accepted: true },
    { what: 'URL-safe, padded', field: 'payload', change: urlSafe, accepted: true },
    { what: 'URL-safe, unpadded', field: 'payload', change: (s) => unpadded(urlSafe(s)), accepted: true },
    { what: 'half the padding', field: 'sig', change: (s) => `${unpadded(s)}=`, accepted: false },
    { what: 'too much padding', field: 'sig', change: (s) => `${unpadded(s)}===`, accepted: false },
    { what: 'a length base64 cannot have', field: 'sig', change: (s) => unpadded(s).slice(0, -1), accepted: false },
    {
      what: 'non-zero unused bits in the last character (the same bytes, another spelling)',
      field: 'sig',
      change: (s) => {
        const bare = unpadded(s);
        const next = ALPHABET[ALPHABET.indexOf(bare.at(-1) ?? 'A') + 1] ?? 'B';
        const changedSig = `${bare.slice(0, -1)}${next}${s.slice(bare.length)}`;
        // Node (and openssl) decode it to the very same signature: only the strict check stops it
        expect(Buffer.from(changedSig, 'base64').equals(Buffer.from(s, 'base64'))).toBe(true);
        return changedSig;
      },
      accepted: false,
    },
    { what: 'a character outside the alphabet', field: 'payload', change: (s) => `${s.slice(0, 40)}*${s.slice(40)}`, accepted: false },
    { what: 'a space', field: 'payload', change: (s) => `${s.slice(0, 40)} ${s.slice(40)}`, accepted: false },
    { what: 'padding in the middle', field: 'payload', change: (s) => `${s.slice(0, 40)}==${s.slice(40)}`, accepted: false },
    {
      what: 'both alphabets in one value',
      field: 'payload',
      change: (s) => {
        const i = s.search(/[+/]/);
        expect(i, 'the payload has a + or a /').toBeGreaterThanOrEqual(0);
        expect(s.slice(i + 1), 'and another one after it').toMatch(/[+/]/);
        return `${s.slice(0, i)}${urlSafe(s.charAt(i))}${s.slice(i + 1)}`;
      },
      accepted: false,
    },
  ];

  for (const v of variants) {
    it(`${v.field}, ${v.what}: ${v.accepted ? 'accepted' : 'refused'} by both`, async () => {
      const run = await signedRun(plain, 'ed25519');
      const env = readEnvelope(run);
      const [first] = env.signatures;
      if (!first) throw new Error('no signature');
      const text = v.change(v.field === 'payload' ? env.payload : first.sig);
      expect(decodeBase64(text) !== null, 'decodeBase64 accepts it').toBe(v.accepted);
      writeEnvelope(run, v.field === 'payload' ? { ...env, payload: text } : { ...env, signatures: [{ ...first, sig: text }] });
      const out = reviewerChecks(run, pub('ed25519'));
      if (v.accepted) {
        expect(out.stderr).toBe('');
        expect(out.status).toBe(0);
      } else {
        expect(out.status).toBe(1);
        expect(lines(out.stderr)).toEqual([expect.stringMatching(new RegExp(`^FAIL: the ${v.field} is not base64: `))]);
      }
    });
  }
});
