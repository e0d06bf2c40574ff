import { formatMargin } from '../judge/describe.js';
import type { Benchmarks } from '../report/benchmarks.js';
import type { Report } from '../report/schema.js';
import { benchmarksSvg, chartTitle } from './chart.js';
import { benchNotes, collectiveTable, formatFigure, formatPercent, formatSi } from './format.js';
import { Anchors, badge, code, esc, plural } from './html-util.js';
import { checkFigure } from './markdown.js';

/*
 * The model and benchmark sections of report.html: the same facts as summary.md's tables, and the benchmark chart
 * (benchmarks.svg, drawn by chart.ts) inline, so the page needs no file beside it.
 */

/** The model table: one row per graph case with its value margin, task checks and the first node out of bound. */
export function modelsSection(report: Report, anchors: Anchors, detailed: ReadonlySet<string>): string[] {
  const models = report.results.filter((r) => r.kind === 'graph');
  if (models.length === 0) return [];
  const passed = models.filter((r) => r.status === 'pass').length;
  const out = [
    '<section id="models" aria-labelledby="models-h">',
    `<h2 id="models-h">Models: ${passed} of ${plural(models.length, 'case')} passed</h2>`,
    '<p>Each model runs as a graph of ATen calls, eager and compiled; its values are judged against model bounds, then its task checks.</p>',
    '<div class="scroll"><table>',
    '<caption>Model cases</caption>',
    '<thead><tr><th scope="col">model</th><th scope="col">dtype</th><th scope="col">mode</th><th scope="col">status</th><th scope="col" class="num">value margin</th>' +
      '<th scope="col" class="num">top-1</th><th scope="col" class="num">cosine</th><th scope="col">greedy tokens</th><th scope="col">first node out of bound, or why</th></tr></thead><tbody>',
  ];
  for (const r of models) {
    const values = r.outputs.filter((o) => o.rule.startsWith('model('));
    const margin = values.length === 0 ? '' : formatMargin(values.map((o) => o.margin).reduce((a, b) => (a === null || b === null ? null : Math.max(a, b))));
    const why = r.divergence ? `${code(r.divergence.node)} (${esc(r.divergence.op)})` : r.status === 'pass' ? '' : esc(r.message ?? '');
    const name = detailed.has(r.id) ? `<a href="#${anchors.id('case', r.id)}">${code(r.subject)}</a>` : code(r.subject);
    out.push(
      `<tr><th scope="row">${name}</th><td>${r.dtype}</td><td>${esc(r.id.split('/').at(-1) ?? '')}</td><td>${badge(r.status)}</td><td class="num">${margin}</td>` +
        `<td class="num">${esc(checkFigure(r, 'top1'))}</td><td class="num">${esc(checkFigure(r, 'cosine'))}</td><td>${esc(checkFigure(r, 'tokens'))}</td><td>${why}</td></tr>`,
    );
  }
  out.push('</tbody></table></div>', '</section>');
  return out;
}

/** The collectives: per collective and dtype, each world size's passed cases of its cases, n/a where the device forms fewer ranks. */
export function collectivesSection(report: Report): string[] {
  const t = collectiveTable(report.results);
  if (t.rows.length === 0) return [];
  const out = [
    '<section id="collectives" aria-labelledby="collectives-h">',
    `<h2 id="collectives-h">Collectives: ${t.passed} of ${plural(t.ran, 'case')} passed</h2>`,
    '<p>Each collective runs across the ranks of the node, its every rank judged; n/a: the device forms fewer ranks than the cases need.</p>',
    '<div class="scroll"><table>',
    '<caption>Collectives by world size: passed of run</caption>',
    `<thead><tr><th scope="col">collective</th><th scope="col">dtype</th>${t.worlds.map((w) => `<th scope="col">${w} ranks</th>`).join('')}</tr></thead><tbody>`,
  ];
  for (const row of t.rows) out.push(`<tr><th scope="row">${code(row.subject)}</th><td>${esc(row.dtype)}</td>${row.cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  out.push('</tbody></table></div>', '</section>');
  return out;
}

/** Where the peaks came from, in words: a percentage of peak means nothing without it. */
function peakText(peak: Benchmarks['peak']): string {
  if (peak.source === 'unknown') return 'Peaks are unknown for this device (no table entry; <code>run --peak</code> gives them), so no figure has a percentage of peak.';
  const values = [
    ...Object.entries(peak.computeTflops).map(([p, t]) => `${p} ${formatSi(t * 1e12, 'FLOP/s')}`),
    ...(peak.memoryTBs === null ? [] : [`memory ${formatSi(peak.memoryTBs * 1e12, 'B/s')}`]),
  ].join(', ');
  const from = peak.source === 'table' ? `from the built-in table for ${esc(peak.product ?? 'this device')}` : 'given with <code>--peak</code> (the submitter’s word)';
  return `Dense peaks ${from}: ${esc(values || 'none')}.`;
}


/** The chart as inline SVG: its XML declaration dropped, its <title> its accessible name. */
function inlineChart(b: Benchmarks, title: string): string {
  return benchmarksSvg(b, title)
    .replace(/^<\?xml[^>]*\?>\n/, '')
    .replace('<svg ', '<svg class="chart" role="img" ')
    .trimEnd();
}

/** The benchmarks: figure against peak (chart and table), the cases not measured, and what the page cannot compare. */
export function benchmarksSection(report: Report): string[] {
  const b = report.benchmarks;
  if (!b) return [];
  const cases = report.results.filter((r) => r.kind === 'bench');
  const out = [
    '<section id="benchmarks" aria-labelledby="benchmarks-h">',
    `<h2 id="benchmarks-h">Benchmarks: ${b.entries.length} of ${cases.length} measured</h2>`,
    `<p>Scale <code>${esc(b.scale)}</code>. ${peakText(b.peak)}</p>`,
  ];
  if (b.entries.length > 0) {
    out.push(`<figure>${inlineChart(b, chartTitle(report))}</figure>`);
    out.push(
      '<div class="scroll"><table>',
      '<caption>Measured benchmarks: figure at the median time with its spread (the figure at the p75 and p25 times)</caption>',
      '<thead><tr><th scope="col">benchmark</th><th scope="col">dtype</th><th scope="col">cache</th><th scope="col" class="num">figure: median [low–high]</th>' +
        '<th scope="col" class="num">% of peak</th><th scope="col" class="num">median time</th><th scope="col" class="num">samples</th><th scope="col" class="num">rel. IQR</th><th scope="col">notes</th></tr></thead><tbody>',
    );
    for (const e of b.entries) {
      const peak = e.peak ? `${formatPercent(e.peak.percent / 100)} of ${e.peak.of}` : '—';
      out.push(
        `<tr><th scope="row">${code(e.subject)}</th><td>${e.dtype}${e.math === 'tf32' ? ' (tf32)' : ''}</td><td>${e.cache}</td><td class="num">${esc(formatFigure(e.figure))}</td>` +
          `<td class="num">${esc(peak)}</td><td class="num">${esc(formatSi(e.medianMs / 1000, 's'))}</td><td class="num">${e.samples}</td><td class="num">${esc(formatPercent(e.relativeIqr))}</td><td>${esc(benchNotes(e))}</td></tr>`,
      );
    }
    out.push('</tbody></table></div>');
  }
  const measured = new Set(b.entries.map((e) => e.id));
  const missing = cases.filter((r) => !measured.has(r.id));
  if (missing.length > 0) {
    out.push('<div class="scroll"><table><caption>Benchmarks not measured</caption><thead><tr><th scope="col">case</th><th scope="col">status</th><th scope="col">why</th></tr></thead><tbody>');
    for (const r of missing.slice(0, 100)) out.push(`<tr><th scope="row">${code(r.id)}</th><td>${badge(r.status)}</td><td>${esc(r.message ?? '')}</td></tr>`);
    if (missing.length > 100) out.push(`<tr><td colspan="3">… and ${missing.length - 100} more</td></tr>`);
    out.push('</tbody></table></div>');
  }
  // the comparison of `run --baseline` is written beside the report (comparison.md), not into it: the page cannot show it
  out.push(
    '<p class="muted">No baseline comparison here: report.json does not record one. A run with <code>--baseline DIR</code> writes comparison.md ' +
      'beside this page, and <code>accelcert compare BASELINE CURRENT</code> compares any two runs.</p>',
    '</section>',
  );
  return out;
}
