import canonicalize from 'canonicalize';
import { UserError } from '../errors.js';
import type { CaseResult } from '../runner/result.js';
import { shardOf } from '../suite/select.js';
import { HARNESS_VERSION } from '../version.js';
import { buildReport } from './build.js';
import type { Envelope } from './envelope.js';
import type { ListedWaiver, Report, RunOutcome, Waiver } from './schema.js';

/*
 * `accelcert merge`: the shards of one sharded run (`run --shard K/N`), each already authentic, become one report whose
 * selection has no shard. The merge proves coverage: every index 1..N exactly once, every case in the shard its id
 * hashes to, and every shard of the same run (accelcert, suites, profile, selection, seed, device, waivers). Anything
 * else is refused in one sentence (exit 2), since a merged report that hid a missing or foreign shard could certify.
 */

/** One shard as the merge reads it: where it came from (named in refusals), its authentic report and its envelope. */
export interface ShardInput {
  source: string;
  report: Report;
  envelope: Envelope;
}

export interface MergeInput {
  shards: readonly ShardInput[];
  /** ids of every case the shards' profile requires, in the profile's order (that of `requiredCases`) */
  requiredIds: readonly string[];
  /** the merge command line, starting with `accelcert merge` */
  command: string[];
}

const canon = (v: unknown): string => canonicalize(v) ?? '';
const label = (s: ShardInput): string => `${s.source} (shard ${s.report.selection.shard?.index ?? '?'}/${s.report.selection.shard?.count ?? '?'})`;
const withoutMatched = (waivers: readonly ListedWaiver[]): Waiver[] => waivers.map(({ matched: _matched, ...w }) => w);

/**
 * What must be equal across the shards of one run, each as [what it is called, its value in a report]. The first
 * shard is the yardstick: the sentence names it and the shard that differs.
 */
const SAME: readonly [string, (r: Report) => unknown][] = [
  ['accelcert version', (r) => r.harness.version],
  ['suite digests', (r) => r.suites.map((s) => [s.name, s.version, s.digest])],
  ['profile', (r) => r.profile.name],
  ['seed', (r) => r.selection.seed ?? null],
  ['challenge', (r) => r.challenge],
  ['suites (--suite)', (r) => r.selection.suites],
  ['filters (--filter)', (r) => r.selection.filters],
  ['dtypes (--dtype)', (r) => r.selection.dtypes],
  ['bench scale', (r) => r.selection.benchScale ?? null],
  ['device model (vendor, model, framework)', (r) => [r.target.fingerprint.vendor, r.target.fingerprint.model, r.target.fingerprint.framework]],
  ['waivers', (r) => [withoutMatched(r.waivers), r.signedWaivers]],
];

/** Refuses shards that are not the complete, disjoint shards of one run; returns them in index order. */
export function checkShards(shards: readonly ShardInput[]): ShardInput[] {
  if (shards.length === 0) throw new UserError('merge needs the run folders of the shards to merge');
  for (const s of shards) {
    if (!s.report.selection.shard) throw new UserError(`${s.source} is not a shard (its selection has no --shard K/N): merge combines the shards of one sharded run`);
    if (s.report.shards) throw new UserError(`${s.source} is already a merged report: merge combines the shards of one run`);
    if (s.report.graph) throw new UserError(`${s.source} is a run of a graph file (--graph): merge combines the shards of a profile's run`);
  }
  const first = shards[0] as ShardInput;
  const count = first.report.selection.shard?.count ?? 0;
  for (const s of shards) {
    const n = s.report.selection.shard?.count ?? 0;
    if (n !== count) throw new UserError(`${label(s)} and ${label(first)} split the run into different numbers of shards (${n} and ${count})`);
    if (s.report.harness.version !== HARNESS_VERSION) {
      throw new UserError(`${label(s)} was written by accelcert ${s.report.harness.version}, not by this accelcert ${HARNESS_VERSION}: merge shards with the accelcert that ran them`);
    }
    for (const [what, of] of SAME) {
      if (canon(of(s.report)) !== canon(of(first.report))) throw new UserError(`${label(s)} and ${label(first)} differ in their ${what}: they are not shards of one run`);
    }
  }
  const byIndex = new Map<number, ShardInput>();
  for (const s of shards) {
    const index = s.report.selection.shard?.index ?? 0;
    const other = byIndex.get(index);
    if (other) throw new UserError(`${s.source} and ${other.source} are both shard ${index}/${count}: give each shard once`);
    byIndex.set(index, s);
  }
  for (let k = 1; k <= count; k++) {
    if (!byIndex.has(k)) {
      const given = [...byIndex.keys()].sort((a, b) => a - b).join(', ');
      throw new UserError(`shard ${k}/${count} is missing (given: ${given}): a merge needs all ${count} shards to cover the selection`);
    }
  }
  const ordered = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
  const owner = new Map<string, ShardInput>();
  for (const s of ordered) {
    const index = s.report.selection.shard?.index ?? 0;
    for (const r of s.report.results) {
      const other = owner.get(r.id);
      if (other) throw new UserError(`${label(s)} and ${label(other)} both hold case ${r.id}: shards must not overlap`);
      owner.set(r.id, s);
      const home = shardOf(r.id, count);
      if (home !== index) throw new UserError(`${label(s)} holds case ${r.id}, which belongs to shard ${home}/${count}`);
    }
  }
  return ordered;
}

/** The run's outcome: completed only when every shard completed; else the first shard's that did not, named. */
function mergedOutcome(shards: readonly ShardInput[]): RunOutcome {
  const stopped = shards.find((s) => s.report.run.outcome !== 'completed');
  if (!stopped) return { outcome: 'completed', message: null };
  const { index, count } = stopped.report.selection.shard ?? { index: 0, count: 0 };
  return { outcome: stopped.report.run.outcome, message: `shard ${index}/${count}: ${stopped.report.run.message ?? stopped.report.run.outcome}` };
}

/** The merged report of the shards of one run: refused in one sentence unless they are exactly that (checkShards). */
export function mergeShards(input: MergeInput): Report {
  const shards = checkShards(input.shards);
  const first = (shards[0] as ShardInput).report;
  const order = new Map(input.requiredIds.map((id, i) => [id, i]));
  const rank = (r: CaseResult): number => order.get(r.id) ?? input.requiredIds.length;
  // the profile's case order, which is the order an unsharded run records; a case the profile lacks keeps shard order
  // shards that ran on different devices (`run --split`): each result names its device
  const split = new Set(shards.map((s) => s.report.target.device)).size > 1;
  const results = shards
    .flatMap((s) => s.report.results.map((r) => (split ? { ...r, device: s.report.target.device } : r)))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map(({ r }) => r);
  const started = Math.min(...shards.map((s) => Date.parse(s.report.startedAt)));
  const ended = Math.max(...shards.map((s) => Date.parse(s.report.endedAt)));
  const report = buildReport({
    command: input.command,
    startedAt: new Date(started),
    endedAt: new Date(ended),
    target: first.target,
    // the shards' suite references are equal (checkShards); buildReport only takes their counts, so they go in after
    suites: [],
    profile: first.profile.name,
    requiredIds: input.requiredIds,
    selection: { ...first.selection, shard: null, cases: shards.reduce((n, s) => n + s.report.selection.cases, 0) },
    results,
    // the shards applied their (identical) waivers already: applying them again would find nothing left to waive
    waivers: [],
    signedWaivers: first.signedWaivers,
    challenge: first.challenge,
    run: mergedOutcome(shards),
    peak: first.benchmarks?.peak ?? null,
    host: first.host,
    shards: shards.map((s) => ({ index: s.report.selection.shard?.index ?? 0, count: s.report.selection.shard?.count ?? 0, envelope: s.envelope })),
  });
  const matched = (id: string): string[] => results.filter((r) => r.status === 'waived' && r.waiver === id).map((r) => r.id);
  return {
    ...report,
    suites: first.suites,
    waivers: withoutMatched(first.waivers).map((w) => ({ ...w, matched: matched(w.id) })),
  };
}
