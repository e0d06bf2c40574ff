import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname, platform, release, arch, totalmem } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import type { CaseResult } from '../runner/result.js';
import { HARNESS_VERSION, PACKAGE_ROOT } from '../version.js';
import { REPORT_SCHEMA_VERSION, type GraphRef, type Host, type MergedShard, type Report, type RunOutcome, type Selection, type SuiteRef, type Target, type Waiver } from './schema.js';
import { computeVerdict, summarize } from './verdict.js';
import { benchmarksOf } from './benchmarks.js';
import { tablePeak, type Peak } from '../bench/peaks.js';
import { applyWaivers } from './waivers.js';
import type { Envelope } from './envelope.js';

export interface BuildReportInput {
  /** the exact command line, starting with `accelcert` */
  command: string[];
  startedAt: Date;
  endedAt: Date;
  target: Target;
  /** the suites the run loaded (every shipped suite the profile uses), whole: their digests and case counts go in */
  suites: readonly { name: string; version: string; digest: string; cases: readonly unknown[] }[];
  profile: string;
  /** the graph file a `run --graph` ran instead of a profile (then `profile` is GRAPH_PROFILE and `requiredIds` its cases) */
  graph?: GraphRef;
  /** ids of every case the profile requires: `requiredCases(getProfile(profile), shippedSuites()).map((c) => c.id)` */
  requiredIds: readonly string[];
  /** what narrowed the run (empty lists / null shard when nothing did), how many cases were selected, and the user seed (absent: none) */
  selection: Selection;
  /** one result per executed case, with the judge's statuses (waivers are applied here) */
  results: readonly CaseResult[];
  /** waivers from `--waivers` (see loadWaivers), [] when none */
  waivers: readonly Waiver[];
  /** the signed waiver file they came from (loadWaivers), when a waiver authority signed it */
  signedWaivers?: Envelope | null;
  /** the reviewer's challenge the run answered (`run --challenge`) */
  challenge?: Envelope | null;
  /** whether the run reached its end; a crashed or interrupted run is INCOMPLETE whatever else holds */
  run: RunOutcome;
  /** the peaks benchmarks are set against (`--peak`); default: the built-in table's entry for the device's product name */
  peak?: Peak | null;
  /** the signed shards a merged report is made of (`accelcert merge`); absent: a run's own report (null) */
  shards?: MergedShard[] | null;
  /** defaults to this machine */
  host?: Host;
  /** defaults to the commit of the accelcert checkout, when it runs from one */
  gitCommit?: string | null;
}

/** The report of a run: waivers applied, summary and verdict computed from the results (see verdict.ts). */
export function buildReport(input: BuildReportInput): Report {
  const fingerprint = input.target.fingerprint;
  const { results, waivers } = applyWaivers(input.results, input.waivers, fingerprint);
  const suites: SuiteRef[] = input.suites.map((s) => ({ name: s.name, version: s.version, digest: s.digest, cases: s.cases.length }));
  const verdict = computeVerdict({
    profile: input.profile,
    requiredIds: input.requiredIds,
    results,
    selection: input.selection,
    run: input.run,
    graph: input.graph,
  });
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    harness: {
      name: 'accelcert',
      version: HARNESS_VERSION,
      gitCommit: input.gitCommit !== undefined ? input.gitCommit : harnessGitCommit(),
    },
    command: input.command,
    startedAt: input.startedAt.toISOString(),
    endedAt: input.endedAt.toISOString(),
    host: input.host ?? describeHost(),
    target: input.target,
    suites,
    profile: { name: input.profile, requiredCases: input.requiredIds.length },
    ...(input.graph ? { graph: input.graph } : {}),
    selection: { ...input.selection, seed: input.selection.seed ?? null },
    run: input.run,
    results,
    benchmarks: benchmarksOf(results, input.peak ?? tablePeak(fingerprint.model), input.selection.benchScale ?? 'small'),
    waivers,
    signedWaivers: input.signedWaivers ?? null,
    challenge: input.challenge ?? null,
    summary: summarize(results),
    verdict,
    shards: input.shards ?? null,
  };
}

/**
 * The exact bytes of report.json: RFC 8785 canonical JSON, so that anyone holding the report (the envelope
 * carries it) can rebuild the bytes whose sha256 the signed statement names.
 */
export function reportBytes(report: Report): Buffer {
  const text = canonicalize(report);
  if (text === undefined) throw new Error('report cannot be canonicalised');
  return Buffer.from(text, 'utf8');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Exit code of a run by DESIGN.md: 0 when every selected case passed or was waived and the run completed. */
export function runExitCode(report: Report): 0 | 1 {
  if (report.run.outcome !== 'completed') return 1;
  return report.results.every((r) => r.status === 'pass' || r.status === 'waived' || r.status === 'skip') ? 0 : 1;
}

export function describeHost(): Host {
  const cpu = cpus();
  return {
    hostname: hostname(),
    os: { platform: platform(), release: release(), arch: arch() },
    cpu: { model: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length },
    memoryBytes: totalmem(),
    node: process.version,
  };
}

/** HEAD of the git checkout accelcert runs from, read from .git without running git; null when not a checkout. */
export function harnessGitCommit(root: string = PACKAGE_ROOT): string | null {
  try {
    const gitDir = join(root, '.git');
    if (!existsSync(join(gitDir, 'HEAD'))) return null;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return /^[0-9a-f]{40}$/.test(head) ? head : null;
    const loose = join(gitDir, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    const packed = join(gitDir, 'packed-refs');
    if (!existsSync(packed)) return null;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
    }
    return null;
  } catch {
    return null;
  }
}
