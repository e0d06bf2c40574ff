import { describeOutput } from '../judge/describe.js';
import { outputFailed } from '../judge/result.js';
import { DEFAULT_TIMEOUT_SECONDS, givenOption } from '../report/command.js';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import type { BenchEntry } from '../report/benchmarks.js';
import { DEFAULT_PROFILE } from '../suite/profile.js';

/** The worst margin over a case's outputs: null when some output is unbounded, undefined when none has one. */
export function worstMargin(r: Pick<CaseResult, 'outputs'>): number | null | undefined {
  let worst: number | null | undefined;
  for (const o of r.outputs) {
    if (o.margin === null) return null;
    if (worst === undefined || (worst !== null && o.margin > worst)) worst = o.margin;
  }
  return worst;
}

/** Orders margins so that unbounded (null) is worst and "no margin" (undefined) least informative. */
export function marginRank(m: number | null | undefined): number {
  return m === null ? Infinity : m === undefined ? -Infinity : m;
}

/** Words a POSIX shell takes as they are: nothing to expand, split or glob. */
const SHELL_SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;

/**
 * A command line that a POSIX shell splits back into exactly `words`, to be pasted: a word of safe characters as it
 * is, any other in single quotes (an embedded `'` as `'\''`, the empty word as `''`).
 */
export function shellQuote(words: readonly string[]): string {
  return words.map((w) => (SHELL_SAFE.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/**
 * The command that reruns one case alone on the same target with the same inputs: the driver and device the report
 * names, the worker command and interpreter the run was given, its profile or graph file, bench scale, seed and a
 * timeout other than the default; quoted so that it works pasted into a shell, from the folder the run was started in.
 */
export function rerunCommand(report: Pick<Report, 'command' | 'target' | 'profile' | 'selection' | 'graph'>, caseId: string): string {
  const words = ['npx', 'accelcert', 'run', '--driver', report.target.driver, '--device', report.target.device];
  // recorded only in the command line: an exec run's worker, the interpreter that --python named, the timeout
  const given = (option: string): string[] => {
    const value = givenOption(report.command, option);
    return value === undefined ? [] : [option, value];
  };
  words.push(...given('--worker'), ...given('--python'));
  // a graph file's run names the file, not a profile
  if (report.graph) words.push('--graph', report.graph.file);
  else if (report.profile.name !== DEFAULT_PROFILE) words.push('--profile', report.profile.name);
  const { benchScale, seed } = report.selection;
  if (benchScale) words.push('--bench-scale', benchScale);
  if (seed) words.push('--seed', seed);
  const timeout = given('--timeout');
  if (timeout.length > 0 && Number(timeout[1]) !== DEFAULT_TIMEOUT_SECONDS) words.push(...timeout);
  words.push('--filter', caseId);
  return shellQuote(words);
}

/** Why a case did not pass: every failing output in one line each, with the numbers; the message for other statuses. */
export function failureText(r: CaseResult): string {
  const lines = r.outputs.filter(outputFailed).map(describeOutput);
  if (r.message && (lines.length === 0 || r.status !== 'fail')) lines.unshift(r.message);
  return lines.length > 0 ? lines.join('\n') : r.status;
}

/** Markdown text outside code: no `<`/`>`/`&` that a renderer would take for HTML. */
export function mdText(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Inline Markdown code showing `s` as it is: fenced by more backticks than any run of them inside. */
export function mdCode(s: string): string {
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** A Markdown table cell: as mdText, and no pipes or newlines that would break the row. */
export function mdCell(s: string): string {
  return mdText(s).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

const SI_PREFIXES: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'µ', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const SIGNIFICANT = 3;

/** A number with 3 significant digits, trailing zeros after the point dropped (1.20 → 1.2, 100 stays). */
function significant(x: number): string {
  const s = x.toPrecision(SIGNIFICANT);
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

/** The power of 1000 (as an exponent of 10) that puts |x| in [1, 1000) once rounded to 3 significant digits. */
function siExponent(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return 0;
  let e = Math.floor(Math.log10(Math.abs(x)) / 3) * 3;
  // 999.7 rounds to 1000: move it to the next prefix so that it reads 1 k, not 1000
  if (Math.abs(Number((x / 10 ** e).toPrecision(SIGNIFICANT))) >= 1000) e += 3;
  return Math.min(18, Math.max(-9, e));
}

/** A symbol takes its prefix directly (TFLOP/s, GB/s, ms); a word unit after a space (1.2 k tokens/s). */
function withUnit(number: string, prefix: string, unit: string): string {
  if (unit === '') return prefix ? `${number} ${prefix}` : number;
  return /^[a-z]{2,}/.test(unit) && prefix ? `${number} ${prefix} ${unit}` : `${number} ${prefix}${unit}`;
}

/**
 * A quantity as people read it, with an SI prefix and 3 significant digits: 1.23 TFLOP/s, 845 GB/s, 1.2 k tokens/s,
 * 225 µs. The one number formatter of summaries, comparisons and charts.
 */
export function formatSi(value: number, unit: string): string {
  const e = siExponent(value);
  return withUnit(significant(value / 10 ** e), SI_PREFIXES[e] ?? '', unit);
}

/** x to 3 significant digits rounded down or up, so that a spread's printed bounds hold the real ones. */
function outward(x: number, round: 'floor' | 'ceil'): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const digits = Math.floor(Math.log10(Math.abs(x)));
  const step = 10 ** (digits - SIGNIFICANT + 1);
  // the nudge keeps a value that is already round (1.2 / 0.01 = 119.99…) from moving a step
  const r = round === 'floor' ? Math.floor(x / step + 1e-9) : Math.ceil(x / step - 1e-9);
  const s = (r * step).toFixed(Math.max(0, SIGNIFICANT - 1 - digits));
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A figure with its spread, the bounds in the median's prefix and rounded outward, so that it reads at a glance and a
 * tight spread does not collapse: 1.23 TFLOP/s [1.2–1.25].
 */
export function formatFigure(f: { unit: string; median: number; low: number; high: number }): string {
  const e = siExponent(f.median);
  return `${formatSi(f.median, f.unit)} [${outward(f.low / 10 ** e, 'floor')}–${outward(f.high / 10 ** e, 'ceil')}]`;
}

/** A fraction as a percentage with one decimal: 0.123 → 12.3 %; `signed` puts + or − in front (changes). */
export function formatPercent(fraction: number, signed = false): string {
  const text = `${Math.abs(100 * fraction).toFixed(1)} %`;
  if (!signed) return fraction < 0 ? `−${text}` : text;
  return `${fraction < 0 ? '−' : '+'}${text}`;
}

/**
 * What a benchmark figure is when it is not the plain rate (a collective's bus bandwidth, with its algorithm bandwidth),
 * and why it needs care: the host, not the device, set the pace, or the spread never came down to its target.
 */
export function benchNotes(e: Pick<BenchEntry, 'busBytesPerSecond' | 'bytesPerSecond' | 'hostBound' | 'stable'>): string {
  const bus = e.busBytesPerSecond !== null && e.bytesPerSecond !== null ? [`bus bandwidth; algorithm ${formatSi(e.bytesPerSecond, 'B/s')}`] : [];
  return [...bus, ...(e.hostBound ? ['host-bound'] : []), ...(e.stable ? [] : ['unstable: spread above target'])].join('; ');
}

/** One row of the collectives table: a collective in a dtype, and per world size its cell. */
export interface CollectiveRow {
  subject: string;
  dtype: string;
  /** per world size: `✓ 7/7` (passed of run), `✗ 2/7`, `n/a` (the device forms fewer ranks), `·` (no case) */
  cells: string[];
}

/** The collectives of a report as a table: the world sizes (columns) and a row per collective and dtype, in report order. */
export function collectiveTable(results: readonly CaseResult[]): { worlds: number[]; rows: CollectiveRow[]; passed: number; ran: number } {
  const all = results.filter((r) => r.kind === 'collective');
  const ranksOf = (r: CaseResult): number => Number(/\/(\d+)ranks-/.exec(r.id)?.[1] ?? 0);
  const worlds = [...new Set(all.map(ranksOf))].sort((a, b) => a - b);
  const groups = new Map<string, CaseResult[]>();
  for (const r of all) {
    const key = `${r.subject}\u0000${r.dtype}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const ok = (r: CaseResult): boolean => r.status === 'pass' || r.status === 'waived';
  const rows = [...groups.values()].map((rs) => ({
    subject: (rs[0] as CaseResult).subject,
    dtype: (rs[0] as CaseResult).dtype,
    cells: worlds.map((w) => {
      const cases = rs.filter((r) => ranksOf(r) === w);
      if (cases.length === 0) return '·';
      if (cases.every((r) => r.status === 'skip')) return 'n/a';
      const passed = cases.filter(ok).length;
      return `${passed === cases.length ? '✓' : '✗'} ${passed}/${cases.length}`;
    }),
  }));
  const ran = all.filter((r) => r.status !== 'skip');
  return { worlds, rows, passed: ran.filter(ok).length, ran: ran.length };
}
