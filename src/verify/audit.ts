import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { deviceName, FingerprintSchema, type Fingerprint } from '../device/device.js';
import type { Driver, OpenOptions } from '../drivers/types.js';
import { UserError } from '../errors.js';
import { isRandomRuleLabel } from '../judge/distribution.js';
import { StatusSchema, type Status } from '../judge/result.js';
import type { Report } from '../report/schema.js';
import { RUN_LOG_FILE } from '../runner/log.js';
import type { OracleCacheConfig } from '../runner/oracle-cache.js';
import type { CaseResult } from '../runner/result.js';
import { runCases, type RunOutput } from '../runner/run.js';
import type { Suite } from '../suite/suite.js';
import { userSeedProblem } from '../tensor/prng.js';
import type { Case } from '../workload/case.js';
import { WorkloadKindSchema } from '../workload/kind.js';

/*
 * `accelcert audit`: rerun a random sample of a report's cases on the reviewer's own device and compare the output
 * digests bit for bit. `verify` re-derives everything a report claims from the report's own numbers, so a consistent
 * fabrication passes it; only a rerun ties those numbers to hardware. On the same device and software stack a
 * deterministic op gives the same bits every time, so a digest that differs says that the report's outputs came from
 * another device or stack, or were never computed at all.
 */

export const DEFAULT_AUDIT_SAMPLE = 50;

/** What the rerun of one sampled case showed. */
export const AUDIT_FINDINGS = ['match', 'mismatch', 'inputs-differ', 'not-rerun'] as const;
export type AuditFinding = (typeof AUDIT_FINDINGS)[number];

export const AuditedCaseSchema = z.object({
  id: z.string(),
  kind: WorkloadKindSchema,
  subject: z.string(),
  /**
   * match: the same output bits; mismatch: other output bits from the same inputs; inputs-differ: this accelcert
   * generates other inputs for the case and seed than the report records, so its outputs cannot be compared (counted
   * as differing); not-rerun: the rerun returned no outputs (crash, timeout, error, unsupported) or never ran
   */
  finding: z.enum(AUDIT_FINDINGS),
  report: z.object({ status: StatusSchema, outputDigest: z.string(), inputDigest: z.string().nullable() }),
  /** null when the case never ran here (the audit was interrupted or the device was lost first) */
  rerun: z.object({ status: StatusSchema, message: z.string().nullable(), outputDigest: z.string().nullable(), inputDigest: z.string().nullable() }).nullable(),
});
export type AuditedCase = z.infer<typeof AuditedCaseSchema>;

/** `accelcert audit --json`: what was audited against what, each sampled case, and the counts. */
export const AuditOutcomeSchema = z.object({
  report: z.object({
    path: z.string(),
    accelcert: z.string(),
    driver: z.string(),
    device: z.string(),
    fingerprint: FingerprintSchema,
    profile: z.string(),
    /** the report's `selection.seed`, which the reruns use so that their inputs are the report's */
    seed: z.string().nullable(),
  }),
  device: z.object({ driver: z.string(), device: z.string(), fingerprint: FingerprintSchema }),
  /** vendor, model and framework of both fingerprints are equal: only then are equal bits expected */
  sameStack: z.boolean(),
  sample: z.object({
    requested: z.number().int().positive(),
    /** the report's results an audit can compare (see auditCandidates) */
    candidates: z.number().int().nonnegative(),
    sampled: z.number().int().nonnegative(),
    /** `--sample-seed`, given or drawn: the same seed over the same report samples the same cases */
    seed: z.string(),
  }),
  cases: z.array(AuditedCaseSchema),
  counts: z.object({
    match: z.number().int().nonnegative(),
    mismatch: z.number().int().nonnegative(),
    inputsDiffer: z.number().int().nonnegative(),
    notRerun: z.number().int().nonnegative(),
  }),
  /** why the runner gave up on the device (the cases left were not rerun), or null */
  deviceLost: z.string().nullable(),
  interrupted: z.boolean(),
  /** the reruns' run.log, kept when a case could not be rerun (what the worker printed says why); else null */
  log: z.string().nullable(),
  /** every sampled case was rerun and gave the report's bits */
  passed: z.boolean(),
});
export type AuditOutcome = z.infer<typeof AuditOutcomeSchema>;

/** A result with output bits to compare. */
export type Sampleable = CaseResult & { outputDigest: string };

/** Statuses whose outputs the device returned and the judge measured: the only results with bits to compare. */
const COMPARABLE: ReadonlySet<Status> = new Set(['pass', 'fail', 'waived']);

/**
 * Whether a result's bits must come out the same on a rerun: an op or graph case whose outputs were returned, whose
 * op is not documented nondeterministic (repeatDigest null), that gave the same bits twice on the submitter's own
 * device, and none of whose outputs is random (a random op's draws differ by right). Benchmarks have no outputs.
 */
export function isAuditable(r: CaseResult): r is Sampleable {
  if (r.kind === 'bench' || !COMPARABLE.has(r.status)) return false;
  if (r.outputDigest === null || r.repeatDigest == null || r.repeatDigest !== r.outputDigest) return false;
  return !r.outputs.some((o) => isRandomRuleLabel(o.rule));
}

/** The results an audit may sample, once per id (a report that lists a case twice is verify's to reject). */
export function auditCandidates(report: Report): Sampleable[] {
  const byId = new Map<string, Sampleable>();
  for (const r of report.results) if (isAuditable(r) && !byId.has(r.id)) byId.set(r.id, r);
  return [...byId.values()];
}

/** `--sample`: a positive whole number; anything else names the flag (exit 2). */
export function parseSampleSize(text: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UserError(`--sample "${text}" must be a positive whole number`);
  return n;
}

/** `--sample-seed`, checked as `--seed` is; without one a fresh seed, printed so that the audit can be repeated. */
export function sampleSeedOf(text: string | undefined): string {
  if (text === undefined) return randomBytes(8).toString('hex');
  const problem = userSeedProblem(text);
  if (problem !== null) throw new UserError(`--sample-seed ${JSON.stringify(text)} ${problem}`);
  return text;
}

/**
 * N results drawn uniformly at random without replacement, reproducibly: each id is ranked by sha256 of
 * `seed:id` and the N lowest are taken. The rank depends on the id alone, not on the report's order or size, so the
 * same seed picks the same cases in any copy of the report; the sample keeps the report's order.
 */
export function sampleResults<T extends { id: string }>(candidates: readonly T[], n: number, seed: string): T[] {
  const rank = (id: string): string => createHash('sha256').update(`${seed}:${id}`, 'utf8').digest('hex');
  const ranked = candidates.map((c, i) => ({ key: rank(c.id), i }));
  ranked.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  const taken = new Set(ranked.slice(0, n).map((r) => r.i));
  return candidates.filter((_, i) => taken.has(i));
}

/**
 * The shipped case of every result, by id. A result this accelcert does not ship cannot be rerun, and a sample that
 * skipped it would depend on the draw: the whole audit is refused, naming it (exit 2), whatever the sample.
 */
export function casesOf(results: readonly CaseResult[], suites: readonly Suite[], reportVersion: string): Map<string, Case> {
  const shipped = new Map(suites.flatMap((s) => s.cases.map((c) => [c.id, c] as const)));
  const unknown = results.filter((r) => !shipped.has(r.id));
  const first = unknown[0];
  if (first !== undefined) {
    const more = unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : '';
    throw new UserError(`the report's case ${first.id}${more} is not a case this accelcert ships, so it cannot be rerun (the report was written by accelcert ${reportVersion})`);
  }
  return new Map(results.map((r) => [r.id, shipped.get(r.id) as Case]));
}

/** Whether two fingerprints name the same hardware and framework: the condition for expecting equal bits. */
export function sameStack(a: Fingerprint, b: Fingerprint): boolean {
  const framework = (f: Fingerprint): string => (f.framework ? `${f.framework.name} ${f.framework.version}` : '');
  return a.vendor === b.vendor && a.model === b.model && framework(a) === framework(b);
}

/** A device for people: its name and framework, e.g. "AMD EPYC 7763, torch 1.13.1". */
export function stackName(fp: Fingerprint): string {
  return fp.framework ? `${deviceName(fp)}, ${fp.framework.name} ${fp.framework.version}` : deviceName(fp);
}

/** What the rerun of one recorded result shows. Differing inputs come first: they make the outputs incomparable. */
export function findingOf(recorded: Sampleable, rerun: CaseResult | undefined): AuditFinding {
  if (rerun === undefined || rerun.outputDigest === null) return 'not-rerun';
  const inputs = [recorded.inputDigest, rerun.inputDigest];
  if (inputs.every((d) => typeof d === 'string') && inputs[0] !== inputs[1]) return 'inputs-differ';
  return rerun.outputDigest === recorded.outputDigest ? 'match' : 'mismatch';
}

export function auditedCase(recorded: Sampleable, rerun: CaseResult | undefined): AuditedCase {
  return {
    id: recorded.id,
    kind: recorded.kind,
    subject: recorded.subject,
    finding: findingOf(recorded, rerun),
    report: { status: recorded.status, outputDigest: recorded.outputDigest, inputDigest: recorded.inputDigest ?? null },
    rerun: rerun ? { status: rerun.status, message: rerun.message, outputDigest: rerun.outputDigest, inputDigest: rerun.inputDigest ?? null } : null,
  };
}

/** The sampled results, their shipped cases, and how many results the sample was drawn from. */
export interface AuditPlan {
  candidates: number;
  sampled: Sampleable[];
  cases: Case[];
}

/**
 * The sample, checked against what this accelcert ships: everything the user can get wrong is found here, before any
 * device starts.
 */
export function planAudit(report: Report, suites: readonly Suite[], sample: number, sampleSeed: string): AuditPlan {
  const candidates = auditCandidates(report);
  if (candidates.length === 0) {
    throw new UserError('the report has no result an audit can rerun (an op or model case that passed, failed or was waived, with deterministic outputs)');
  }
  const byId = casesOf(candidates, suites, report.harness.version);
  const sampled = sampleResults(candidates, sample, sampleSeed);
  return { candidates: candidates.length, sampled, cases: sampled.map((r) => byId.get(r.id) as Case) };
}

export interface AuditSpec {
  report: Report;
  /** the report as the user named it, for the output */
  reportPath: string;
  plan: AuditPlan;
  /** `--sample` and `--sample-seed`, for the output */
  sample: number;
  sampleSeed: string;
  driver: Driver;
  /** the driver as given to --driver, for the output */
  driverName: string;
  device: string | undefined;
  openOptions: OpenOptions;
  timeoutMs: number;
  cache: OracleCacheConfig | null;
}

/** The sampled cases run as `accelcert run` runs them, into the scratch folder (journal and log). */
function rerun(spec: AuditSpec, cases: readonly Case[], seed: string | null, scratch: string): Promise<RunOutput> {
  return runCases({
    driver: spec.driver,
    device: spec.device,
    openOptions: spec.openOptions,
    cases,
    outDir: scratch,
    timeoutMs: spec.timeoutMs,
    depth: 4,
    seed,
    cache: spec.cache,
    maxConsecutiveCrashes: 10,
    // a spare worker makes a crash cost milliseconds over thousands of cases; an audit reruns tens, where a crash is
    // a finding to report, and a spare would only double the framework's start-up (and a GPU context) every time
    spareWorker: false,
  });
}

/**
 * Reruns the sample with the runner `accelcert run` uses (pipelining, crash isolation, the judge), with the report's
 * seed so that the inputs are the report's. The runner writes a journal and a log; they go into a scratch folder,
 * which is removed unless a case could not be rerun, when its log is what says why.
 */
export async function auditReport(spec: AuditSpec): Promise<AuditOutcome> {
  const { candidates, sampled, cases } = spec.plan;
  const seed = spec.report.selection.seed ?? null;
  const scratch = mkdtempSync(join(tmpdir(), 'accelcert-audit-'));
  let out: RunOutput;
  try {
    out = await rerun(spec, cases, seed, scratch);
  } catch (err) {
    // a device that cannot be opened leaves nothing worth keeping
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  const reruns = new Map(out.results.map((r) => [r.id, r]));
  const audited = sampled.map((r) => auditedCase(r, reruns.get(r.id)));
  const counts = countFindings(audited);
  const keepLog = counts.notRerun > 0;
  if (!keepLog) rmSync(scratch, { recursive: true, force: true });
  const { target } = spec.report;
  return {
    report: { path: spec.reportPath, accelcert: spec.report.harness.version, driver: target.driver, device: target.device, fingerprint: target.fingerprint, profile: spec.report.profile.name, seed },
    device: { driver: spec.driverName, device: out.device.device, fingerprint: out.device.fingerprint },
    sameStack: sameStack(target.fingerprint, out.device.fingerprint),
    sample: { requested: spec.sample, candidates, sampled: sampled.length, seed: spec.sampleSeed },
    cases: audited,
    counts,
    deviceLost: out.deviceLost,
    interrupted: out.interrupted,
    log: keepLog ? join(scratch, RUN_LOG_FILE) : null,
    passed: counts.match === audited.length && !out.interrupted && out.deviceLost === null,
  };
}

function countFindings(audited: readonly AuditedCase[]): AuditOutcome['counts'] {
  const n = (f: AuditFinding): number => audited.filter((a) => a.finding === f).length;
  return { match: n('match'), mismatch: n('mismatch'), inputsDiffer: n('inputs-differ'), notRerun: n('not-rerun') };
}

/** Exit code: 0 every sampled case matches; 1 a case differs or could not be rerun; 3 the device was lost; 130 interrupted. */
export function auditExitCode(o: AuditOutcome): number {
  if (o.interrupted) return 130;
  if (o.deviceLost !== null) return 3;
  return o.passed ? 0 : 1;
}

/** Why a case was not rerun, as counts per status: "1 crash, 2 timeout". */
function notRerunCounts(audited: readonly AuditedCase[]): string {
  const counts = new Map<string, number>();
  for (const a of audited) if (a.finding === 'not-rerun') counts.set(a.rerun?.status ?? 'not run', (counts.get(a.rerun?.status ?? 'not run') ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
}

/** One line per case that did not match. */
function findingLine(a: AuditedCase, seed: string | null): string | null {
  const status = a.rerun ? `the rerun's status: ${a.rerun.status}` : 'never ran';
  if (a.finding === 'mismatch') return `MISMATCH ${a.id}: report outputDigest ${a.report.outputDigest}, this device ${a.rerun?.outputDigest ?? 'none'} (${status})`;
  if (a.finding === 'inputs-differ') {
    const seeded = seed === null ? 'without a seed' : `with seed ${seed}`;
    return `INPUTS DIFFER ${a.id}: report inputDigest ${a.report.inputDigest ?? 'none'}, this accelcert ${a.rerun?.inputDigest ?? 'none'} ${seeded}, so its outputs cannot be compared (${status})`;
  }
  if (a.finding === 'not-rerun') return `NOT RERUN ${a.id}: ${a.rerun ? `${a.rerun.status}${a.rerun.message ? `: ${a.rerun.message}` : ''}` : 'the audit stopped before it ran'}`;
  return null;
}

/** The closing line: PASSED only when every sampled case was rerun and matched. */
function closingLine(o: AuditOutcome): string {
  const n = o.cases.length;
  const differ = o.counts.mismatch + o.counts.inputsDiffer;
  if (o.passed) return `AUDIT PASSED: ${n} of ${n} sampled cases match bit for bit`;
  const inputs = o.counts.inputsDiffer > 0 ? ` (${o.counts.inputsDiffer} of them on other inputs)` : '';
  const notRerun = o.counts.notRerun > 0 ? `; ${o.counts.notRerun} could not be rerun on this device (${notRerunCounts(o.cases)})` : '';
  return `AUDIT FAILED: ${differ} of ${n} sampled cases differ${inputs}${notRerun}`;
}

/** The audit for people: what was audited against what, a line per case that did not match, the closing line. */
export function renderAudit(o: AuditOutcome): string[] {
  const seed = o.report.seed ?? 'none';
  const lines = [
    `audit of ${o.report.path} (written by accelcert ${o.report.accelcert})`,
    `  report:      profile ${o.report.profile}, seed ${seed}; ${o.report.driver} ${o.report.device}: ${stackName(o.report.fingerprint)}`,
    `  this device: ${o.device.driver} ${o.device.device}: ${stackName(o.device.fingerprint)}`,
    `  sample:      ${o.sample.sampled} of ${o.sample.candidates} rerunnable cases, sample seed ${o.sample.seed} (--sample-seed ${o.sample.seed} repeats this audit)`,
  ];
  if (!o.sameStack) {
    lines.push(`warning: the report's device (${stackName(o.report.fingerprint)}) is not this one (${stackName(o.device.fingerprint)}): equal bits are expected only on the same device and software stack`);
  }
  lines.push(...o.cases.flatMap((a) => findingLine(a, o.report.seed) ?? []));
  if (o.deviceLost !== null) lines.push(`the device was lost: ${o.deviceLost}`);
  if (o.log !== null) lines.push(`the reruns' log: ${o.log}`);
  if (o.interrupted) lines.push(`AUDIT INTERRUPTED: ${o.cases.length - o.cases.filter((a) => a.rerun === null).length} of ${o.cases.length} sampled cases were rerun`);
  else lines.push(closingLine(o));
  return lines;
}
