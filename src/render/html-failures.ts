import { formatMargin } from '../judge/describe.js';
import { outputFailed, type OutputMetrics, type Status } from '../judge/result.js';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import { marginRank, rerunCommand, shellQuote, worstMargin } from './format.js';
import { Anchors, badge, code, esc, plural } from './html-util.js';

/*
 * The failures of report.html: every failing case in detail (its failing outputs with the worst element, the rerun
 * command, the reproducer command) up to a cap, grouped by what the case runs, worst first; then the cases that did not
 * run (unsupported, not applicable) grouped by their reason.
 */

/** Statuses whose cases the page details: the device answered wrong or the case broke. */
const FAILING: ReadonlySet<Status> = new Set(['fail', 'error', 'crash', 'timeout']);
/**
 * Most cases detailed on the page, and per op (or model) and dtype: the cell table names the same five worst cases of
 * each cell, so every case it names links to its details unless the page is at its cap.
 */
export const MAX_DETAILED = 300;
export const MAX_PER_CELL = 5;
/** Failing outputs shown per case (a model can have dozens; the worst come first). */
const MAX_OUTPUTS = 8;

export interface FailureGroup {
  subject: string;
  kind: CaseResult['kind'];
  /** every failing case of the subject, worst first */
  results: CaseResult[];
  worst: number | null | undefined;
  /** the cases detailed on the page, worst first */
  shown: CaseResult[];
}

export interface FailurePlan {
  groups: FailureGroup[];
  /** ids of the cases the page details (each has a `case` anchor) */
  detailed: Set<string>;
  total: number;
}

/** Whether the page details a case of this status: the device answered wrong or the case broke. */
export const isFailing = (r: Pick<CaseResult, 'status'>): boolean => FAILING.has(r.status);

/** Worst first: unbounded margins, then the largest; the report's order among equals. */
export function worstFirst(results: readonly CaseResult[]): CaseResult[] {
  return results
    .map((r, i) => ({ r, i, rank: marginRank(worstMargin(r)) }))
    .sort((a, b) => b.rank - a.rank || a.i - b.i)
    .map((x) => x.r);
}

function groupBy(results: readonly CaseResult[], key: (r: CaseResult) => string): CaseResult[][] {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    const k = key(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()];
}

/**
 * Which failing cases the page details: the same number of the worst cases of every subject and dtype, as many as the
 * cap allows (at most MAX_PER_CELL), so that an op with hundreds of failures in one dtype cannot crowd out one failure
 * elsewhere; with more cells than the cap, one case of each of the worst cells. Shown grouped by subject, worst first.
 */
export function planFailures(report: Pick<Report, 'results'>, cap = MAX_DETAILED): FailurePlan {
  const failing = report.results.filter(isFailing);
  const cells = groupBy(failing, (r) => `${r.kind}\n${r.subject}\n${r.dtype}`).map(worstFirst);
  let share = 0;
  const total = (k: number): number => cells.reduce((n, c) => n + Math.min(c.length, k), 0);
  while (share < MAX_PER_CELL && total(share + 1) <= cap && total(share + 1) > total(share)) share++;
  const detailed = new Set<string>();
  if (share > 0) for (const c of cells) for (const r of c.slice(0, share)) detailed.add(r.id);
  else {
    const worstCells = [...cells].sort((a, b) => marginRank(worstMargin(b[0] as CaseResult)) - marginRank(worstMargin(a[0] as CaseResult)));
    for (const c of worstCells.slice(0, cap)) detailed.add((c[0] as CaseResult).id);
  }
  const groups: FailureGroup[] = groupBy(failing, (r) => `${r.kind}\n${r.subject}`)
    .map((rs) => {
      const results = worstFirst(rs);
      const first = results[0] as CaseResult;
      return { subject: first.subject, kind: first.kind, results, worst: worstMargin(first), shown: results.filter((r) => detailed.has(r.id)) };
    })
    .sort((a, b) => marginRank(b.worst) - marginRank(a.worst) || b.results.length - a.results.length || a.subject.localeCompare(b.subject));
  return { groups, detailed, total: failing.length };
}

/** One failing output: its dtype, shape and rule, how many elements fell outside, its margin and worst element. */
function outputRows(o: OutputMetrics): string {
  const w = o.worst;
  const worst = w
    ? `<td class="mono idx">[${esc(w.index.join(', '))}]</td><td class="mono">${esc(w.expected)}</td><td class="mono">${esc(w.actual)}</td><td class="mono">${esc(w.allowed)}</td>`
    : '<td colspan="4" class="muted">no worst element recorded</td>';
  const row =
    `<tr><th scope="row">${o.index}</th><td class="mono">${esc(`${o.dtype}[${o.shape.join(',')}]`)}</td><td class="mono">${esc(o.rule)}</td>` +
    `<td class="num">${o.mismatches} of ${o.elements}</td><td class="num">${formatMargin(o.margin)}</td>${worst}</tr>`;
  // a structural problem (wrong shape, misplaced NaN, bytes that changed on the rerun) is the first thing to read
  return o.problem === null ? row : `${row}<tr><td></td><td colspan="8">problem: ${esc(o.problem)}</td></tr>`;
}

/** A failing case in full: status, what went wrong, the failing outputs with their worst element, and the commands. */
function caseArticle(report: Report, r: CaseResult, anchors: Anchors): string {
  const failed = r.outputs.filter(outputFailed);
  const out = [
    `<article class="case k-${r.status}" id="${anchors.id('case', r.id)}" aria-labelledby="${anchors.id('case', r.id)}-h">`,
    `<h4 id="${anchors.id('case', r.id)}-h">${code(r.id)}</h4>`,
    `<p>${badge(r.status)} ${esc(r.dtype)} · worst margin ${formatMargin(worstMargin(r))}${r.divergence ? ` · first node out of bound ${code(r.divergence.node)} (${esc(r.divergence.op)})` : ''}</p>`,
  ];
  if (r.message && (failed.length === 0 || r.status !== 'fail')) out.push(`<p>${esc(r.message)}</p>`);
  if (failed.length > 0) {
    out.push(
      '<div class="scroll"><table>',
      `<caption>${plural(failed.length, 'failing output')}${failed.length > MAX_OUTPUTS ? `, the first ${MAX_OUTPUTS} shown` : ''}</caption>`,
      '<thead><tr><th scope="col">output</th><th scope="col">dtype[shape]</th><th scope="col">rule</th><th scope="col" class="num">outside</th>' +
        '<th scope="col" class="num">margin</th><th scope="col">worst at index</th><th scope="col">expected</th><th scope="col">actual</th><th scope="col">allowed</th></tr></thead><tbody>',
      ...failed.slice(0, MAX_OUTPUTS).map(outputRows),
      '</tbody></table></div>',
    );
  }
  out.push('<p>Rerun it alone (from the folder the run was started in):</p>', `<pre><code>${esc(rerunCommand(report, r.id))}</code></pre>`);
  // `accelcert repro` makes its kit (one ATen call as a standalone PyTorch script) for op cases only
  if (r.kind === 'op') {
    out.push('<p>A failure kit, one standalone PyTorch script (from this run folder):</p>', `<pre><code>${esc(shellQuote(['npx', 'accelcert', 'repro', '.', r.id]))}</code></pre>`);
  }
  out.push('</article>');
  return out.join('\n');
}

const KIND_WORD: Readonly<Record<CaseResult['kind'], string>> = { op: 'op', graph: 'model', bench: 'benchmark', collective: 'collective' };

/** The failures section: each failing subject with its count and worst margin, then its detailed cases. */
export function failuresSection(report: Report, plan: FailurePlan, anchors: Anchors): string[] {
  const out = ['<section id="failures" aria-labelledby="failures-h">'];
  if (plan.total === 0) {
    out.push('<h2 id="failures-h">Failures: none</h2>', '<p>No case failed, errored, crashed or timed out.</p>', '</section>');
    return out;
  }
  out.push(`<h2 id="failures-h">Failures: ${plural(plan.total, 'case')} in ${plural(plan.groups.length, 'subject')}</h2>`);
  const shown = plan.detailed.size;
  out.push(
    `<p>Cases that failed, errored, crashed or timed out, grouped by op, model or benchmark, the worst first. ` +
      (shown < plan.total
        ? `${shown} of them are detailed here (the worst of each); report.json and junit.xml hold every one.`
        : 'Every one is detailed here.') +
      ' Each rerun command runs the case alone on the same target with the same inputs.</p>',
  );
  out.push('<div class="scroll"><table>', '<caption>Failing subjects</caption>');
  out.push('<thead><tr><th scope="col">subject</th><th scope="col">kind</th><th scope="col" class="num">failing</th><th scope="col" class="num">worst margin</th><th scope="col" class="num">detailed</th></tr></thead><tbody>');
  for (const g of plan.groups) {
    const first = g.shown[0];
    const name = first ? `<a href="#${anchors.id('case', first.id)}">${code(g.subject)}</a>` : code(g.subject);
    out.push(`<tr><th scope="row">${name}</th><td>${KIND_WORD[g.kind]}</td><td class="num">${g.results.length}</td><td class="num">${formatMargin(g.worst)}</td><td class="num">${g.shown.length}</td></tr>`);
  }
  out.push('</tbody></table></div>');
  for (const g of plan.groups) {
    if (g.shown.length === 0) continue;
    out.push(`<h3>${code(g.subject)}: ${plural(g.results.length, 'failing case')}, worst margin ${formatMargin(g.worst)}</h3>`);
    for (const r of g.shown) out.push(caseArticle(report, r, anchors));
    if (g.results.length > g.shown.length) out.push(`<p class="muted">… and ${g.results.length - g.shown.length} more failing cases of ${code(g.subject)} (report.json, junit.xml).</p>`);
  }
  out.push('</section>');
  return out;
}

const MAX_REASONS = 30;

/** Cases that did not run on the device (unsupported, or not applicable), grouped by reason: counts, not lists. */
export function notRunSection(report: Report): string[] {
  const notRun = report.results.filter((r) => (r.status === 'unsupported' || r.status === 'skip') && r.kind !== 'bench');
  if (notRun.length === 0) return [];
  const byReason = new Map<string, { status: Status; results: CaseResult[] }>();
  for (const r of notRun) {
    const key = `${r.status}\n${r.message ?? ''}`;
    const entry = byReason.get(key);
    if (entry) entry.results.push(r);
    else byReason.set(key, { status: r.status, results: [r] });
  }
  const reasons = [...byReason.values()].sort((a, b) => b.results.length - a.results.length);
  const out = [
    '<section id="not-run" aria-labelledby="not-run-h">',
    `<h2 id="not-run-h">Not run: ${plural(notRun.length, 'case')}</h2>`,
    '<p>Cases the device does not support, or that do not apply to it, by reason.</p>',
    '<div class="scroll"><table><caption>Reasons cases did not run</caption>',
    '<thead><tr><th scope="col">status</th><th scope="col" class="num">cases</th><th scope="col">reason</th><th scope="col">subjects</th><th scope="col">first case</th></tr></thead><tbody>',
  ];
  for (const { status, results } of reasons.slice(0, MAX_REASONS)) {
    const subjects = [...new Set(results.map((r) => r.subject))];
    const named = subjects.slice(0, 4).map(code).join(', ') + (subjects.length > 4 ? ` and ${subjects.length - 4} more` : '');
    out.push(
      `<tr><td>${badge(status)}</td><td class="num">${results.length}</td><td>${esc(results[0]?.message ?? 'no reason given')}</td><td>${named}</td><td>${code(results[0]?.id ?? '')}</td></tr>`,
    );
  }
  if (reasons.length > MAX_REASONS) out.push(`<tr><td colspan="5">… and ${plural(reasons.length - MAX_REASONS, 'other reason')}</td></tr>`);
  out.push('</tbody></table></div>', '</section>');
  return out;
}
