import { formatMargin } from '../judge/describe.js';
import { STATUSES, type Status } from '../judge/result.js';
import { CORE_OPSET } from '../ops/core-opset.js';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import { worstMargin } from './format.js';
import { isFailing, MAX_PER_CELL as MAX_NAMED_PER_CELL, worstFirst } from './html-failures.js';
import { Anchors, code, esc, plural, STATUS_TEXT } from './html-util.js';

/*
 * The op × dtype heat map of report.html and the table its cells link to: one row per op and dtype with the counts
 * per status, the closest pass and what did not pass. Passing cases are counted, never listed one by one, so that the
 * page stays small for any number of results.
 */

/** A heat-map cell's state, worst first: a cell shows the worst state among its cases. */
export const CELL_STATES = ['fail', 'error', 'unsupported', 'waived', 'pass', 'skip'] as const;
export type CellState = (typeof CELL_STATES)[number];

export function cellState(status: Status): CellState {
  if (status === 'crash' || status === 'timeout') return 'error';
  return status;
}

const STATE_TEXT: Readonly<Record<CellState, { mark: string; word: string }>> = {
  fail: STATUS_TEXT.fail,
  error: { mark: 'E', word: 'error, crash or timeout' },
  unsupported: STATUS_TEXT.unsupported,
  waived: STATUS_TEXT.waived,
  pass: STATUS_TEXT.pass,
  skip: STATUS_TEXT.skip,
};

/** The cases of one op in one dtype. */
export interface Cell {
  op: string;
  dtype: DType;
  results: CaseResult[];
  /** cases per status (every status present, zeros included) */
  counts: Record<Status, number>;
  state: CellState;
}

export interface OpMatrix {
  /** the dtypes that have op cases, in DTYPES order */
  dtypes: DType[];
  /** the ops that have cases: Core ATen order, then any other op by name */
  ops: string[];
  cells: Map<string, Map<DType, Cell>>;
}

/** The op × dtype matrix of a report's op results (model and benchmark cases have their own sections). */
export function opMatrix(report: Pick<Report, 'results'>): OpMatrix {
  const cells = new Map<string, Map<DType, Cell>>();
  for (const r of report.results) {
    if (r.kind !== 'op') continue;
    let row = cells.get(r.subject);
    if (!row) cells.set(r.subject, (row = new Map()));
    let cell = row.get(r.dtype);
    if (!cell) {
      const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
      row.set(r.dtype, (cell = { op: r.subject, dtype: r.dtype, results: [], counts, state: 'skip' }));
    }
    cell.results.push(r);
    cell.counts[r.status]++;
  }
  for (const row of cells.values()) {
    for (const cell of row.values()) {
      cell.state = CELL_STATES.find((s) => cell.results.some((r) => cellState(r.status) === s)) ?? 'skip';
    }
  }
  const present = new Set([...cells.values()].flatMap((row) => [...row.keys()]));
  const core = CORE_OPSET.map((o) => o.name).filter((name) => cells.has(name));
  const coreSet = new Set(core);
  const others = [...cells.keys()].filter((n) => !coreSet.has(n)).sort();
  return { dtypes: DTYPES.filter((d) => present.has(d)), ops: [...core, ...others], cells };
}

/** Counts in words, worst first, as the screen reader reads a cell: "3 fail, 22 pass of 25 cases". */
export function cellCountsText(cell: Cell): string {
  const order: Status[] = ['fail', 'error', 'crash', 'timeout', 'unsupported', 'waived', 'pass', 'skip'];
  const parts = order.filter((s) => cell.counts[s] > 0).map((s) => `${cell.counts[s]} ${STATUS_TEXT[s].word}`);
  return `${parts.join(', ')} of ${plural(cell.results.length, 'case')}`;
}

/** The visible text of a cell: the state's mark, and how many of the cases are in that state. */
function cellMarkText(cell: Cell): string {
  const n = cell.results.filter((r) => cellState(r.status) === cell.state).length;
  const total = cell.results.length;
  return `${STATE_TEXT[cell.state].mark} ${n === total ? n : `${n}/${total}`}`;
}

/** The legend of the heat map's states: each mark with its word, coloured as in the map. */
function legend(): string {
  const items = CELL_STATES.map((s) => `<li><span class="badge s-${s}">${STATE_TEXT[s].mark} ${esc(STATE_TEXT[s].word)}</span></li>`);
  items.push('<li><span class="badge s-none">· no case</span></li>');
  return `<ul class="legend" aria-label="legend">${items.join('')}</ul>`;
}

/** The heat map: ops down, dtypes across; every cell that has cases links to its row in the cell table. */
export function heatMapSection(m: OpMatrix, anchors: Anchors, coverage: Report['summary']['coverage']): string[] {
  // a model's or the benchmarks' run has no operator cases: their own sections show them
  if (m.ops.length === 0) return [];
  const out = ['<section id="matrix" aria-labelledby="matrix-h">', '<h2 id="matrix-h">Op × dtype matrix</h2>'];
  out.push(
    `<p>${plural(m.ops.length, 'op')} in ${plural(m.dtypes.length, 'dtype')}. Each cell shows the worst state among its cases and how many cases ` +
      `are in it (“✗ 3/25”: 3 of 25 failed; a striped cell also holds cases in a better state). Select a cell for its counts, closest pass and ` +
      `what did not pass. Core ATen coverage: ${coverage.passed} overloads passed of ${coverage.run} run, of the ` +
      `${coverage.overloads - coverage.notApplicable} device kernels in the opset.</p>`,
    legend(),
    '<div class="scroll">',
    '<table class="heat">',
    '<caption>Op × dtype: worst state and case counts per cell</caption>',
    `<thead><tr><th scope="col">op</th>${m.dtypes.map((d) => `<th scope="col">${d}</th>`).join('')}</tr></thead>`,
    '<tbody>',
  );
  for (const op of m.ops) {
    const row = m.cells.get(op);
    const tds = m.dtypes.map((d) => {
      const cell = row?.get(d);
      if (!cell) return '<td class="s-none"><span aria-hidden="true">·</span><span class="sr">no case</span></td>';
      const mixed = cell.results.some((r) => cellState(r.status) !== cell.state);
      return (
        `<td class="s-${cell.state}${mixed ? ' part' : ''}"><a href="#${anchors.id('cell', op, d)}">` +
        `<span aria-hidden="true">${esc(cellMarkText(cell))}</span><span class="sr">${esc(cellCountsText(cell))}</span></a></td>`
      );
    });
    out.push(`<tr><th scope="row">${esc(op)}</th>${tds.join('')}</tr>`);
  }
  out.push('</tbody></table></div>');
  const missing = CORE_OPSET.filter((o) => o.notApplicable === undefined && !m.cells.has(o.name));
  if (missing.length > 0) {
    out.push(`<p class="muted">${plural(missing.length, 'Core ATen device kernel has', 'Core ATen device kernels have')} no case in this run.</p>`);
  }
  out.push('</section>');
  return out;
}


/** The last segment of a case id: the row already names its op and dtype. */
const variant = (id: string): string => id.split('/').at(-1) ?? id;

/** The closest pass of a cell: the passing case whose worst output margin is largest. */
function closestPass(results: readonly CaseResult[]): { r: CaseResult; margin: number } | null {
  let best: { r: CaseResult; margin: number } | null = null;
  for (const r of results) {
    if (r.status !== 'pass') continue;
    const m = worstMargin(r);
    if (typeof m === 'number' && (best === null || m > best.margin)) best = { r, margin: m };
  }
  return best;
}

/** What did not pass in a cell: failing cases (linked to their details when the page has them), then why cases did not run. */
function notPassed(cell: Cell, anchors: Anchors, detailed: ReadonlySet<string>): string {
  // worst first, as the failures section picks the cases it details
  const failing = worstFirst(cell.results.filter(isFailing));
  const parts = failing.slice(0, MAX_NAMED_PER_CELL).map((r) => {
    const text = `${esc(variant(r.id))} (${STATUS_TEXT[r.status].word})`;
    return detailed.has(r.id) ? `<a href="#${anchors.id('case', r.id)}">${text}</a>` : text;
  });
  if (failing.length > MAX_NAMED_PER_CELL) parts.push(`and ${failing.length - MAX_NAMED_PER_CELL} more`);
  const waived = cell.results.filter((r) => r.status === 'waived');
  if (waived.length > 0) parts.push(`waived by ${esc([...new Set(waived.map((r) => r.waiver ?? '?'))].join(', '))}`);
  const reasons = new Map<string, number>();
  for (const r of cell.results) {
    if (r.status === 'unsupported' || r.status === 'skip') reasons.set(r.message ?? r.status, (reasons.get(r.message ?? r.status) ?? 0) + 1);
  }
  const top = [...reasons.entries()].sort((a, b) => b[1] - a[1]);
  for (const [message, n] of top.slice(0, 2)) parts.push(`${n}× ${esc(message)}`);
  if (top.length > 2) parts.push(`and ${plural(top.length - 2, 'other reason')}`);
  return parts.join('; ');
}

const countTd = (n: number): string => `<td class="num">${n === 0 ? '' : n}</td>`;

/** The table every heat-map cell links to: one row (the anchor) per op and dtype, grouped by op. */
export function cellsSection(m: OpMatrix, anchors: Anchors, detailed: ReadonlySet<string>): string[] {
  if (m.ops.length === 0) return [];
  const out = [
    '<section id="cells" aria-labelledby="cells-h">',
    '<h2 id="cells-h">Every op and dtype</h2>',
    '<p>The heat map’s cells, one row each: cases per status, the passing case that came closest to its bound (its worst output’s margin), ' +
      'and the cases that did not pass (a link leads to a failure’s details) or why cases did not run.</p>',
    '<div class="scroll"><table class="cells">',
    '<caption>Cases per op and dtype</caption>',
    '<thead><tr><th scope="col">op</th><th scope="col">dtype</th><th scope="col">state</th><th scope="col" class="num">cases</th>' +
      '<th scope="col" class="num">pass</th><th scope="col" class="num">fail</th><th scope="col" class="num">error, crash, timeout</th>' +
      '<th scope="col" class="num">unsupported</th><th scope="col" class="num">waived</th><th scope="col" class="num">n/a</th>' +
      '<th scope="col">closest pass: margin (case)</th><th scope="col">did not pass</th></tr></thead>',
  ];
  for (const op of m.ops) {
    const row = m.cells.get(op);
    const cells = m.dtypes.flatMap((d) => (row?.get(d) ? [row.get(d) as Cell] : []));
    out.push('<tbody>');
    cells.forEach((cell, i) => {
      const c = cell.counts;
      const closest = closestPass(cell.results);
      const head = i === 0 ? `<th scope="rowgroup" rowspan="${cells.length}" id="${anchors.id('op', op)}">${esc(op)}</th>` : '';
      out.push(
        `<tr id="${anchors.id('cell', op, cell.dtype)}">${head}<th scope="row">${cell.dtype}</th>` +
          `<td class="s-${cell.state}">${STATE_TEXT[cell.state].mark} ${esc(STATE_TEXT[cell.state].word)}</td>` +
          `<td class="num">${cell.results.length}</td>${countTd(c.pass)}${countTd(c.fail)}${countTd(c.error + c.crash + c.timeout)}` +
          `${countTd(c.unsupported)}${countTd(c.waived)}${countTd(c.skip)}` +
          `<td>${closest ? `${formatMargin(closest.margin)} ${code(variant(closest.r.id))}` : ''}</td>` +
          `<td>${notPassed(cell, anchors, detailed)}</td></tr>`,
      );
    });
    out.push('</tbody>');
  }
  out.push('</table></div>', '</section>');
  return out;
}
