import type { Status } from '../judge/result.js';
import type { CaseResult } from '../runner/result.js';
import { CORE_OPSET } from '../ops/core-opset.js';
import { emptyStatusCounts, type Coverage, type GraphRef, type RunOutcome, type Selection, type Summary, type Verdict } from './schema.js';

/** How many case ids a reason names before it says "and N more". */
const FIRST_FEW = 5;

export interface VerdictInput {
  profile: string;
  /** ids of every case the profile requires, over the suites this accelcert ships */
  requiredIds: readonly string[];
  /**
   * kind: a bench case skipped as not applicable on the device (float8 on a device without it), or a collective of more
   * ranks than the node forms, counts as done
   */
  results: readonly (Pick<CaseResult, 'id' | 'status'> & { kind?: CaseResult['kind'] })[];
  selection: Pick<Selection, 'suites' | 'filters' | 'dtypes' | 'shard'>;
  run: RunOutcome;
  /** the graph file a `run --graph` certified instead of a profile: a CERTIFIED verdict then says it covers that model only */
  graph?: Pick<GraphRef, 'file' | 'name'> | null;
}

/** Counts by status, overall and per op family, and the coverage of the Core ATen opset. */
export function summarize(results: readonly Pick<CaseResult, 'kind' | 'subject' | 'family' | 'status'>[]): Summary {
  const byStatus = emptyStatusCounts();
  const byFamily: Summary['byFamily'] = {};
  for (const r of results) {
    byStatus[r.status] += 1;
    const fam = (byFamily[r.family] ??= emptyStatusCounts());
    fam[r.status] += 1;
  }
  return { total: results.length, byStatus, byFamily, coverage: coverageOf(results) };
}

/** Core ATen overloads run and passed by these results (op cases only: a graph or benchmark is not an overload's test). */
export function coverageOf(results: readonly Pick<CaseResult, 'kind' | 'subject' | 'status'>[]): Coverage {
  const applicable = new Set(CORE_OPSET.filter((o) => !o.notApplicable).map((o) => o.name));
  const allPassed = new Map<string, boolean>();
  for (const r of results) {
    if (r.kind !== 'op' || !applicable.has(r.subject)) continue;
    const ok = r.status === 'pass' || r.status === 'waived';
    allPassed.set(r.subject, (allPassed.get(r.subject) ?? true) && ok);
  }
  return {
    overloads: CORE_OPSET.length,
    notApplicable: CORE_OPSET.length - applicable.size,
    run: allPassed.size,
    passed: [...allPassed.values()].filter(Boolean).length,
  };
}

export function isNarrowed(selection: VerdictInput['selection']): boolean {
  return selection.suites.length > 0 || selection.filters.length > 0 || selection.dtypes.length > 0 || selection.shard !== null;
}

/**
 * The verdict, as a pure function of what the report records, so that the run and `verify` cannot disagree.
 * CERTIFIED: the run completed, the selection is the whole profile, and every required case appears exactly
 * once with status pass or waived. INCOMPLETE: anything partial (crashed or interrupted run, narrowed
 * selection, a required case missing or recorded twice). NOT_CERTIFIED: complete, but a required case did
 * not pass. Reasons name counts and the first few cases.
 */
export function computeVerdict(input: VerdictInput): Verdict {
  const { profile, requiredIds, results, selection, run } = input;
  const byId = new Map<string, Status[]>();
  const benchIds = new Set<string>();
  for (const r of results) {
    const list = byId.get(r.id);
    if (list) list.push(r.status);
    else byId.set(r.id, [r.status]);
    if (r.kind === 'bench' || r.kind === 'collective') benchIds.add(r.id);
  }
  const missing: string[] = [];
  const duplicated: string[] = [];
  const notPassed = new Map<Status, string[]>();
  let waived = 0;
  let notApplicable = 0;
  for (const id of requiredIds) {
    const statuses = byId.get(id);
    if (!statuses) {
      missing.push(id);
      continue;
    }
    if (statuses.length > 1) duplicated.push(id);
    for (const s of statuses) {
      if (s === 'pass') continue;
      if (s === 'waived') {
        waived += 1;
        continue;
      }
      if (s === 'skip' && benchIds.has(id)) {
        notApplicable += 1;
        continue;
      }
      const list = notPassed.get(s);
      if (list) list.push(id);
      else notPassed.set(s, [id]);
    }
  }

  const partial: string[] = [];
  if (run.outcome !== 'completed') {
    partial.push(`the run ${run.outcome}${run.message ? `: ${run.message}` : ''}`);
  }
  if (isNarrowed(selection)) {
    const covered = requiredIds.length - missing.length;
    partial.push(`selection covers ${covered} of ${requiredIds.length} required cases (${narrowedBy(selection)})`);
  }
  if (missing.length > 0) {
    partial.push(`${missing.length} of ${requiredIds.length} required cases missing: ${firstFew(missing)}`);
  }
  if (duplicated.length > 0) {
    partial.push(`${duplicated.length} required cases recorded more than once: ${firstFew(duplicated)}`);
  }

  const failures: string[] = [];
  for (const [status, ids] of [...notPassed.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    failures.push(`${ids.length} required cases ${statusWord(status)}: ${firstFew(ids)}`);
  }

  if (partial.length > 0) return { status: 'INCOMPLETE', profile, reasons: [...partial, ...failures] };
  if (failures.length > 0) return { status: 'NOT_CERTIFIED', profile, reasons: failures };
  const passed = requiredIds.length - waived - notApplicable;
  const reasons = [
    `all ${requiredIds.length} required cases of profile ${profile} present exactly once: ${passed} passed, ${waived} waived${notApplicable > 0 ? `, ${notApplicable} not applicable on this device (benchmarks it cannot run, collectives of more ranks than it forms)` : ''}`,
  ];
  if (input.graph) reasons.push(`the certification covers the model ${input.graph.name} of graph file ${input.graph.file} only, not the operator cases of any profile`);
  return { status: 'CERTIFIED', profile, reasons };
}

function narrowedBy(selection: VerdictInput['selection']): string {
  const parts: string[] = [];
  if (selection.suites.length > 0) parts.push(`--suite ${selection.suites.join(' ')}`);
  if (selection.filters.length > 0) parts.push(`--filter ${selection.filters.join(' ')}`);
  if (selection.dtypes.length > 0) parts.push(`--dtype ${selection.dtypes.join(' ')}`);
  if (selection.shard) parts.push(`--shard ${selection.shard.index}/${selection.shard.count}`);
  return `narrowed by ${parts.join(', ')}`;
}

function statusWord(s: Status): string {
  switch (s) {
    case 'fail':
      return 'failed';
    case 'error':
      return 'raised an error';
    case 'crash':
      return 'crashed';
    case 'timeout':
      return 'timed out';
    case 'unsupported':
      return 'are unsupported';
    case 'skip':
      return 'were skipped';
    default:
      return s;
  }
}

export function firstFew(ids: readonly string[], n = FIRST_FEW): string {
  const head = ids.slice(0, n).join(', ');
  return ids.length > n ? `${head} and ${ids.length - n} more` : head;
}
