import { deviceName } from '../device/device.js';
import { STATUSES } from '../judge/result.js';
import type { Report } from '../report/schema.js';
import { formatSi, shellQuote } from './format.js';
import { cellsSection, heatMapSection, opMatrix } from './html-matrix.js';
import { failuresSection, notRunSection, planFailures } from './html-failures.js';
import { marginsSection } from './html-margins.js';
import { benchmarksSection, collectivesSection, modelsSection } from './html-results.js';
import { HTML_STYLE } from './html-style.js';
import { Anchors, badge, code, esc, plural } from './html-util.js';

/*
 * report.html: the report as one self-contained page for people. Everything is inline (style, charts as SVG) and the
 * page has no script, so it renders the same from a file: URL, a CI artifact viewer or a printout, and its
 * Content-Security-Policy forbids every fetch, so opening it tells nobody anything. Like summary.md it is a pure
 * function of the report: `accelcert report DIR --format html` gives the same bytes as the run wrote.
 */

/** No request may leave the page: no script, no fetch, no external style, image or font; inline style and data: images only. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

function duration(from: string, to: string): string {
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** One fact of the run: a term and its description (already HTML). */
const fact = (term: string, html: string): string => `<dt>${esc(term)}</dt><dd>${html}</dd>`;

function selectionText(report: Report): string {
  const s = report.selection;
  const narrowed = [
    ...(s.suites.length > 0 ? [`suites ${s.suites.map(code).join(', ')}`] : []),
    ...(s.filters.length > 0 ? [`filters ${s.filters.map(code).join(', ')}`] : []),
    ...(s.dtypes.length > 0 ? [`dtypes ${s.dtypes.map(code).join(', ')}`] : []),
    ...(s.shard ? [`shard ${s.shard.index}/${s.shard.count}`] : []),
  ];
  return `${plural(s.cases, 'case')}; ${narrowed.length > 0 ? `narrowed by ${narrowed.join('; ')}` : 'the whole profile'}`;
}

/** Who the run was and ran on: target and fingerprint, profile, version, seed, dates, host, command and the signature. */
function runFacts(report: Report): string[] {
  const { target, harness } = report;
  const fp = target.fingerprint;
  const fw = fp.framework ? `${fp.framework.name} ${fp.framework.version}` : 'none';
  const extra = Object.entries(fp.extra);
  const profile = report.graph
    ? `${code('graph')}: the model ${code(report.graph.name)} of graph file ${code(report.graph.file)} (sha256 ${code(report.graph.sha256.slice(0, 16))}…)`
    : `${code(report.profile.name)} (${plural(report.profile.requiredCases, 'required case')})`;
  const seed = report.selection.seed
    ? `${code(report.selection.seed)}${report.challenge ? ' (from a reviewer’s signed challenge, carried in the report)' : ''}`
    : 'none: every case drew its inputs from its own seed';
  const h = report.host;
  const out = [
    '<section id="run" aria-labelledby="run-h">',
    '<h2 id="run-h">Run</h2>',
    '<div class="grid">',
    '<dl class="facts">',
    fact('driver', code(target.driver)),
    fact('device', `${code(target.device)}: ${esc(deviceName(fp))}`),
    fact('fingerprint', esc(`vendor ${fp.vendor}, model ${fp.model}, memory ${fp.memoryBytes === null ? 'unknown' : formatSi(fp.memoryBytes, 'B')}, driver version ${fp.driverVersion ?? 'unknown'}, framework ${fw}`)),
    ...(extra.length > 0 ? [fact('device details', extra.map(([k, v]) => `${esc(k)} ${code(v)}`).join(', '))] : []),
    fact('profile', profile),
    fact('selection', selectionText(report)),
    fact('seed', seed),
    fact('accelcert', `${esc(harness.version)}${harness.gitCommit ? ` (commit ${code(harness.gitCommit.slice(0, 12))})` : ''}`),
    '</dl>',
    '<dl class="facts">',
    fact('started', esc(report.startedAt)),
    fact('ended', `${esc(report.endedAt)}${duration(report.startedAt, report.endedAt) ? ` (${duration(report.startedAt, report.endedAt)})` : ''}`),
    fact('run', `${esc(report.run.outcome)}${report.run.message ? `: ${esc(report.run.message)}` : ''}`),
    fact('host', esc(`${h.hostname}: ${h.os.platform} ${h.os.release} ${h.os.arch}, ${h.cpu.model} × ${h.cpu.cores}, ${formatSi(h.memoryBytes, 'B')}, Node.js ${h.node}`)),
    fact('signed', 'see report.dsse.json beside this page (absent for a run with <code>--no-sign</code>): it signs report.json and this page; check both with <code>accelcert verify DIR --key SIGNER.pub</code>. The report does not carry the signer’s key.'),
    fact('command', code(shellQuote(report.command))),
    '</dl>',
    '</div>',
    '</section>',
  ];
  return out;
}

/** Cases per status, and how much of the Core ATen opset the run covered. */
function countsSection(report: Report): string[] {
  const { summary } = report;
  const rows = STATUSES.filter((s) => (summary.byStatus[s] ?? 0) > 0).map((s) => `<tr><th scope="row">${badge(s)}</th><td class="num">${summary.byStatus[s]}</td></tr>`);
  return [
    '<section id="counts" aria-labelledby="counts-h">',
    '<h2 id="counts-h">Cases</h2>',
    '<table><caption>Cases per status</caption><thead><tr><th scope="col">status</th><th scope="col" class="num">cases</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody><tfoot><tr><th scope="row">total</th><td class="num">${summary.total}</td></tr></tfoot></table>`,
    '</section>',
  ];
}

/** Every waiver given, what it matched, and whether a waiver authority signed the file (only then does verify honour it). */
function waiversSection(report: Report): string[] {
  const out = ['<section id="waivers" aria-labelledby="waivers-h">'];
  if (report.waivers.length === 0) {
    out.push('<h2 id="waivers-h">Waivers: none</h2>', '<p>The run was given no waiver.</p>', '</section>');
    return out;
  }
  const waived = report.results.filter((r) => r.status === 'waived').length;
  out.push(
    `<h2 id="waivers-h">Waivers: ${plural(report.waivers.length, 'waiver')}, ${plural(waived, 'case')} waived</h2>`,
    report.signedWaivers
      ? '<p>The waiver file was <strong>signed by a waiver authority</strong>; the report carries it (<code>signedWaivers</code>), and <code>accelcert verify --waiver-key AUTHORITY.pub</code> checks who signed it.</p>'
      : '<p>The waiver file was <strong>not signed</strong> by a waiver authority (no <code>signedWaivers</code>): <code>accelcert verify</code> does not honour these waivers.</p>',
    '<div class="scroll"><table><caption>Waivers given to the run</caption>',
    '<thead><tr><th scope="col">waiver</th><th scope="col">cases</th><th scope="col">devices</th><th scope="col" class="num">matched</th><th scope="col">reason</th></tr></thead><tbody>',
  );
  for (const w of report.waivers) {
    out.push(
      `<tr><th scope="row"><a href="${esc(w.url)}" rel="noreferrer">${esc(w.id)}</a></th><td>${code(w.cases)}</td><td>${code(w.devices)}</td>` +
        `<td class="num">${w.matched.length === 0 ? '0 (matched nothing)' : w.matched.length}</td><td>${esc(w.reason)}</td></tr>`,
    );
  }
  out.push('</tbody></table></div>', '</section>');
  return out;
}

/** The links at the top: only to the sections this page has. */
function toc(html: string): string {
  const names: [string, string][] = [
    ['run', 'Run'],
    ['counts', 'Cases'],
    ['waivers', 'Waivers'],
    ['matrix', 'Op × dtype matrix'],
    ['failures', 'Failures'],
    ['not-run', 'Not run'],
    ['models', 'Models'],
    ['collectives', 'Collectives'],
    ['benchmarks', 'Benchmarks'],
    ['margins', 'Margins'],
    ['cells', 'Every op and dtype'],
  ];
  const present = names.filter(([id]) => html.includes(`<section id="${id}"`));
  return `<nav class="toc" aria-label="Contents"><ol>${present.map(([id, label]) => `<li><a href="#${id}">${esc(label)}</a></li>`).join('')}</ol></nav>`;
}

/** report.html for a report: one self-contained page (see the comment at the top of this file). */
export function renderHtml(report: Report): string {
  const { verdict, target } = report;
  const anchors = new Anchors();
  const matrix = opMatrix(report);
  const plan = planFailures(report);
  const body = [
    ...runFacts(report),
    ...countsSection(report),
    ...waiversSection(report),
    ...heatMapSection(matrix, anchors, report.summary.coverage),
    ...failuresSection(report, plan, anchors),
    ...notRunSection(report),
    ...modelsSection(report, anchors, plan.detailed),
    ...collectivesSection(report),
    ...benchmarksSection(report),
    ...marginsSection(report),
    ...cellsSection(matrix, anchors, plan.detailed),
  ].join('\n');
  const device = deviceName(target.fingerprint);
  const title = `accelcert ${verdict.status}: ${device} (driver ${target.driver}, device ${target.device}), ${report.startedAt}`;
  const sub = report.graph ? `model ${report.graph.name}` : `profile ${verdict.profile}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${esc(title)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    '</head>',
    '<body>',
    '<a class="skip-link" href="#main">Skip to the report</a>',
    `<header class="verdict v-${verdict.status}"><div>`,
    '<p class="kicker">accelcert certification report</p>',
    `<h1>${esc(verdict.status)}</h1>`,
    `<p class="sub">${esc(sub)} on ${esc(device)}, driver ${code(target.driver)}, device ${code(target.device)}; accelcert ${esc(report.harness.version)}</p>`,
    verdict.reasons.length > 0 ? `<ul>${verdict.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '',
    '</div></header>',
    toc(body),
    '<main id="main">',
    body,
    '</main>',
    `<footer>Rendered from report.json by accelcert ${esc(report.harness.version)}. Every figure on this page is in report.json; ` +
      'summary.md and junit.xml say the same for CI. A page opened from elsewhere proves nothing until <code>accelcert verify</code> has checked its signature.</footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
