import { firstIssue, firstLine, issueText } from '../errors.js';
import canonicalize from 'canonicalize';
import { describeOutput } from '../judge/describe.js';
import { outputFailed, statusFromOutputs, type OutputMetrics } from '../judge/result.js';
import type { BenchMeasurement, CaseResult } from '../runner/result.js';
import { compileExactGlob } from '../suite/glob.js';
import { sha256Hex } from '../report/build.js';
import { readJsonText } from '../json.js';
import { benchmarksOf } from '../report/benchmarks.js';
import { tablePeak } from '../bench/peaks.js';
import { metricsProblem } from './consistency.js';
import { PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, decodeBase64, pae, verifyBytes, type Envelope } from '../signing/dsse.js';
import { keyAlgorithm } from '../signing/keys.js';
import type { TrustedKey } from '../signing/keyring.js';
import { RUN_FILES } from '../report/files.js';
import type { Challenge } from '../report/challenge.js';
import type { Envelope as ReportEnvelope } from '../report/envelope.js';
import { waiverTrust, type WaiverTrust } from './waiver-trust.js';
import { reportConsistencyProblems } from './report-consistency.js';
import { expectedOutputsCheck } from './expected.js';
import { REPORT_SCHEMA_VERSION, ReportSchema, type ListedWaiver, type Report, type Summary, type Verdict } from '../report/schema.js';
import { REPORT_SUBJECT_NAME, StatementSchema } from '../signing/sign.js';
import { computeVerdict, firstFew, summarize } from '../report/verdict.js';
import { deviceKey } from '../report/waivers.js';
import { isRandomRuleLabel } from '../judge/distribution.js';
import { GRAPH_FILE_IN_RUN, GRAPH_FILE_SUITE } from '../workload/graph-file.js';
import type { BenchScale } from '../workload/bench.js';

/** What `verify` compares a report against: what this accelcert version ships. Tests pass their own. */
export interface ShippedCatalog {
  harnessVersion: string;
  suites: readonly { name: string; version: string; digest: string; cases: readonly ShippedCase[] }[];
  /** ids of the cases a profile requires, or undefined for a profile this version does not know */
  /** the ids a profile requires, with the bench scale the run required (null: the profile has no benchmarks) */
  requiredIds(profile: string, benchScale: BenchScale | null): readonly string[] | undefined;
  /** why a case's recorded outputs do not fit the shipped op (output count, dtype, shape, acceptance rule), or null */
  /** bench: a benchmark's recorded measurement, checked against the case and its own samples */
  outputsProblem(c: ShippedCase, outputs: readonly OutputMetrics[], bench?: BenchMeasurement): string | null;
  /**
   * the `inputDigest` a run of the case with this user seed (null: none) records: sha256 of the inputs it generates.
   * Absent from a catalog that cannot generate inputs (a synthetic one): recorded digests are then not checked.
   */
  inputDigest?(c: ShippedCase, seed: string | null): string;
  /** computes ahead (in parallel) the input digests of these cases with this seed, which `inputDigest` then returns */
  prepareInputDigests?(ids: readonly string[], seed: string | null): Promise<void>;
  /**
   * sha256 of the only output bytes the shipped acceptance rules admit for the case run with this user seed (every
   * output, in order, as `outputDigest` hashes them), or null when its rules admit more than one answer (a tolerance,
   * a NaN whose payload is free, a random op). Absent from a catalog that cannot compute expectations.
   */
  expectedDigest?(c: ShippedCase, seed: string | null): string | null;
  /** computes ahead (in parallel) the expected digests of these cases with this seed, which `expectedDigest` then returns */
  prepareExpectedDigests?(ids: readonly string[], seed: string | null): Promise<void>;
  /**
   * the graph file beside the report (a `run --graph` folder's graph.json): where it is, its sha256, and why it is not a
   * valid graph file (null when it is; its cases are then among `suites`, under the profile GRAPH_PROFILE). Absent or
   * null: there is none.
   */
  graph?: { file: string; sha256: string; problem: string | null } | null;
}

/** A shipped case as verify compares a result with it: where it is filed and what it runs. */
export interface ShippedCase {
  id: string;
  suite: string;
  kind: string;
  subject: string;
  family: string;
  dtype: string;
  /** the op is documented as nondeterministic: its case is not repeated, and records no repeatDigest */
  nondeterministic?: boolean;
}

export type { TrustedKey } from '../signing/keyring.js';

export const CHECKS = [
  ['signature', 'signature'],
  ['envelope', 'payloadType and statement'],
  ['subject', 'subject digest'],
  ['companions', 'signed files beside'],
  ['schema', 'report schema'],
  ['authority', 'signer may sign this device'],
  ['consistency', 'dates, command, digests'],
  ['suites', 'suite digests'],
  ['shards', 'shard signatures'],
  ['completeness', 'required cases'],
  ['inputs', 'input digests'],
  ['expected', 'single-answer outputs'],
  ['statuses', 'statuses vs metrics'],
  ['benchmarks', 'benchmark figures'],
  ['summary', 'summary counts'],
  ['verdict', 'verdict'],
  ['waivers', 'waivers'],
  ['challenge', 'challenge'],
  ['expectations', 'your expectations'],
] as const;
export type CheckId = (typeof CHECKS)[number][0];
export type CheckState = 'ok' | 'fail' | 'warn' | 'skipped';

export interface Check {
  id: CheckId;
  title: string;
  state: CheckState;
  /** one sentence */
  message: string;
  /** the cases or fields behind the message (all of them; renderers may cut) */
  details: string[];
}

export interface VerifyInput {
  /** the parsed report.dsse.json, when the run is signed */
  envelope: Envelope | null;
  /** the exact bytes of report.json, when there is one beside (or instead of) the envelope */
  reportBytes: Buffer | null;
  /** parsed report.json, required when there is no envelope */
  reportValue?: unknown;
  /** the files lying beside the envelope that a statement may name (summary.md, junit.xml, …), by name; absent: none read */
  beside?: ReadonlyMap<string, Buffer>;
}

/** What the reviewer requires of the report beyond its being authentic (`verify --expect-…`). */
export interface Expectations {
  profile?: string;
  /** a glob over the device key (vendor/model/driverVersion/framework-version) */
  device?: string;
  /** the reviewer's verdict must be CERTIFIED */
  certified?: boolean;
}

export interface VerifyOptions {
  keys: readonly TrustedKey[];
  allowUnsigned: boolean;
  /** keys trusted to grant waivers (`--waiver-key`); a waiver signed by no such key is not honoured */
  waiverKeys?: readonly TrustedKey[];
  expect?: Expectations;
  /** the challenge the reviewer issued (`--challenge FILE`): the report must answer exactly it */
  challenge?: { envelope: ReportEnvelope; challenge: Challenge } | null;
}

/** What a verified report is about: shown first, so that a reviewer knows what "VALID" applies to. */
export interface Verified {
  target: { driver: string; device: string; deviceKey: string; fingerprint: Report['target']['fingerprint'] };
  profile: string;
  graph: string | null;
  harness: { version: string; gitCommit: string | null };
  seed: string | null;
  startedAt: string;
  endedAt: string;
  /** the key whose signature verified: fingerprint, where the reviewer got it, its vendor binding */
  signer: { fingerprint: string; source: string; vendor: string | null; devices: readonly string[] | null; localDefault: boolean } | null;
  challenge: Challenge | null;
}

/** INVALID: a check failed; otherwise the reviewer's verdict (own waivers honoured only when trusted). */
export type VerifyResult = 'INVALID' | 'CERTIFIED' | 'NOT_CERTIFIED' | 'INCOMPLETE';

export interface VerifyOutcome {
  valid: boolean;
  signed: boolean;
  /** INVALID, or the verdict the reviewer can rely on: `reviewerVerdict`'s status */
  result: VerifyResult;
  /** what the report is about (null when it could not be read) */
  verified: Verified | null;
  /** fingerprint of the trusted key whose signature verified */
  signedBy: string | null;
  checks: Check[];
  /** the report's own verdict, and the one recomputed from its results (null when checks stopped earlier) */
  claimed: Verdict | null;
  recomputed: Verdict | null;
  /** the verdict with only the waivers the reviewer trusts: a case under any other waiver counts as fail */
  reviewerVerdict: Verdict | null;
  waivers: ListedWaiver[];
  /** per listed waiver: honoured or not, and why */
  waiverTrust: WaiverTrust[];
  waived: { id: string; waiver: string | null }[];
}

/** How many per-case problems a check keeps in its details before it only counts. */
const MAX_DETAILS = 50;

class Checklist {
  readonly checks = new Map<CheckId, Check>();
  set(id: CheckId, state: CheckState, message: string, details: string[] = []): void {
    const title = CHECKS.find(([c]) => c === id)?.[1] ?? id;
    this.checks.set(id, { id, title, state, message, details });
  }
  has(id: CheckId): boolean {
    return this.checks.has(id);
  }
  list(): Check[] {
    return CHECKS.map(([id, title]) => this.checks.get(id) ?? { id, title, state: 'skipped' as const, message: 'not checked: an earlier check failed', details: [] });
  }
}

/**
 * Re-derives everything a report claims, in DSSE order: the signature over PAE first, then payloadType and the
 * statement, then the subject digest, and only then the report's content. Pure apart from the catalog:
 * nothing is read from disk here (see cli/verify.ts for that).
 */
export function verifyRun(input: VerifyInput, options: VerifyOptions, catalog: ShippedCatalog): VerifyOutcome {
  const steps = verifySteps(input, options, catalog);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/**
 * `verifyRun`, with the catalog first asked to prepare the input digests the report records (`prepareInputDigests`,
 * e.g. on worker threads) once the report is known to be authentic and well formed.
 */
export async function verifyRunAsync(input: VerifyInput, options: VerifyOptions, catalog: ShippedCatalog): Promise<VerifyOutcome> {
  const steps = verifySteps(input, options, catalog);
  let step = steps.next();
  while (!step.done) {
    const report = step.value;
    const seed = report.selection.seed ?? null;
    // expectations first: preparing them generates the inputs too, whose digests the input check then reuses
    await catalog.prepareExpectedDigests?.(report.results.filter((r) => r.status === 'pass').map((r) => r.id), seed);
    await catalog.prepareInputDigests?.(report.results.filter((r) => r.inputDigest != null).map((r) => r.id), seed);
    step = steps.next();
  }
  return step.value;
}

/**
 * The report, when its signature by a trusted key, its statement, its digest and its signed companions check out and it
 * is well formed; else the first failed check's sentence. Its content is not re-derived (that is `verifyRun`): this is
 * for re-rendering a report without showing a forgery (`accelcert report`).
 */
export function authenticReport(input: VerifyInput, keys: readonly TrustedKey[]): { report: Report } | { problem: string } {
  const steps = verifySteps(input, { keys, allowUnsigned: false }, EMPTY_CATALOG);
  const step = steps.next();
  if (!step.done) return { report: step.value };
  const failed = step.value.checks.find((c) => c.state === 'fail');
  return { problem: failed ? `${failed.title}: ${failed.message}` : 'the report could not be read' };
}

/** A catalog for checks that stop before the content: authenticity needs none of it. */
const EMPTY_CATALOG: ShippedCatalog = { harnessVersion: '', suites: [], requiredIds: () => undefined, outputsProblem: () => null };

/** verifyRun's checks in order; yields the report once, after the schema check, before its content is checked. */
function* verifySteps(input: VerifyInput, options: VerifyOptions, catalog: ShippedCatalog): Generator<Report, VerifyOutcome, void> {
  const checks = new Checklist();
  let signer: TrustedKey | null = null;
  const outcome = (report: Report | null, recomputed: Verdict | null = null, reviewerVerdict: Verdict | null = null, trust: WaiverTrust[] = []): VerifyOutcome => {
    const list = checks.list();
    const valid = list.every((c) => c.state === 'ok' || c.state === 'warn');
    return {
      valid,
      signed: input.envelope !== null,
      result: valid && reviewerVerdict ? reviewerVerdict.status : 'INVALID',
      verified: report ? verifiedOf(report, signer, options.challenge?.challenge ?? null) : null,
      signedBy: signer?.fingerprint ?? null,
      checks: list,
      claimed: report?.verdict ?? null,
      recomputed,
      reviewerVerdict,
      waivers: report?.waivers ?? [],
      waiverTrust: trust,
      waived: report ? report.results.filter((r) => r.status === 'waived').map((r) => ({ id: r.id, waiver: r.waiver ?? null })) : [],
    };
  };

  let reportValue: unknown;
  if (input.envelope) {
    const env = input.envelope;
    const payload = decodeBase64(env.payload);
    if (!payload) {
      checks.set('signature', 'fail', 'the envelope payload is not valid base64');
      return outcome(null);
    }
    const sig = checkSignature(env, payload, options.keys);
    checks.set('signature', sig.ok ? 'ok' : 'fail', sig.message);
    if (!sig.ok) return outcome(null);
    signer = sig.key;

    if (env.payloadType !== PAYLOAD_TYPE) {
      checks.set('envelope', 'fail', `payloadType is "${env.payloadType}", expected "${PAYLOAD_TYPE}"`);
      return outcome(null);
    }
    const statement = readStatement(payload);
    if (typeof statement === 'string') {
      checks.set('envelope', 'fail', statement);
      return outcome(null);
    }
    checks.set('envelope', 'ok', `payloadType ${PAYLOAD_TYPE}, in-toto Statement v1 with predicate ${PREDICATE_TYPE}`);

    const claimed = statement.digest;
    const digest = sha256Hex(statement.reportBytes);
    if (digest !== claimed) {
      checks.set('subject', 'fail', `the statement names report.json sha256 ${claimed}, but the report it carries hashes to ${digest}`);
      return outcome(null);
    }
    const carried = readJsonText(statement.reportBytes.toString('utf8'));
    if ('problem' in carried) {
      checks.set('subject', 'fail', `the report carried in the statement ${carried.problem}`);
      return outcome(null);
    }
    // the signed bytes must be the one canonical form of what they say: a duplicated key or a reordered member would
    // let two readers see two reports under one signature
    if (canonicalize(carried.value) !== statement.reportBytes.toString('utf8')) {
      checks.set('subject', 'fail', 'the signed report is not in canonical form (RFC 8785): a key is duplicated, or members or numbers are written otherwise than canonicalisation gives');
      return outcome(null);
    }
    reportValue = carried.value;
    if (input.reportBytes) {
      const fileDigest = sha256Hex(input.reportBytes);
      if (fileDigest !== claimed) {
        checks.set('subject', 'fail', `report.json hashes to sha256 ${fileDigest}, but the signed statement names ${claimed}: report.json was changed after signing`);
        return outcome(null);
      }
      checks.set('subject', 'ok', `report.json sha256 ${claimed} matches the signed statement`);
    } else {
      checks.set('subject', 'ok', `the report carried in the envelope hashes to the signed sha256 ${claimed} (no report.json beside it)`);
    }
    checkCompanions(statement.companions, input.beside, checks);
  } else {
    checks.set(
      'signature',
      'fail',
      options.allowUnsigned
        ? 'the report is unsigned: its content is checked below (--allow-unsigned), but nothing proves who wrote it'
        : 'the report is unsigned (no report.dsse.json); pass --allow-unsigned to check its content anyway',
    );
    const state = options.allowUnsigned ? 'warn' : 'fail';
    checks.set('envelope', state, 'no envelope: the report is unsigned');
    checks.set('subject', state, 'no signed digest: the report is unsigned');
    checks.set('companions', state, 'no statement: nothing beside the report is signed');
    if (!options.allowUnsigned) return outcome(null);
    reportValue = input.reportValue;
  }

  const parsed = ReportSchema.safeParse(reportValue);
  if (!parsed.success) {
    const version = (reportValue as { schemaVersion?: unknown } | null)?.schemaVersion;
    const message =
      typeof version === 'number' && version !== REPORT_SCHEMA_VERSION
        ? `schemaVersion ${version} is not the version this accelcert reads (${REPORT_SCHEMA_VERSION})`
        : `the report does not match schemaVersion ${REPORT_SCHEMA_VERSION}: ${firstIssue(parsed.error)}`;
    checks.set('schema', 'fail', message, parsed.error.issues.slice(0, MAX_DETAILS).map(issueText));
    return outcome(null);
  }
  const report = parsed.data;
  checks.set('schema', 'ok', `a valid schemaVersion ${REPORT_SCHEMA_VERSION} report with ${report.results.length} results`);
  checkAuthority(report, signer, checks);
  yield report;

  const consistency = reportConsistencyProblems(report, shippedCaseIndex(catalog));
  if (consistency.length > 0) checks.set('consistency', 'fail', listMessage(consistency), consistency.slice(0, MAX_DETAILS));
  else checks.set('consistency', 'ok', 'dates in order; the command line gives the recorded selection, profile and seed; every judged result carries its digests');
  checkSuites(report, catalog, checks);
  checkShards(report, options.keys, checks);
  const requiredIds = checkCompleteness(report, catalog, checks);
  checkInputs(report, catalog, checks);
  const expected = expectedOutputsCheck(report, catalog);
  checks.set('expected', expected.state, expected.message, expected.details);
  checkStatuses(report, catalog, checks);
  checkBenchmarks(report, checks);
  checkSummary(report, checks);
  const trust = waiverTrust(report, options.waiverKeys ?? [], signer?.fingerprint ?? null);
  let recomputed: Verdict | null = null;
  let reviewer: Verdict | null = null;
  if (requiredIds) {
    const verdictOf = (results: readonly CaseResult[]): Verdict =>
      computeVerdict({ profile: report.profile.name, requiredIds, results, selection: report.selection, run: report.run, graph: report.graph });
    recomputed = verdictOf(report.results);
    checkVerdict(report, recomputed, checks);
    reviewer = verdictOf(withHonouredWaivers(report.results, trust));
  } else {
    checks.set('verdict', 'fail', `cannot recompute the verdict: profile ${report.profile.name} is not shipped by accelcert ${catalog.harnessVersion}`);
  }
  checkWaivers(report, trust, checks);
  checkChallenge(report, options.challenge ?? null, checks);
  checkExpectations(report, reviewer, options.expect ?? {}, checks);
  return outcome(report, recomputed, reviewer, trust);
}

/** "first problem (and N more problems)": the one sentence of a check with several findings. */
function listMessage(problems: readonly string[]): string {
  return (problems[0] ?? '') + (problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : '');
}

function verifiedOf(report: Report, signer: TrustedKey | null, challenge: Challenge | null): Verified {
  const t = report.target;
  return {
    target: { driver: t.driver, device: t.device, deviceKey: deviceKey(t.fingerprint), fingerprint: t.fingerprint },
    profile: report.profile.name,
    graph: report.graph?.file ?? null,
    harness: { version: report.harness.version, gitCommit: report.harness.gitCommit },
    seed: report.selection.seed ?? null,
    startedAt: report.startedAt,
    endedAt: report.endedAt,
    signer: signer
      ? { fingerprint: signer.fingerprint, source: signer.source, vendor: signer.vendor ?? null, devices: signer.devices ?? null, localDefault: signer.localDefault === true }
      : null,
    challenge,
  };
}

/**
 * The results a reviewer's verdict is computed from: every case whose waiver the reviewer does not honour counts as
 * the failure it is.
 */
function withHonouredWaivers(results: readonly CaseResult[], trust: readonly WaiverTrust[]): CaseResult[] {
  const honoured = new Set(trust.filter((t) => t.trusted).map((t) => t.id));
  return results.map((r) => (r.status === 'waived' && !honoured.has(r.waiver ?? '') ? { ...r, status: 'fail' as const } : r));
}

const STATEMENT_HEAD = Buffer.from(`{"_type":"${STATEMENT_TYPE}","predicate":{"report":`);
const SUBJECT = '\\{"digest":\\{"sha256":"[0-9a-f]{64}"\\},"name":"[^"\\\\]+"\\}';
const STATEMENT_TAIL = new RegExp(`\\},"predicateType":"${PREDICATE_TYPE.replaceAll('.', '\\.')}","subject":(\\[${SUBJECT}(?:,${SUBJECT})*\\])\\}$`);
/** how many bytes at the end of a payload the fast path searches for the subjects: report.json and a few companions */
const TAIL_BYTES = 2048;

const SubjectsSchema = StatementSchema.shape.subject;
interface Subject {
  name: string;
  sha256: string;
}

/**
 * The subjects (report.json first, then the files rendered from it) and the carried report's bytes from a signed
 * payload. accelcert writes the statement as canonical JSON, in which the report sits verbatim between a fixed head and
 * tail; slicing it out avoids parsing and re-canonicalising megabytes. Any other statement is parsed, and must itself
 * be canonical JSON.
 */
function readStatement(payload: Buffer): { digest: string; reportBytes: Buffer; companions: Subject[] } | string {
  const tail = STATEMENT_TAIL.exec(payload.subarray(Math.max(0, payload.length - TAIL_BYTES)).toString('latin1'));
  let subjects: Subject[];
  let reportBytes: Buffer;
  if (tail?.[1] && payload.subarray(0, STATEMENT_HEAD.length).equals(STATEMENT_HEAD)) {
    const listed = SubjectsSchema.safeParse(JSON.parse(tail[1]));
    if (!listed.success) return `the statement's subjects are malformed: ${firstIssue(listed.error)}`;
    subjects = listed.data.map((x) => ({ name: x.name, sha256: x.digest.sha256 }));
    reportBytes = payload.subarray(STATEMENT_HEAD.length, payload.length - tail[0].length);
  } else {
    const parsed = readJsonText(payload.toString('utf8'));
    if ('problem' in parsed) return `the signed payload ${parsed.problem}`;
    const st = StatementSchema.safeParse(parsed.value);
    if (!st.success) return `the signed payload is not an accelcert in-toto Statement v1: ${firstIssue(st.error)}`;
    if (canonicalize(parsed.value) !== payload.toString('utf8')) return 'the signed statement is not in canonical form (RFC 8785): a key is duplicated, or members are written otherwise';
    const canonical = canonicalize(st.data.predicate.report);
    if (canonical === undefined) return 'the statement carries no report';
    subjects = st.data.subject.map((x) => ({ name: x.name, sha256: x.digest.sha256 }));
    reportBytes = Buffer.from(canonical, 'utf8');
  }
  const [first, ...companions] = subjects;
  if (!first || first.name !== REPORT_SUBJECT_NAME) return `the statement's first subject is "${first?.name ?? ''}", expected "${REPORT_SUBJECT_NAME}"`;
  const names = new Set<string>();
  for (const c of companions) {
    if (!COMPANION_NAMES.has(c.name)) return `the statement names a subject "${c.name}", which is not a file of a run folder`;
    if (names.has(c.name)) return `the statement names ${c.name} twice`;
    names.add(c.name);
  }
  return { digest: first.sha256, reportBytes, companions };
}

/** The run-folder files a statement may sign beside report.json (render/write.ts writes them). */
const COMPANION_NAMES: ReadonlySet<string> = new Set([RUN_FILES.summary, RUN_FILES.junit, RUN_FILES.chart, RUN_FILES.html]);

/**
 * Every file the statement signs must, where it lies beside the envelope, hash to its signed digest; a file of a run
 * folder that lies beside but is not signed is named (an envelope from before companions were signed, or a file
 * slipped in).
 */
function checkCompanions(signed: readonly Subject[], beside: ReadonlyMap<string, Buffer> | undefined, checks: Checklist): void {
  if (!beside) {
    checks.set('companions', 'ok', `${signed.length} files signed with the report (${signed.map((s) => s.name).join(', ') || 'none'}); none read beside the envelope`);
    return;
  }
  const problems: string[] = [];
  const checked: string[] = [];
  const absent: string[] = [];
  for (const s of signed) {
    const bytes = beside.get(s.name);
    if (!bytes) {
      absent.push(s.name);
      continue;
    }
    const digest = sha256Hex(bytes);
    if (digest !== s.sha256) problems.push(`${s.name} hashes to sha256 ${digest}, but the signed statement names ${s.sha256}: it was changed after signing`);
    else checked.push(s.name);
  }
  if (problems.length > 0) {
    checks.set('companions', 'fail', listMessage(problems), problems);
    return;
  }
  const unsigned = [...beside.keys()].filter((name) => !signed.some((s) => s.name === name));
  const parts = [`${checked.length > 0 ? checked.join(', ') : 'no file'} hash to their signed digests`];
  if (absent.length > 0) parts.push(`signed but not present: ${absent.join(', ')}`);
  if (unsigned.length > 0) {
    checks.set('companions', 'warn', `${unsigned.join(', ')} ${unsigned.length === 1 ? 'lies' : 'lie'} beside the report but ${unsigned.length === 1 ? 'is' : 'are'} not signed: do not trust ${unsigned.length === 1 ? 'it' : 'them'}; ${parts.join('; ')}`);
    return;
  }
  checks.set('companions', 'ok', parts.join('; '));
}

function checkSignature(
  env: Envelope,
  payload: Buffer,
  keys: readonly TrustedKey[],
): { ok: true; message: string; key: TrustedKey } | { ok: false; message: string } {
  if (env.signatures.length === 0) return { ok: false, message: 'the envelope holds no signature' };
  if (keys.length === 0) {
    return { ok: false, message: 'no trusted public key: pass --key PUB (the signer\'s .pub file)' };
  }
  const message = pae(env.payloadType, payload);
  const notes: string[] = [];
  for (const s of env.signatures) {
    const sig = decodeBase64(s.sig);
    if (!sig) {
      notes.push('a signature is not valid base64');
      continue;
    }
    const keyid = s.keyid ?? '';
    for (const k of keys) {
      if (!verifyBytes(message, k.key, sig)) continue;
      // keyid is only a hint, but a hint that names another key means the envelope was edited
      if (keyid !== '' && keyid !== k.fingerprint) {
        notes.push(`a signature verifies with ${k.source} but its keyid ${keyid} names another key`);
        continue;
      }
      const alg = keyAlgorithm(k.key, k.source) === 'ed25519' ? 'Ed25519' : 'ECDSA P-256';
      const whose = k.localDefault ? 'your local default key' : k.vendor ? `${k.vendor}'s key` : 'trusted key';
      return { ok: true, message: `valid ${alg} signature by ${whose} ${k.fingerprint} (${k.source})`, key: k };
    }
    const trusted = keys.find((k) => k.fingerprint === keyid);
    notes.push(
      trusted
        ? `the signature by ${trusted.source} does not verify: the payload or payloadType changed after signing`
        : `signed by key ${keyid || '(no keyid)'}, which is not a trusted key (${keys.map((k) => k.source).join(', ')})`,
    );
  }
  return { ok: false, message: notes.join('; ') };
}

/**
 * A merged report (`accelcert merge`) carries its shards' envelopes: each must be signed by a trusted key, and the
 * shards must be 1..N exactly once, of the merged run (same profile, selection but the shard, seed, device), and hold
 * exactly the merged results, byte for byte in canonical JSON. Then the merged results are the shards' own, and none
 * was added, dropped or edited by the merge.
 */
function checkShards(report: Report, keys: readonly TrustedKey[], checks: Checklist): void {
  if (!report.shards) {
    checks.set('shards', 'ok', 'not a merged report: it carries no shards');
    return;
  }
  const problems = shardProblems(report, report.shards, keys);
  if (problems.length > 0) checks.set('shards', 'fail', listMessage(problems), problems.slice(0, MAX_DETAILS));
  else checks.set('shards', 'ok', `${report.shards.length} shards, each signed by a trusted key, hold exactly the ${report.results.length} merged results`);
}

function shardProblems(report: Report, shards: NonNullable<Report['shards']>, keys: readonly TrustedKey[]): string[] {
  const problems: string[] = [];
  const count = shards[0]?.count ?? 0;
  const merged = new Map(report.results.map((r) => [r.id, canonicalize(r)]));
  const split = report.results.some((r) => r.device !== undefined);
  const seen = new Set<string>();
  const sameRun = (r: Report): string | null => {
    const what = (x: Report): unknown => [x.profile.name, x.harness.version, x.suites, { ...x.selection, shard: null, cases: 0 }, x.target.fingerprint.vendor, x.target.fingerprint.model, x.target.fingerprint.framework, x.challenge];
    return canonicalize(what(r)) === canonicalize(what(report)) ? null : 'is not a shard of the merged run (profile, accelcert, suites, selection, seed or device differ)';
  };
  shards.forEach((s, i) => {
    const name = `shard ${s.index}/${s.count}`;
    if (s.count !== count || s.index !== i + 1) problems.push(`${name} is listed at position ${i + 1} of shards of ${count}: the shards must be 1..${count}, each once, in order`);
    const checked = authenticReport({ envelope: s.envelope, reportBytes: null }, keys);
    if ('problem' in checked) {
      problems.push(`${name}'s envelope does not verify: ${checked.problem}`);
      return;
    }
    const shard = checked.report;
    if (shard.selection.shard?.index !== s.index || shard.selection.shard.count !== s.count) problems.push(`${name}'s signed report is shard ${shard.selection.shard ? `${shard.selection.shard.index}/${shard.selection.shard.count}` : '(none)'}`);
    const differs = sameRun(shard);
    if (differs) problems.push(`${name} ${differs}`);
    for (const r of shard.results) {
      if (seen.has(r.id)) problems.push(`${r.id} is in more than one shard`);
      seen.add(r.id);
      const m = merged.get(r.id);
      if (m === undefined) problems.push(`${r.id} of ${name} is missing from the merged results`);
      // a split run's merged results name the device of their shard, which the shard's signed target says
      else if (m !== canonicalize(split ? { ...r, device: shard.target.device } : r)) problems.push(`${r.id} differs from its result in ${name}`);
    }
  });
  if (shards.length !== count) problems.push(`the report carries ${shards.length} shards of ${count}`);
  for (const id of merged.keys()) if (!seen.has(id)) problems.push(`${id} is in the merged results but in no shard`);
  return problems;
}

function checkSuites(report: Report, catalog: ShippedCatalog, checks: Checklist): void {
  const problems: string[] = [];
  const graph = graphFileProblem(report, catalog);
  if (graph) problems.push(graph);
  for (const s of report.suites) {
    const shipped = catalog.suites.find((x) => x.name === s.name);
    if (!shipped) {
      problems.push(`suite ${s.name} is not shipped by accelcert ${catalog.harnessVersion}`);
      continue;
    }
    if (s.digest !== shipped.digest) {
      problems.push(`suite ${s.name} digest ${s.digest} differs from the shipped ${shipped.name}@${shipped.version} digest ${shipped.digest}`);
    } else if (s.version !== shipped.version || s.cases !== shipped.cases.length) {
      problems.push(`suite ${s.name} is recorded as version ${s.version} with ${s.cases} cases; shipped: version ${shipped.version} with ${shipped.cases.length}`);
    }
  }
  const listed = new Set(report.suites.map((s) => s.name));
  const used = new Set(report.results.map((r) => r.id.split('/')[0] ?? ''));
  for (const name of used) if (!listed.has(name)) problems.push(`results of suite ${name}, which the report does not list`);
  if (problems.length > 0) {
    checks.set('suites', 'fail', problems[0] + (problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''), problems);
  } else {
    const names = report.suites.map((s) => `${s.name}@${s.version}`).join(', ');
    const beside = report.graph ? ` (graph: the cases of ${GRAPH_FILE_IN_RUN}, whose sha256 the report records)` : '';
    checks.set('suites', 'ok', `${names}: digests equal those shipped with accelcert ${catalog.harnessVersion}${beside}`);
  }
}

/**
 * A `run --graph` report is checked against the graph file copied beside it, which must be the one whose sha256 the
 * report records; a report that lists the graph suite without recording a graph file claims cases nobody can check.
 */
function graphFileProblem(report: Report, catalog: ShippedCatalog): string | null {
  const recorded = report.graph;
  const beside = catalog.graph ?? null;
  if (!recorded) return report.suites.some((s) => s.name === GRAPH_FILE_SUITE) ? `the report lists suite ${GRAPH_FILE_SUITE} but records no graph file` : null;
  if (!beside) return `the report records graph file ${recorded.file} (sha256 ${recorded.sha256}), but no ${GRAPH_FILE_IN_RUN} lies beside it`;
  if (beside.sha256 !== recorded.sha256) return `${beside.file} hashes to sha256 ${beside.sha256}, but the report records graph file ${recorded.file} with sha256 ${recorded.sha256}`;
  if (beside.problem) return `${beside.file} is not a valid graph file: ${beside.problem}`;
  return null;
}

function checkCompleteness(report: Report, catalog: ShippedCatalog, checks: Checklist): readonly string[] | undefined {
  const requiredIds = catalog.requiredIds(report.profile.name, report.selection.benchScale ?? null);
  if (!requiredIds) {
    checks.set('completeness', 'fail', `profile ${report.profile.name} is not shipped by accelcert ${catalog.harnessVersion}`);
    return undefined;
  }
  const shipped = shippedCaseIndex(catalog);
  const counts = new Map<string, number>();
  const problems: string[] = [];
  for (const r of report.results) {
    counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    const c = shipped.get(r.id);
    if (!c) problems.push(`${r.id} is not a case of the shipped suites`);
    else if (c.kind !== r.kind || c.subject !== r.subject || c.family !== r.family || c.dtype !== r.dtype) {
      const recorded = `${r.kind} ${r.family}/${r.subject}/${r.dtype}`;
      problems.push(`${r.id} is recorded as ${recorded}; the shipped case is ${c.kind} ${c.family}/${c.subject}/${c.dtype}`);
    }
  }
  const duplicated = [...counts.entries()].filter(([, n]) => n > 1);
  for (const [id, n] of duplicated) problems.unshift(`${id} appears ${n} times`);
  const missing = requiredIds.filter((id) => !counts.has(id));
  if (report.profile.requiredCases !== requiredIds.length) {
    problems.unshift(`the report says profile ${report.profile.name} requires ${report.profile.requiredCases} cases; it requires ${requiredIds.length}`);
  }
  if (problems.length > 0) {
    checks.set('completeness', 'fail', listMessage(problems), problems.slice(0, MAX_DETAILS));
  } else if (missing.length > 0) {
    // an honest narrowed or interrupted run: its verdict (recomputed below) cannot be CERTIFIED, which is what counts
    checks.set(
      'completeness',
      'warn',
      `${missing.length} of ${requiredIds.length} required cases of profile ${report.profile.name} were not run, so the verdict cannot be CERTIFIED: ${firstFew(missing)}`,
      missing.slice(0, MAX_DETAILS).map((id) => `missing: ${id}`),
    );
  } else {
    checks.set('completeness', 'ok', `all ${requiredIds.length} required cases of profile ${report.profile.name} present exactly once`);
  }
  return requiredIds;
}

const indexCache = new WeakMap<ShippedCatalog, Map<string, ShippedCase>>();
function shippedCaseIndex(catalog: ShippedCatalog): Map<string, ShippedCase> {
  let index = indexCache.get(catalog);
  if (!index) {
    index = new Map();
    for (const s of catalog.suites) for (const c of s.cases) index.set(c.id, c);
    indexCache.set(catalog, index);
  }
  return index;
}

/**
 * Every recorded input digest equals the digest of the inputs its shipped case generates with the report's seed, so
 * a report cannot claim a reviewer's seed (or none) while its cases ran on other inputs. A judged result without a
 * digest fails when the report names a seed; without a seed it is a warning (a report from before digests).
 */
function checkInputs(report: Report, catalog: ShippedCatalog, checks: Checklist): void {
  const seed = report.selection.seed ?? null;
  const withSeed = seed === null ? 'without a seed' : `with seed ${JSON.stringify(seed)}`;
  const shipped = shippedCaseIndex(catalog);
  const problems: string[] = [];
  const missing: string[] = [];
  let checked = 0;
  let recorded = 0;
  for (const r of report.results) {
    if (r.inputDigest == null) {
      if (r.status === 'pass' || r.status === 'fail' || r.status === 'waived') missing.push(r.id);
      continue;
    }
    recorded += 1;
    const c = shipped.get(r.id);
    if (!c || !catalog.inputDigest) continue; // an unknown case fails completeness
    let derived: string;
    try {
      derived = catalog.inputDigest(c, seed);
    } catch (err) {
      problems.push(`${r.id}: accelcert cannot generate the inputs of this case: ${firstLine(err)}`);
      continue;
    }
    checked += 1;
    if (derived !== r.inputDigest) problems.push(`${r.id}: inputDigest ${r.inputDigest}, but its inputs ${withSeed} hash to ${derived}`);
  }
  if (problems.length > 0) {
    checks.set(
      'inputs',
      'fail',
      `${problems.length} results record inputs other than their cases generate ${withSeed}; first: ${problems[0]}`,
      problems.slice(0, MAX_DETAILS),
    );
  } else if (missing.length > 0 && seed !== null) {
    checks.set('inputs', 'fail', `the report names seed ${JSON.stringify(seed)}, but ${missing.length} judged results record no inputDigest: ${firstFew(missing)}`, missing.slice(0, MAX_DETAILS));
  } else if (missing.length > 0) {
    checks.set('inputs', 'warn', `${missing.length} judged results record no inputDigest (written by an accelcert that did not record them); their inputs are not checked`, missing.slice(0, MAX_DETAILS));
  } else if (recorded > checked) {
    checks.set('inputs', 'warn', `${recorded} input digests recorded, but this catalog cannot generate inputs to check them`);
  } else {
    checks.set('inputs', 'ok', `${checked} input digests equal sha256 of the inputs their cases generate ${withSeed}`);
  }
}

function checkStatuses(report: Report, catalog: ShippedCatalog, checks: Checklist): void {
  const shipped = shippedCaseIndex(catalog);
  const problems: string[] = [];
  let checked = 0;
  for (const r of report.results) {
    if (r.status !== 'pass' && r.status !== 'fail' && r.status !== 'waived') continue;
    checked += 1;
    const problem = statusProblem(r, shipped.get(r.id), catalog);
    if (problem) problems.push(`${r.id}: ${problem}`);
  }
  if (problems.length > 0) {
    checks.set('statuses', 'fail', `${problems.length} results disagree with their metrics or acceptance rules; first: ${problems[0]}`, problems.slice(0, MAX_DETAILS));
  } else {
    checks.set('statuses', 'ok', `${checked} pass/fail/waived statuses agree with their recorded metrics and the shipped acceptance rules`);
  }
}

function statusProblem(r: CaseResult, c: ShippedCase | undefined, catalog: ShippedCatalog): string | null {
  if (c) {
    const outputs = catalog.outputsProblem(c, r.outputs, r.bench);
    if (outputs) return outputs;
  }
  for (const o of r.outputs) {
    const p = metricsProblem(o);
    if (p) return `output ${o.index}: ${p}`;
  }
  // a draw from the device's generator must differ the second time (its rules were checked against the shipped ones)
  const draws = r.outputs.some((o) => isRandomRuleLabel(o.rule));
  if (r.status === 'pass' && !draws && r.repeatDigest && r.outputDigest && r.repeatDigest !== r.outputDigest) {
    return 'status pass, but its repeated run gave other bytes (repeatDigest differs from outputDigest)';
  }
  const derived = statusFromOutputs(r.outputs);
  if (r.status === 'waived') return derived === 'fail' ? null : 'status waived, but its metrics say pass (only a failure can be waived)';
  if (derived !== r.status) {
    const why = r.outputs.find(outputFailed);
    return `status ${r.status}, but its metrics say ${derived}${why ? ` (${describeOutput(why)})` : ''}`;
  }
  return null;
}

/**
 * The benchmarks section follows from the results: its scale is the run's, its peaks the built-in table's for the
 * device's product name (or, marked as a warning, the submitter's `--peak`), and every figure and percentage is what
 * the recorded samples give (their statistics were checked against the samples under statuses).
 */
function checkBenchmarks(report: Report, checks: Checklist): void {
  const b = report.benchmarks;
  const measured = report.results.filter((r) => r.kind === 'bench');
  if (!b) {
    if (measured.length > 0) checks.set('benchmarks', 'fail', `${measured.length} bench results but no benchmarks section`);
    else checks.set('benchmarks', 'ok', 'the run has no benchmark');
    return;
  }
  const scale = report.selection.benchScale ?? 'small';
  if (b.scale !== scale) {
    checks.set('benchmarks', 'fail', `the benchmarks section says scale ${b.scale}; the selection ran ${scale}`);
    return;
  }
  const table = tablePeak(report.target.fingerprint.model);
  if (b.peak.source !== 'user' && canonicalize(b.peak) !== canonicalize(table)) {
    checks.set('benchmarks', 'fail', `the peaks recorded (${canonicalize(b.peak)}) are not the built-in table's for ${report.target.fingerprint.model} (${canonicalize(table)})`);
    return;
  }
  const expected = benchmarksOf(report.results, b.peak, b.scale);
  const recorded = new Map(b.entries.map((e) => [e.id, canonicalize(e)]));
  const differ = (expected?.entries ?? []).filter((e) => recorded.get(e.id) !== canonicalize(e)).map((e) => e.id);
  const extra = b.entries.filter((e) => !(expected?.entries ?? []).some((x) => x.id === e.id)).map((e) => e.id);
  if (differ.length > 0 || extra.length > 0) {
    const details = [...differ.map((id) => `${id}: the figures do not follow from its samples and the peaks`), ...extra.map((id) => `${id}: an entry without a measured result`)];
    checks.set('benchmarks', 'fail', `${details.length} benchmark entries disagree with the results; first: ${details[0]}`, details.slice(0, MAX_DETAILS));
    return;
  }
  const peaks = b.peak.source === 'table' ? `the built-in peaks of ${b.peak.product}` : b.peak.source === 'user' ? 'peaks the submitter gave with --peak (not checked)' : 'no known peak';
  checks.set('benchmarks', b.peak.source === 'user' ? 'warn' : 'ok', `${b.entries.length} benchmark figures follow from their samples, against ${peaks}`);
}

function checkSummary(report: Report, checks: Checklist): void {
  const recomputed = summarize(report.results);
  const diffs = summaryDiffs(report.summary, recomputed);
  if (diffs.length > 0) checks.set('summary', 'fail', `the summary does not count the results: ${diffs[0]}`, diffs);
  else checks.set('summary', 'ok', `counts by status and op family match the ${recomputed.total} results`);
}

function summaryDiffs(claimed: Summary, actual: Summary): string[] {
  const diffs: string[] = [];
  if (claimed.total !== actual.total) diffs.push(`total ${claimed.total}, results ${actual.total}`);
  for (const [s, n] of Object.entries(actual.byStatus)) {
    const c = claimed.byStatus[s as keyof Summary['byStatus']];
    if (c !== n) diffs.push(`${s}: ${c}, results ${n}`);
  }
  for (const k of ['overloads', 'notApplicable', 'run', 'passed'] as const) {
    if (claimed.coverage[k] !== actual.coverage[k]) diffs.push(`core ATen coverage ${k}: ${claimed.coverage[k]}, results ${actual.coverage[k]}`);
  }
  const families = new Set([...Object.keys(claimed.byFamily), ...Object.keys(actual.byFamily)]);
  for (const f of families) {
    const a = actual.byFamily[f];
    const c = claimed.byFamily[f];
    if (!a || !c) {
      diffs.push(`family ${f} ${a ? 'missing from the summary' : 'has no results'}`);
      continue;
    }
    for (const [s, n] of Object.entries(a)) {
      const cn = c[s as keyof typeof c];
      if (cn !== n) diffs.push(`${f} ${s}: ${cn}, results ${n}`);
    }
  }
  return diffs;
}

function checkVerdict(report: Report, recomputed: Verdict, checks: Checklist): void {
  const claimed = report.verdict;
  if (claimed.status !== recomputed.status || claimed.profile !== recomputed.profile) {
    checks.set(
      'verdict',
      'fail',
      `the report claims ${claimed.status}, but its results give ${recomputed.status}: ${recomputed.reasons[0] ?? ''}`,
      recomputed.reasons,
    );
  } else if (canonicalize(claimed.reasons) !== canonicalize(recomputed.reasons)) {
    checks.set('verdict', 'fail', `the verdict ${claimed.status} is right but its reasons were edited`, recomputed.reasons);
  } else {
    checks.set('verdict', 'ok', `${recomputed.status}, recomputed from the results, equals the claimed verdict`, recomputed.reasons);
  }
}

/** A keyring binds a key to the devices its vendor may certify; a plain key may sign any device (and says so). */
function checkAuthority(report: Report, signer: TrustedKey | null, checks: Checklist): void {
  if (!signer) {
    checks.set('authority', 'warn', 'no signer: the report is unsigned');
    return;
  }
  const device = deviceKey(report.target.fingerprint);
  if (!signer.devices) {
    const how = signer.localDefault ? 'your local default key' : `key ${signer.source}`;
    checks.set('authority', 'ok', `${how} is not bound to devices, so it may sign any device, ${device} included (a keyring binds a vendor's key to its devices)`);
    return;
  }
  const glob = signer.devices.find((g) => compileExactGlob(g)(device));
  if (glob) checks.set('authority', 'ok', `${signer.vendor ?? 'the'} key ${signer.source} may sign ${glob}, which names this device ${device}`);
  else checks.set('authority', 'fail', `the report is signed by ${signer.vendor ?? 'a'} key (${signer.source}) that may sign only ${signer.devices.join(', ')}, not this device ${device}`);
}

/**
 * The challenge the reviewer issued must be the one the report carries, byte for byte; its seed is then the run's (see
 * report-consistency.ts), and the inputs check re-derives every input from it.
 */
function checkChallenge(report: Report, given: { envelope: ReportEnvelope; challenge: Challenge } | null, checks: Checklist): void {
  const carried = report.challenge;
  if (!given) {
    checks.set('challenge', 'ok', carried ? 'the run answers a challenge that you did not give (--challenge FILE checks it is yours)' : 'no challenge (--challenge FILE requires one)');
    return;
  }
  if (!carried) {
    checks.set('challenge', 'fail', `the report answers no challenge, but you issued one (seed ${given.challenge.seed}): its inputs may have been chosen by the submitter`);
    return;
  }
  if (canonicalize(carried) !== canonicalize(given.envelope)) {
    checks.set('challenge', 'fail', 'the report answers another challenge than the one you issued');
    return;
  }
  checks.set('challenge', 'ok', `the run answers your challenge (seed ${given.challenge.seed}, issued ${given.challenge.issuedAt}); its inputs derive from that seed`);
}

/** What the reviewer asked of the report (`--expect-profile`, `--expect-device`, `--require-certified`). */
function checkExpectations(report: Report, reviewer: Verdict | null, expect: Expectations, checks: Checklist): void {
  const problems: string[] = [];
  const met: string[] = [];
  if (expect.profile !== undefined) {
    if (report.profile.name !== expect.profile) problems.push(`the report certifies profile ${report.profile.name}, not ${expect.profile}`);
    else met.push(`profile ${expect.profile}`);
  }
  if (expect.device !== undefined) {
    const device = deviceKey(report.target.fingerprint);
    if (!compileExactGlob(expect.device)(device)) problems.push(`the report's device ${device} does not match ${expect.device}`);
    else met.push(`device ${device} matches ${expect.device}`);
  }
  if (expect.certified) {
    if (reviewer?.status !== 'CERTIFIED') problems.push(`the verdict is ${reviewer?.status ?? 'unknown'}, and you require CERTIFIED`);
    else met.push('CERTIFIED');
  }
  if (problems.length > 0) checks.set('expectations', 'fail', listMessage(problems), problems);
  else checks.set('expectations', 'ok', met.length > 0 ? `met: ${met.join('; ')}` : 'none given (--expect-profile, --expect-device, --require-certified)');
}

function checkWaivers(report: Report, trust: readonly WaiverTrust[], checks: Checklist): void {
  const device = deviceKey(report.target.fingerprint);
  const byId = new Map(report.waivers.map((w) => [w.id, w]));
  const problems: string[] = [];
  const named = new Map<string, string[]>();
  for (const r of report.results) {
    if (r.status !== 'waived') {
      if (r.waiver) problems.push(`${r.id} names waiver ${r.waiver} but its status is ${r.status}`);
      continue;
    }
    const w = r.waiver ? byId.get(r.waiver) : undefined;
    if (!w) {
      problems.push(`${r.id} is waived by ${r.waiver ? `waiver ${r.waiver}, which the report does not list` : 'no named waiver'}`);
      continue;
    }
    if (!compileExactGlob(w.cases)(r.id)) problems.push(`${r.id} is waived by ${w.id}, whose cases glob ${w.cases} does not match it`);
    if (!compileExactGlob(w.devices)(device)) problems.push(`${r.id} is waived by ${w.id}, whose devices glob ${w.devices} does not match ${device}`);
    const list = named.get(w.id);
    if (list) list.push(r.id);
    else named.set(w.id, [r.id]);
  }
  for (const w of report.waivers) {
    const got = named.get(w.id) ?? [];
    if (canonicalize([...got].sort()) !== canonicalize([...w.matched].sort())) {
      problems.push(`waiver ${w.id} lists ${w.matched.length} matched cases, but ${got.length} results are waived by it`);
    }
  }
  const waivedCount = [...named.values()].reduce((n, l) => n + l.length, 0);
  const trustOf = new Map(trust.map((t) => [t.id, t]));
  const listing = report.waivers.map((w) => {
    const t = trustOf.get(w.id);
    const honoured = t ? (t.trusted ? `honoured: ${t.why}` : `NOT honoured: ${t.why}`) : '';
    return `${w.id}: ${w.matched.length === 0 ? 'matched nothing' : `${w.matched.length} cases`} — cases ${w.cases}, devices ${w.devices}; ${w.reason} (${w.url}); ${honoured}`;
  });
  const waivedLines = report.results.filter((r) => r.status === 'waived').map((r) => `waived: ${r.id} (${r.waiver ?? '?'})`);
  if (problems.length > 0) {
    checks.set('waivers', 'fail', listMessage(problems), [...problems.slice(0, MAX_DETAILS), ...listing]);
    return;
  }
  // a waiver the reviewer does not honour leaves its cases failed in the reviewer's verdict: said here, counted there
  const refused = report.waivers.filter((w) => w.matched.length > 0 && trustOf.get(w.id)?.trusted !== true);
  if (refused.length > 0) {
    const first = refused[0] as ListedWaiver;
    const cases = refused.reduce((n, w) => n + w.matched.length, 0);
    const more = refused.length > 1 ? ` (and ${refused.length - 1} more waivers)` : '';
    checks.set('waivers', 'warn', `${cases} waived cases count as fail: waiver ${first.id} is not honoured, ${trustOf.get(first.id)?.why ?? 'untrusted'}${more}`, [...listing, ...waivedLines]);
    return;
  }
  const unused = report.waivers.filter((w) => w.matched.length === 0).map((w) => w.id);
  const message =
    report.waivers.length === 0
      ? 'no waivers'
      : `${report.waivers.length} waivers listed, ${waivedCount} cases waived, every one by a waiver authority you trust` + (unused.length > 0 ? `; matched nothing: ${unused.join(', ')}` : '');
  checks.set('waivers', unused.length > 0 ? 'warn' : 'ok', message, [...listing, ...waivedLines]);
}
