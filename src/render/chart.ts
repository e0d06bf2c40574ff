import { formatPercent, formatSi } from './format.js';
import { FIGURE_UNITS, type BenchEntry, type Benchmarks } from '../report/benchmarks.js';
import type { Report } from '../report/schema.js';
import { deviceName } from '../device/device.js';

/*
 * benchmarks.svg: one row per benchmark, a bar for its median and a whisker for its spread. A self-contained SVG
 * (no scripts, no external references, no CSS) so that it renders the same in a browser, a CI artifact viewer or
 * an image tag of a pull-request comment.
 */

const MIN_WIDTH = 1000;
const CHAR_W = 7; // a generous width of one character at 12 px, to size the chart to its longest value label
const LABEL_RIGHT = 360; // row labels end here, right-aligned
const PLOT_X = 370;
const PLOT_W = 400;
const VALUE_X = PLOT_X + PLOT_W + 10;
const TITLE_H = 52;
const HEAD_H = 40;
const ROW_H = 22;
const GAP = 16;
const MAX_LABEL = 50; // characters that fit left of the plot at 12 px
const BAR = '#4e79a7';
const GRID = '#dddddd';

/** A row as drawn: its label, bar and whisker in percent of the group's axis, and the text after the bar. */
interface Row {
  label: string;
  percent: number;
  low: number;
  high: number;
  value: string;
}

/** Rows that share an axis: every entry set against its peak, or the entries of one unit without one. */
interface Group {
  axis: string;
  rows: Row[];
}

/** Text for XML content and attributes: the five specials escaped, characters XML 1.0 forbids dropped. */
export function xmlEscape(s: string): string {
  // eslint-disable-next-line no-control-regex -- these are exactly the characters to remove
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;');
}

const n = (x: number): string => String(Math.round(x * 10) / 10);

function rowLabel(e: BenchEntry): string {
  return `${e.subject} · ${e.dtype}${e.math === 'tf32' ? ' (tf32)' : ''} · ${e.cache}`;
}

function notes(e: BenchEntry): string {
  return `${e.hostBound ? ' · host-bound' : ''}${e.stable ? '' : ' · unstable'}`;
}

/** The spread scaled like the median: the figure at the p75 and p25 times, as a share of the median figure. */
function scaled(e: BenchEntry, percent: number): Pick<Row, 'percent' | 'low' | 'high'> {
  const f = e.figure;
  const k = f.median > 0 ? percent / f.median : 0;
  return { percent, low: f.low * k, high: f.high * k };
}

function groups(b: Benchmarks): Group[] {
  const out: Group[] = [];
  const withPeak = b.entries.filter((e) => e.peak !== null);
  if (withPeak.length > 0) {
    out.push({
      axis: "percent of the device's dense peak",
      rows: withPeak.map((e) => {
        const p = e.peak as NonNullable<BenchEntry['peak']>;
        return { label: rowLabel(e), ...scaled(e, p.percent), value: `${formatSi(e.figure.median, e.figure.unit)} · ${formatPercent(p.percent / 100)} of ${p.of} peak${notes(e)}` };
      }),
    });
  }
  for (const unit of FIGURE_UNITS) {
    const entries = b.entries.filter((e) => e.peak === null && e.figure.unit === unit);
    if (entries.length === 0) continue;
    const largest = Math.max(...entries.map((e) => e.figure.median));
    out.push({
      axis: `${unit}, peak unknown: percent of the largest median in this group (${formatSi(largest, unit)})`,
      rows: entries.map((e) => ({ label: rowLabel(e), ...scaled(e, largest > 0 ? (100 * e.figure.median) / largest : 0), value: `${formatSi(e.figure.median, unit)}${notes(e)}` })),
    });
  }
  return out;
}

/** The axis runs 0–100 %, further (in steps of 25) when a figure or its spread goes beyond, as a wrong peak can make it. */
function axisMax(g: Group): number {
  const top = Math.max(100, ...g.rows.map((r) => r.high));
  return Math.ceil(top / 25) * 25;
}

/** Long labels end in … (the row's <title> holds them whole); by code points, so no surrogate pair is split. */
function truncate(s: string): string {
  const chars = [...s];
  return chars.length > MAX_LABEL ? `${chars.slice(0, MAX_LABEL - 1).join('')}…` : s;
}

function groupSvg(g: Group, top: number): string[] {
  const max = axisMax(g);
  const x = (pct: number): number => PLOT_X + (PLOT_W * Math.min(Math.max(pct, 0), max)) / max;
  const bottom = top + HEAD_H + g.rows.length * ROW_H;
  const out = [`<g class="group">`, `<text x="${PLOT_X}" y="${top + 14}" font-weight="bold">${xmlEscape(g.axis)}</text>`];
  for (let t = 0; t <= max; t += 25) {
    out.push(
      `<line x1="${n(x(t))}" y1="${top + HEAD_H - 6}" x2="${n(x(t))}" y2="${bottom}" stroke="${GRID}"/>`,
      `<text x="${n(x(t))}" y="${top + HEAD_H - 10}" text-anchor="middle" font-size="10" fill="#555555">${t} %</text>`,
    );
  }
  g.rows.forEach((r, i) => {
    const y = top + HEAD_H + i * ROW_H;
    const mid = y + ROW_H / 2;
    out.push(
      `<g class="row">`,
      `<title>${xmlEscape(r.label)}</title>`,
      `<text x="${LABEL_RIGHT}" y="${mid + 4}" text-anchor="end">${xmlEscape(truncate(r.label))}</text>`,
      `<rect x="${PLOT_X}" y="${y + 4}" width="${n(x(r.percent) - PLOT_X)}" height="${ROW_H - 8}" fill="${BAR}"/>`,
      `<line x1="${n(x(r.low))}" y1="${mid}" x2="${n(x(r.high))}" y2="${mid}" stroke="#222222" stroke-width="1.5"/>`,
      `<line x1="${n(x(r.low))}" y1="${mid - 4}" x2="${n(x(r.low))}" y2="${mid + 4}" stroke="#222222" stroke-width="1.5"/>`,
      `<line x1="${n(x(r.high))}" y1="${mid - 4}" x2="${n(x(r.high))}" y2="${mid + 4}" stroke="#222222" stroke-width="1.5"/>`,
      `<text x="${VALUE_X}" y="${mid + 4}">${xmlEscape(r.value)}</text>`,
      `</g>`,
    );
  });
  out.push('</g>');
  return out;
}

/** The benchmarks of a report as an SVG chart: rows grouped by axis, bar = median, whisker = spread (p25–p75 times). */
export function benchmarksSvg(b: Benchmarks, title: string): string {
  const body: string[] = [];
  let y = TITLE_H;
  const all = groups(b);
  const longest = Math.max(0, ...all.flatMap((g) => g.rows.map((r) => [...r.value].length)));
  const width = Math.max(MIN_WIDTH, VALUE_X + CHAR_W * longest + 10);
  for (const g of all) {
    body.push(...groupSvg(g, y));
    y += HEAD_H + g.rows.length * ROW_H + GAP;
  }
  if (b.entries.length === 0) {
    body.push(`<text x="${PLOT_X}" y="${y + 14}">no benchmark was measured</text>`);
    y += HEAD_H;
  }
  const height = y;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" fill="#111111">`,
    `<title>${xmlEscape(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${xmlEscape(title)}</text>`,
    `<text x="10" y="40" font-size="11" fill="#555555">${xmlEscape(`scale ${b.scale}; bar: median throughput; whisker: spread (the figure at the p75 and p25 times); higher is better`)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** The chart's title for a run: the device, driver and start time. */
export function chartTitle(report: Report): string {
  const { target } = report;
  return `accelcert benchmarks: ${deviceName(target.fingerprint)} (driver ${target.driver}, device ${target.device}), ${report.startedAt}`;
}
