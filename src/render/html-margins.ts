import { formatMargin } from '../judge/describe.js';
import type { OutputMetrics } from '../judge/result.js';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import { worstMargin } from './format.js';
import { code, esc, plural, quantile } from './html-util.js';

/*
 * How close the passing cases came to their bounds: per op, the distribution of each passing case's worst margin
 * (observed error / allowed error; 1 is the bound) as quantiles and a small histogram, then the closest passes of the
 * whole run. A margin near 1 passes today and is where a driver update breaks first.
 */

/** Histogram bins: exactly 0 (an exact answer), then (0, 0.1], (0.1, 0.2], …, (0.9, 1]. */
const BINS = 11;
const BIN_LABELS = ['0', ...Array.from({ length: 10 }, (_, k) => `${k / 10}–${(k + 1) / 10}`)];
const CLOSEST = 25;
/** Closest passes per subject: an op whose every case sits at its bound (a correctly rounded op can) would fill the table. */
const CLOSEST_PER_SUBJECT = 2;

function binOf(margin: number): number {
  if (margin <= 0) return 0;
  return Math.min(BINS - 1, Math.max(1, Math.ceil(margin * 10 - 1e-9)));
}

/**
 * A histogram as a small inline SVG, drawn here rather than by a charting library: eleven bars need no axis logic,
 * and hand-written SVG adds no script and nothing to fetch. Its label carries every count, so a screen reader (and a
 * printout without colour) loses nothing.
 */
function histogramSvg(op: string, counts: readonly number[]): string {
  const W = 10;
  const H = 26;
  const max = Math.max(1, ...counts);
  const bars = counts
    .map((n, i) => {
      if (n === 0) return '';
      const h = Math.max(1, Math.round((H * n) / max));
      // the last two bins, within 20 % of the bound, in amber: the passes to watch
      const fill = i === 0 ? '#9aa3ae' : i >= BINS - 2 ? '#d97706' : '#4e79a7';
      return `<rect x="${i * W}" y="${H - h + 1}" width="${W - 2}" height="${h}" fill="${fill}"/>`;
    })
    .join('');
  const label = `margins of passing ${op} cases: ${counts.map((n, i) => `${BIN_LABELS[i]}: ${n}`).join(', ')}`;
  return (
    `<svg class="hist" role="img" aria-label="${esc(label)}" width="${BINS * W + 2}" height="${H + 4}" viewBox="0 0 ${BINS * W + 2} ${H + 4}">` +
    `<line x1="0" y1="${H + 1.5}" x2="${BINS * W}" y2="${H + 1.5}" stroke="#888"/>` +
    `<line x1="${BINS * W}" y1="0" x2="${BINS * W}" y2="${H + 3}" stroke="#b91c1c"/>${bars}</svg>`
  );
}

/** The output with the largest margin: the one that came closest to its bound. */
function closestOutput(r: CaseResult): OutputMetrics | undefined {
  let best: OutputMetrics | undefined;
  for (const o of r.outputs) if (o.margin !== null && (best === undefined || o.margin > (best.margin ?? -1))) best = o;
  return best;
}

export function marginsSection(report: Pick<Report, 'results'>): string[] {
  const byOp = new Map<string, { margin: number; r: CaseResult }[]>();
  const passes: { margin: number; r: CaseResult }[] = [];
  for (const r of report.results) {
    if (r.status !== 'pass' || r.kind === 'bench') continue;
    const m = worstMargin(r);
    if (typeof m !== 'number') continue;
    passes.push({ margin: m, r });
    if (r.kind !== 'op') continue;
    const list = byOp.get(r.subject);
    if (list) list.push({ margin: m, r });
    else byOp.set(r.subject, [{ margin: m, r }]);
  }
  // a run of benchmarks only, or with no pass, has nothing to show here
  if (passes.length === 0) return [];
  const out = ['<section id="margins" aria-labelledby="margins-h">', '<h2 id="margins-h">Margins: how close the passes came</h2>'];
  out.push(
    '<p>A case’s margin is its worst output’s observed error over the error its rule allows: 0 is exact, 1 is the bound, above 1 fails. ' +
      'Per op, the passing cases’ margins: quantiles, and a histogram with one bar for exactly 0 and one per tenth up to the bound (the red line); ' +
      'amber bars are within 20 % of it.</p>',
  );
  if (byOp.size > 0) {
    const ops = [...byOp.entries()].map(([op, list]) => ({ op, list, sorted: list.map((x) => x.margin).sort((a, b) => a - b) }));
    ops.sort((a, b) => (b.sorted.at(-1) ?? 0) - (a.sorted.at(-1) ?? 0) || a.op.localeCompare(b.op));
    out.push(
      '<div class="scroll"><table>',
      '<caption>Margins of passing cases per op, the closest to the bound first</caption>',
      '<thead><tr><th scope="col">op</th><th scope="col" class="num">passing cases</th><th scope="col" class="num">exact (0)</th>' +
        '<th scope="col" class="num">median</th><th scope="col" class="num">p90</th><th scope="col" class="num">p99</th><th scope="col" class="num">max</th>' +
        '<th scope="col">distribution 0 → 1</th><th scope="col">closest pass</th></tr></thead><tbody>',
    );
    for (const { op, list, sorted } of ops) {
      const counts = new Array<number>(BINS).fill(0);
      for (const m of sorted) counts[binOf(m)] = (counts[binOf(m)] ?? 0) + 1;
      const closest = list.reduce((a, b) => (b.margin > a.margin ? b : a));
      const q = (p: number): string => formatMargin(quantile(sorted, p));
      out.push(
        `<tr><th scope="row">${code(op)}</th><td class="num">${sorted.length}</td><td class="num">${counts[0]}</td>` +
          `<td class="num">${q(0.5)}</td><td class="num">${q(0.9)}</td><td class="num">${q(0.99)}</td><td class="num">${formatMargin(sorted.at(-1))}</td>` +
          `<td>${histogramSvg(op, counts)}</td><td>${code(closest.r.id.split('/').slice(3).join('/'))}</td></tr>`,
      );
    }
    out.push('</tbody></table></div>');
  }
  const perSubject = new Map<string, number>();
  const closest = passes
    .filter((p) => p.margin > 0)
    // a stable sort: equal margins keep the report's order
    .sort((a, b) => b.margin - a.margin)
    .filter((p) => {
      const n = perSubject.get(p.r.subject) ?? 0;
      perSubject.set(p.r.subject, n + 1);
      return n < CLOSEST_PER_SUBJECT;
    })
    .slice(0, CLOSEST);
  if (byOp.size === 0 && closest.length === 0) out.push('<p>Every passing case had a margin of 0: its answers were exact.</p>');
  if (closest.length > 0) {
    out.push(
      `<h3>The ${plural(closest.length, 'closest pass', 'closest passes')}</h3>`,
      '<div class="scroll"><table>',
      `<caption>Passing cases with the largest margins (at most ${CLOSEST_PER_SUBJECT} per op or model), with the element that came closest</caption>`,
      '<thead><tr><th scope="col">case</th><th scope="col" class="num">margin</th><th scope="col">output, rule</th><th scope="col">at index</th>' +
        '<th scope="col">expected</th><th scope="col">actual</th><th scope="col">allowed</th></tr></thead><tbody>',
    );
    for (const { margin, r } of closest) {
      const o = closestOutput(r);
      const w = o?.worst;
      out.push(
        `<tr><th scope="row">${code(r.id)}</th><td class="num">${formatMargin(margin)}</td><td>${o ? `${o.index}, ${esc(o.rule)}` : ''}</td>` +
          (w
            ? `<td class="mono idx">[${esc(w.index.join(', '))}]</td><td class="mono">${esc(w.expected)}</td><td class="mono">${esc(w.actual)}</td><td class="mono">${esc(w.allowed)}</td>`
            : '<td colspan="4" class="muted">no element recorded</td>') +
          '</tr>',
      );
    }
    out.push('</tbody></table></div>');
  }
  out.push('</section>');
  return out;
}
