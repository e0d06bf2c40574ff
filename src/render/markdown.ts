import { deviceName } from '../device/device.js';
import type { Status } from '../judge/result.js';
import type { CaseResult } from '../runner/result.js';
import type { Report } from '../report/schema.js';
import type { Benchmarks } from '../report/benchmarks.js';
import { formatMargin } from '../judge/describe.js';
import { coverageMatrix, type CoverageCell } from './coverage.js';
import { benchNotes, collectiveTable, failureText, formatFigure, formatPercent, formatSi, marginRank, mdCell, mdCode, mdText, rerunCommand, shellQuote, worstMargin } from './format.js';

const NOT_PASSED: readonly Status[] = ['fail', 'error', 'crash', 'timeout', 'unsupported'];
/** Keeps the summary well under CI step-summary limits (GitHub: 1 MiB) for any report size. */
const MAX_OPS = 40;
const MAX_CASES_PER_OP = 8;
const MAX_LISTED = 50;

/** summary.md: verdict first, then failures grouped by op (worst margin, rerun command per case), waivers. */
export function renderMarkdown(report: Report): string {
  const { verdict, target, summary } = report;
  const out: string[] = [];
  const fp = target.fingerprint;
  out.push(`# accelcert: ${verdict.status}`);
  out.push('');
  out.push(
    `**${verdict.status}** for profile \`${verdict.profile}\` on ${deviceName(fp)} ` +
      `(driver \`${target.driver}\`, device \`${target.device}\`), accelcert ${report.harness.version}.`,
  );
  out.push('');
  for (const reason of verdict.reasons) out.push(`- ${mdText(reason)}`);
  out.push('');
  const counts = (Object.entries(summary.byStatus) as [Status, number][]).filter(([, n]) => n > 0);
  out.push(`| status | cases |`, `| --- | ---: |`);
  for (const [s, n] of counts) out.push(`| ${s} | ${n} |`);
  out.push(`| **total** | **${summary.total}** |`);
  out.push('');
  const cov = summary.coverage;
  // a run of benchmarks or collectives alone calls no op: the opset's coverage says nothing of it
  if (report.results.some((r) => r.kind === 'op' || r.kind === 'graph')) {
    out.push(
      `Core ATen coverage: **${cov.passed}** overloads passed of ${cov.run} run, of the ${cov.overloads - cov.notApplicable} device kernels ` +
        `in the opset (${cov.overloads} overloads; ${cov.notApplicable} are not device kernels). The op × dtype matrix is at the end.`,
    );
    out.push('');
  }

  out.push(...modelSection(report));
  out.push(...collectiveSection(report));
  out.push(...benchmarkSection(report));

  const failing = report.results.filter((r) => NOT_PASSED.includes(r.status));
  if (failing.length > 0) {
    const byOp = new Map<string, CaseResult[]>();
    for (const r of failing) {
      const list = byOp.get(r.subject);
      if (list) list.push(r);
      else byOp.set(r.subject, [r]);
    }
    const ops = [...byOp.entries()]
      .map(([op, rs]) => ({ op, rs, worst: rs.map(worstMargin).reduce((a, b) => (marginRank(b) > marginRank(a) ? b : a)) }))
      .sort((a, b) => marginRank(b.worst) - marginRank(a.worst) || b.rs.length - a.rs.length || a.op.localeCompare(b.op));
    out.push(`## Failures: ${failing.length} cases in ${ops.length} ops`);
    out.push('');
    for (const { op, rs, worst } of ops.slice(0, MAX_OPS)) {
      out.push(`### \`${op}\` — ${rs.length} failing, worst margin ${formatMargin(worst)}`);
      out.push('');
      out.push('| case | dtype | status | margin | what went wrong |', '| --- | --- | --- | ---: | --- |');
      const shown = [...rs].sort((a, b) => marginRank(worstMargin(b)) - marginRank(worstMargin(a))).slice(0, MAX_CASES_PER_OP);
      for (const r of shown) {
        out.push(`| \`${mdCell(r.id)}\` | ${r.dtype} | ${r.status} | ${formatMargin(worstMargin(r))} | ${mdCell(failureText(r))} |`);
      }
      if (rs.length > shown.length) out.push(`| … ${rs.length - shown.length} more | | | | |`);
      out.push('');
      out.push('Rerun each alone:');
      out.push('');
      out.push('```sh');
      for (const r of shown) out.push(rerunCommand(report, r.id));
      out.push('```');
      out.push('');
    }
    if (ops.length > MAX_OPS) out.push(`… and ${ops.length - MAX_OPS} more ops with failures (see junit.xml or report.json).`, '');
  }

  const waived = report.results.filter((r) => r.status === 'waived');
  if (report.waivers.length > 0) {
    out.push(`## Waivers: ${waived.length} cases waived`);
    out.push('');
    out.push('| waiver | cases | devices | matched | reason |', '| --- | --- | --- | ---: | --- |');
    for (const w of report.waivers) {
      out.push(`| [${mdCell(w.id)}](${w.url}) | \`${mdCell(w.cases)}\` | \`${mdCell(w.devices)}\` | ${w.matched.length} | ${mdCell(w.reason)} |`);
    }
    out.push('');
    const unused = report.waivers.filter((w) => w.matched.length === 0);
    if (unused.length > 0) out.push(`Waivers that matched nothing: ${unused.map((w) => w.id).join(', ')}.`, '');
    for (const r of waived.slice(0, MAX_LISTED)) out.push(`- \`${r.id}\` (${r.waiver ?? '?'}), margin ${formatMargin(worstMargin(r))}`);
    if (waived.length > MAX_LISTED) out.push(`- … ${waived.length - MAX_LISTED} more`);
    if (waived.length > 0) out.push('');
  }

  const skipped = report.results.filter((r) => r.status === 'skip');
  if (skipped.length > 0) {
    out.push(`## Skipped: ${skipped.length} cases`, '');
    for (const r of skipped.slice(0, MAX_LISTED)) out.push(`- \`${r.id}\`: ${r.message ?? 'no reason given'}`);
    if (skipped.length > MAX_LISTED) out.push(`- … ${skipped.length - MAX_LISTED} more`);
    out.push('');
  }

  out.push(...matrixSection(report));

  const fw = fp.framework ? `${fp.framework.name} ${fp.framework.version}` : 'no framework';
  out.push(
    `<sub>${deviceName(fp)}, driver version ${fp.driverVersion ?? 'unknown'}, ${fw}; ` +
      `host ${report.host.hostname} (${report.host.os.platform} ${report.host.os.arch}); ` +
      `${report.startedAt} → ${report.endedAt}; ${mdCode(shellQuote(report.command))}</sub>`,
  );
  out.push('');
  return out.join('\n');
}

/** A task check's figure as people read it: agreement share, worst cosine, tokens identical or not (report.html shows it too). */
export function checkFigure(r: CaseResult, kind: 'top1' | 'cosine' | 'tokens'): string {
  const o = r.outputs.find((x) => (kind === 'tokens' ? x.rule === 'tokens identical' : x.rule.startsWith(`${kind}≥`)));
  if (!o) return '';
  if (o.problem !== null) return 'no';
  if (kind === 'tokens') return o.mismatches === 0 ? `${o.elements} identical` : `${o.mismatches} of ${o.elements} differ`;
  if (o.maxRelError === null) return 'NaN';
  return kind === 'top1' ? `${(100 * (1 - o.maxRelError)).toFixed(1)}%` : (1 - o.maxRelError).toPrecision(7);
}

/** The model table: one row per graph case, with its value margin, task checks and the first node out of bound. */
function modelSection(report: Report): string[] {
  const models = report.results.filter((r) => r.kind === 'graph');
  if (models.length === 0) return [];
  const out = [`## Models: ${models.filter((r) => r.status === 'pass').length} of ${models.length} cases passed`, ''];
  out.push('| model | dtype | mode | status | value margin | top-1 | cosine | greedy tokens | first node out of bound |');
  out.push('| --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |');
  for (const r of models) {
    const values = r.outputs.filter((o) => o.rule.startsWith('model('));
    const margin = values.length === 0 ? '' : formatMargin(values.map((o) => o.margin).reduce((a, b) => (a === null || b === null ? null : Math.max(a, b))));
    const node = r.divergence ? `\`${r.divergence.node}\` (${r.divergence.op})` : r.status === 'pass' ? '' : mdCell(r.message ?? '');
    const mode = r.id.split('/').at(-1) ?? '';
    out.push(`| \`${mdCell(r.subject)}\` | ${r.dtype} | ${mdCell(mode)} | ${r.status} | ${margin} | ${checkFigure(r, 'top1')} | ${checkFigure(r, 'cosine')} | ${checkFigure(r, 'tokens')} | ${node} |`);
  }
  out.push('');
  return out;
}

/** The collectives as a table: per collective and dtype, each world size's passed cases of its cases (collectiveTable). */
function collectiveSection(report: Report): string[] {
  const t = collectiveTable(report.results);
  if (t.rows.length === 0) return [];
  const out = [`## Collectives: ${t.passed} of ${t.ran} cases passed`, ''];
  out.push(`| collective | dtype | ${t.worlds.map((w) => `${w} ranks`).join(' | ')} |`, `| --- | --- |${t.worlds.map(() => ' :-: |').join('')}`);
  for (const row of t.rows) out.push(`| \`${mdCell(row.subject)}\` | ${row.dtype} | ${row.cells.join(' | ')} |`);
  out.push('');
  return out;
}

/** Where the peaks came from and what they are, in one line: a percentage of peak means nothing without it. */
function peakLine(peak: Benchmarks['peak']): string {
  const values = [
    ...Object.entries(peak.computeTflops).map(([p, t]) => `${p} ${formatSi(t * 1e12, 'FLOP/s')}`),
    ...(peak.memoryTBs === null ? [] : [`memory ${formatSi(peak.memoryTBs * 1e12, 'B/s')}`]),
  ].join(', ');
  if (peak.source === 'unknown') return 'peaks unknown for this device (no table entry; `run --peak` gives them), so no percentage of peak';
  const from = peak.source === 'table' ? `from the built-in table for ${mdText(peak.product ?? 'this device')}` : 'given with `--peak`';
  return `dense peaks ${from}: ${values || 'none'}`;
}

/** The benchmark table: one row per measured benchmark, then the bench cases that were not measured and why. */
function benchmarkSection(report: Report): string[] {
  const b = report.benchmarks;
  if (!b) return [];
  const cases = report.results.filter((r) => r.kind === 'bench');
  const out = [`## Benchmarks: ${b.entries.length} of ${cases.length} measured`, ''];
  out.push(`Scale \`${b.scale}\`; ${peakLine(b.peak)}.`, '');
  if (b.entries.length > 0) {
    out.push('| benchmark | dtype | cache | figure: median [low–high] | % of peak | median time | samples | rel. IQR | notes |');
    out.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const e of b.entries) {
      const math = e.math === 'tf32' ? ' (tf32)' : '';
      const peak = e.peak ? `${formatPercent(e.peak.percent / 100)} of ${e.peak.of}` : '—';
      out.push(
        `| \`${mdCell(e.subject)}\` | ${e.dtype}${math} | ${e.cache} | ${formatFigure(e.figure)} | ${peak} | ${formatSi(e.medianMs / 1000, 's')} | ${e.samples} | ${formatPercent(e.relativeIqr)} | ${benchNotes(e)} |`,
      );
    }
    out.push('');
  }
  const measured = new Set(b.entries.map((e) => e.id));
  // benchmarks skipped as not applicable are listed with every skipped case below; the rest (errors, crashes) here
  const notApplicable = cases.filter((r) => !measured.has(r.id) && r.status === 'skip').length;
  const missing = cases.filter((r) => !measured.has(r.id) && r.status !== 'skip');
  if (notApplicable > 0) out.push(`${notApplicable} ${notApplicable === 1 ? 'benchmark is' : 'benchmarks are'} not applicable on this device (listed under Skipped).`, '');
  if (missing.length > 0) {
    out.push('Not measured:', '');
    for (const r of missing.slice(0, MAX_LISTED)) out.push(`- \`${r.id}\`: ${r.status}${r.message ? ` — ${mdText(r.message.replaceAll('\n', ' '))}` : ''}`);
    if (missing.length > MAX_LISTED) out.push(`- … ${missing.length - MAX_LISTED} more`);
    out.push('');
  }
  return out;
}

const MARK: Record<CoverageCell, string> = { pass: '✓', fail: '✗', unsupported: 'U', error: 'E', waived: 'W', none: '·' };

/** The op × dtype matrix, folded: ✓ every case passed, ✗ a case failed, E errored, U unsupported, W waived, · no case. */
function matrixSection(report: Report): string[] {
  const m = coverageMatrix(report);
  if (m.dtypes.length === 0) return [];
  const out = ['<details><summary>Core ATen overloads × dtypes</summary>', ''];
  out.push('✓ every case passed · ✗ a case failed · E error, crash or timeout · U unsupported · W waived · `·` no case · n/a not a device kernel', '');
  out.push(`| op | ${m.dtypes.join(' | ')} |`, `| --- |${m.dtypes.map(() => ' :-: |').join('')}`);
  for (const r of m.rows) {
    const cells = r.notApplicable !== null ? m.dtypes.map(() => 'n/a') : r.cells.map((c) => MARK[c]);
    out.push(`| \`${r.op.replace(/^aten\./, '')}\` | ${cells.join(' | ')} |`);
  }
  out.push('', '</details>', '');
  return out;
}
