import canonicalize from 'canonicalize';
import { z } from 'zod';
import { deviceName, type Fingerprint } from '../device/device.js';
import { StatusSchema, type Status } from '../judge/result.js';
import { formatFigure, formatPercent, mdCell, mdText } from './format.js';
import type { Report } from '../report/schema.js';
import { BenchEntrySchema, type BenchEntry } from '../report/benchmarks.js';

/*
 * `accelcert compare`: what changed between a baseline run and the current one. A new failure or a benchmark
 * regression fails the comparison; a benchmark only regresses when the change is beyond both the threshold and the
 * spread of both runs, so that noise never fails a pull request.
 */

/** Statuses that fail a run (DESIGN.md, exit code 1); pass, waived and skip do not. */
const FAILING: ReadonlySet<Status> = new Set(['fail', 'error', 'crash', 'timeout', 'unsupported']);

export const DEFAULT_THRESHOLD = 0.05;
/** A change of exactly the threshold is not beyond it, whatever the last bit of a division says. */
const EPSILON = 1e-9;

/** A case whose status got worse: `before` null for a case the baseline did not have (a new case). */
export const StatusChangeSchema = z.object({
  id: z.string(),
  before: StatusSchema.nullable(),
  after: StatusSchema,
  /** the current run's message for the case */
  message: z.string().nullable(),
});
export type StatusChange = z.infer<typeof StatusChangeSchema>;

const FigureSchema = BenchEntrySchema.shape.figure.omit({ unit: true });

/** A benchmark beyond the threshold and outside both runs' spread: its figures then and now. */
export const BenchChangeSchema = z.object({
  id: z.string(),
  subject: z.string(),
  dtype: BenchEntrySchema.shape.dtype,
  cache: BenchEntrySchema.shape.cache,
  unit: BenchEntrySchema.shape.figure.shape.unit,
  before: FigureSchema,
  after: FigureSchema,
  /** current median / baseline median − 1: −0.2 is 20 % slower */
  change: z.number(),
});
export type BenchChange = z.infer<typeof BenchChangeSchema>;

/** A benchmark the baseline measured and the current run did not, with the current case's status when it ran at all. */
export const NotMeasuredSchema = z.object({
  id: z.string(),
  subject: z.string(),
  status: StatusSchema.nullable(),
  message: z.string().nullable(),
});
export type NotMeasured = z.infer<typeof NotMeasuredSchema>;

/** One side of the comparison, as a reader needs it to know which runs were compared. */
export const RunRefSchema = z.object({
  device: z.string(),
  driver: z.string(),
  deviceString: z.string(),
  accelcert: z.string(),
  startedAt: z.string(),
  verdict: z.string(),
});
export type RunRef = z.infer<typeof RunRefSchema>;

export const ComparisonSchema = z.object({
  /** a fraction: 0.05 flags changes of more than 5 % */
  threshold: z.number().nonnegative(),
  baseline: RunRefSchema,
  current: RunRefSchema,
  newFailures: z.array(StatusChangeSchema),
  fixed: z.array(StatusChangeSchema),
  regressions: z.array(BenchChangeSchema),
  improvements: z.array(BenchChangeSchema),
  /** benchmarks in both runs whose change is within the threshold or the spread */
  withinNoise: z.number().int().nonnegative(),
  notMeasured: z.array(NotMeasuredSchema),
  /** differences between the runs that make the comparison less than like for like; it happens all the same */
  notes: z.array(z.string()),
});
export type Comparison = z.infer<typeof ComparisonSchema>;

function runRef(r: Report): RunRef {
  return {
    device: deviceName(r.target.fingerprint),
    driver: r.target.driver,
    deviceString: r.target.device,
    accelcert: r.harness.version,
    startedAt: r.startedAt,
    verdict: r.verdict.status,
  };
}

/** The changes of the case statuses: new failures (including failing new cases) and fixed cases. */
function statusChanges(baseline: Report, current: Report): Pick<Comparison, 'newFailures' | 'fixed'> {
  const before = new Map(baseline.results.map((r) => [r.id, r.status]));
  const newFailures: StatusChange[] = [];
  const fixed: StatusChange[] = [];
  for (const r of current.results) {
    const was = before.get(r.id);
    const change = { id: r.id, before: was ?? null, after: r.status, message: r.message };
    if (FAILING.has(r.status) && (was === undefined || !FAILING.has(was))) newFailures.push(change);
    else if (r.status === 'pass' && was !== undefined && was !== 'pass') fixed.push(change);
  }
  return { newFailures, fixed };
}

type Movement = 'regression' | 'improvement' | 'noise';

/**
 * Whether a benchmark moved: beyond the threshold AND outside both spreads (each median beyond the other's far
 * quartile), so that a change only a noisy run shows is never flagged.
 */
export function movement(before: BenchEntry['figure'], after: BenchEntry['figure'], threshold: number): Movement {
  if (before.median <= 0) return 'noise';
  const change = after.median / before.median - 1;
  if (change < -threshold - EPSILON && after.median < before.low && before.median > after.high) return 'regression';
  if (change > threshold + EPSILON && after.median > before.high && before.median < after.low) return 'improvement';
  return 'noise';
}

function benchChange(before: BenchEntry, after: BenchEntry): BenchChange {
  const { unit, ...was } = before.figure;
  const { unit: _, ...now } = after.figure;
  return { id: after.id, subject: after.subject, dtype: after.dtype, cache: after.cache, unit, before: was, after: now, change: now.median / was.median - 1 };
}

/** The benchmark changes: regressions, improvements, how many held within noise, and what the current run lacks. */
function benchChanges(baseline: Report, current: Report, threshold: number): Pick<Comparison, 'regressions' | 'improvements' | 'withinNoise' | 'notMeasured'> & { notes: string[] } {
  const now = new Map((current.benchmarks?.entries ?? []).map((e) => [e.id, e]));
  const results = new Map(current.results.map((r) => [r.id, r]));
  const out = { regressions: [] as BenchChange[], improvements: [] as BenchChange[], withinNoise: 0, notMeasured: [] as NotMeasured[], notes: [] as string[] };
  for (const was of baseline.benchmarks?.entries ?? []) {
    const is = now.get(was.id);
    if (!is) {
      const r = results.get(was.id);
      out.notMeasured.push({ id: was.id, subject: was.subject, status: r?.status ?? null, message: r?.message ?? null });
      continue;
    }
    if (is.figure.unit !== was.figure.unit) {
      // the benchmark's work is counted differently now: the two figures do not measure the same thing
      out.notes.push(`Benchmark ${was.id} is in ${was.figure.unit} in the baseline and ${is.figure.unit} now; it is not compared.`);
      continue;
    }
    const m = movement(was.figure, is.figure, threshold);
    if (m === 'regression') out.regressions.push(benchChange(was, is));
    else if (m === 'improvement') out.improvements.push(benchChange(was, is));
    else out.withinNoise++;
  }
  out.regressions.sort((a, b) => a.change - b.change);
  out.improvements.sort((a, b) => b.change - a.change);
  const before = new Set((baseline.benchmarks?.entries ?? []).map((e) => e.id));
  const added = [...now.keys()].filter((id) => !before.has(id)).length;
  if (added > 0) out.notes.push(`${plural(added, 'benchmark')} measured now ${added === 1 ? 'was' : 'were'} not measured in the baseline.`);
  return out;
}

const framework = (fp: Fingerprint): string => (fp.framework ? `${fp.framework.name} ${fp.framework.version}` : 'no framework');
const targetText = (fp: Fingerprint): string => `${deviceName(fp)} with ${framework(fp)}`;
const sameTarget = (a: Fingerprint, b: Fingerprint): boolean => a.vendor === b.vendor && a.model === b.model && framework(a) === framework(b);

/** Differences that make the comparison less than like for like: a sentence each. */
function runNotes(baseline: Report, current: Report): string[] {
  const notes: string[] = [];
  const a = baseline.target.fingerprint;
  const b = current.target.fingerprint;
  if (!sameTarget(a, b)) {
    notes.push(`The runs are on different targets: the baseline on ${targetText(a)}, the current run on ${targetText(b)}.`);
  }
  const was = baseline.benchmarks;
  const is = current.benchmarks;
  if (was && is && was.scale !== is.scale) notes.push(`Benchmarks ran at scale ${was.scale} in the baseline and ${is.scale} now.`);
  if (was && is && canonicalize(was.peak) !== canonicalize(is.peak)) {
    notes.push(`The peaks differ (baseline: ${peakSource(was.peak)}; current: ${peakSource(is.peak)}), so the percentages of peak are not comparable.`);
  }
  const present = new Set(current.results.map((r) => r.id));
  const gone = baseline.results.filter((r) => !present.has(r.id)).length;
  if (gone > 0) notes.push(`${plural(gone, 'case')} of the baseline ${gone === 1 ? 'is' : 'are'} not in the current run.`);
  return notes;
}

function peakSource(p: NonNullable<Report['benchmarks']>['peak']): string {
  return p.source === 'table' ? `the table for ${p.product ?? '?'}` : p.source === 'user' ? 'given with --peak' : 'unknown';
}

/** What changed from `baseline` to `current`: cases by id, benchmarks by id. `threshold` is a fraction (0.05 = 5 %). */
export function compareReports(baseline: Report, current: Report, opts: { threshold?: number } = {}): Comparison {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!(threshold >= 0) || !Number.isFinite(threshold)) throw new RangeError(`threshold ${threshold} is not a fraction of 0 or more`);
  const bench = benchChanges(baseline, current, threshold);
  return {
    threshold,
    baseline: runRef(baseline),
    current: runRef(current),
    ...statusChanges(baseline, current),
    regressions: bench.regressions,
    improvements: bench.improvements,
    withinNoise: bench.withinNoise,
    notMeasured: bench.notMeasured,
    notes: [...runNotes(baseline, current), ...bench.notes],
  };
}

/** 1 when the current run is worse: a new failure or a benchmark regression; else 0. */
export function comparisonExitCode(c: Comparison): 0 | 1 {
  return c.newFailures.length > 0 || c.regressions.length > 0 ? 1 : 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The verdict in words: "2 regressions, 1 new failure", "no regressions, no new failures". */
export function comparisonVerdict(c: Comparison): string {
  const count = (n: number, word: string) => (n === 0 ? `no ${word}s` : plural(n, word));
  return `${count(c.regressions.length, 'regression')}, ${count(c.newFailures.length, 'new failure')}`;
}

/** Keeps a pull-request comment well under GitHub's 65536 characters whatever the reports hold. */
const MAX_ROWS = 40;

function runLine(label: string, r: RunRef): string {
  const when = Number.isNaN(Date.parse(r.startedAt)) ? r.startedAt : `${new Date(r.startedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `**${label}**: ${mdText(r.device)} (driver \`${r.driver}\`, device \`${r.deviceString}\`), accelcert ${mdText(r.accelcert)}, ${when}: ${r.verdict}`;
}

function table<T>(title: string, head: string, rows: readonly T[], row: (x: T) => string): string[] {
  if (rows.length === 0) return [];
  const columns = head.split('|').length - 2;
  const out = [`### ${title} (${rows.length})`, '', head, `|${' --- |'.repeat(columns)}`, ...rows.slice(0, MAX_ROWS).map(row)];
  if (rows.length > MAX_ROWS) out.push(`| … ${rows.length - MAX_ROWS} more (\`--json\` lists them) |${' |'.repeat(columns - 1)}`);
  return [...out, ''];
}

const status = (s: Status | null): string => s ?? 'new case';

function benchRow(c: BenchChange): string {
  return `| \`${mdCell(c.id)}\` | ${c.unit} | ${formatFigure({ unit: c.unit, ...c.before })} | ${formatFigure({ unit: c.unit, ...c.after })} | ${formatPercent(c.change, true)} |`;
}

/** The comparison as a pull-request comment: the verdict in words, the two runs, the counts, then a table per change. */
export function comparisonMarkdown(c: Comparison): string {
  const mark = comparisonExitCode(c) === 0 ? '✅' : '❌';
  const out = [`## ${mark} accelcert compare: ${comparisonVerdict(c)}`, ''];
  out.push(runLine('Baseline', c.baseline), '', runLine('Current', c.current), '');
  out.push(
    `New failures: **${c.newFailures.length}** · regressions: **${c.regressions.length}** · improvements: ${c.improvements.length} · ` +
      `fixed: ${c.fixed.length} · benchmarks within noise: ${c.withinNoise} · not measured now: ${c.notMeasured.length} ` +
      `(a benchmark regresses when it is more than ${formatPercent(c.threshold)} slower and outside both runs' spread)`,
    '',
  );
  for (const n of c.notes) out.push(`- ${mdText(n)}`);
  if (c.notes.length > 0) out.push('');
  out.push(
    ...table('New failures', '| case | before | after | message |', c.newFailures, (f) => `| \`${mdCell(f.id)}\` | ${status(f.before)} | ${f.after} | ${mdCell(f.message ?? '')} |`),
    ...table('Regressions', '| benchmark | unit | baseline: median [low–high] | current: median [low–high] | change |', c.regressions, benchRow),
    ...table('Improvements', '| benchmark | unit | baseline: median [low–high] | current: median [low–high] | change |', c.improvements, benchRow),
    ...table('Fixed', '| case | before | after |', c.fixed, (f) => `| \`${mdCell(f.id)}\` | ${status(f.before)} | ${f.after} |`),
    ...table('Not measured now', '| benchmark | status now | message |', c.notMeasured, (m) => `| \`${mdCell(m.id)}\` | ${m.status ?? 'not run'} | ${mdCell(m.message ?? '')} |`),
  );
  return out.join('\n');
}
