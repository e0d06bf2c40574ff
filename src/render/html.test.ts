import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMargin } from '../judge/describe.js';
import { STATUSES, type Status } from '../judge/result.js';
import { linearReluGraph } from '../testing/graph-files.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { computeVerdict, summarize } from '../report/verdict.js';
import type { CaseResult } from '../runner/result.js';
import { chromiumMissing, compareScreenshots, launchChromium, openFile, VIEWPORT } from '../testing/browser.js';
import { runMain } from '../testing/helpers.js';
import { syntheticReport } from '../testing/synthetic.js';
import { wideReport } from '../testing/wide-report.js';
import type { GraphFile } from '../workload/graph-file.js';
import { PACKAGE_ROOT } from '../version.js';
import { rerunCommand, shellQuote } from './format.js';
import { MAX_DETAILED } from './html-failures.js';
import { renderHtml } from './html.js';

/*
 * report.html: rendered from synthetic reports (every state of the heat map, escaping, caps, size), then from three
 * real runs opened in headless Chromium: the DOM against report.json, no request leaving the file, and a screenshot
 * compared with the one in docs/ (ACCELCERT_UPDATE_SCREENSHOTS=1 rewrites them).
 */

const WORDS: Readonly<Record<string, Status>> = Object.fromEntries(STATUSES.map((s) => [s === 'skip' ? 'not applicable (skip)' : s, s]));

/** The counts a heat-map cell's label states ("3 fail, 22 pass of 25 cases"), by status, and the total. */
function parseCellLabel(label: string): { counts: Partial<Record<Status, number>>; total: number } {
  const [head = '', tail = ''] = label.split(' of ');
  const counts: Partial<Record<Status, number>> = {};
  for (const part of head.split(', ')) {
    const m = /^(\d+) (.+)$/.exec(part);
    const status = m ? WORDS[m[2] ?? ''] : undefined;
    if (!m || !status) throw new Error(`cell label part "${part}" names no status`);
    counts[status] = Number(m[1]);
  }
  return { counts, total: Number(/^(\d+) cases?$/.exec(tail)?.[1] ?? NaN) };
}

/** What report.json says each op × dtype cell holds: counts per status. */
function expectedCells(report: Report): Map<string, Partial<Record<Status, number>>> {
  const cells = new Map<string, Partial<Record<Status, number>>>();
  for (const r of report.results) {
    if (r.kind !== 'op') continue;
    const key = `${r.subject} ${r.dtype}`;
    const c = cells.get(key) ?? {};
    c[r.status] = (c[r.status] ?? 0) + 1;
    cells.set(key, c);
  }
  return cells;
}

/** The heat map's cells as the HTML text has them: state class, link, label. */
function heatCells(html: string): { state: string; href: string; mark: string; label: string }[] {
  const re = /<td class="s-(\w+)(?: part)?"><a href="#([^"]+)"><span aria-hidden="true">([^<]*)<\/span><span class="sr">([^<]*)<\/span><\/a><\/td>/g;
  return [...html.matchAll(re)].map((m) => ({ state: m[1] ?? '', href: m[2] ?? '', mark: m[3] ?? '', label: m[4] ?? '' }));
}

const FAILING: ReadonlySet<Status> = new Set(['fail', 'error', 'crash', 'timeout']);

/** A run with a case in every state the heat map has, a waiver, and markup in what the device and the user wrote. */
function everyState(): Report {
  const ADD16 = 'core/binary/aten.add.Tensor/float16/case-000004';
  const { report } = syntheticReport({
    cases: 32,
    profile: 'inference-lowp',
    margins: { 'core/binary/aten.mul.Tensor/float32/case-000001': 2.5, 'core/unary/aten.exp.default/float16/case-000006': 7.25, [ADD16]: 3 },
    waivers: [{ id: 'W1', cases: ADD16, devices: 'accelcert/reference/**', reason: 'double rounding <b>known</b> & "tracked"', url: 'https://example.com/issues/42' }],
  });
  const set = (id: string, change: Partial<CaseResult>): void => {
    const r = report.results.find((x) => x.id === id);
    if (!r) throw new Error(`no ${id}`);
    Object.assign(r, { outputs: [], outputDigest: null }, change);
  };
  set('core/comparison/aten.eq.Tensor/float32/case-000003', { status: 'crash', message: 'worker exited <script>alert(1)</script> & restarted' });
  set('core/comparison/aten.eq.Tensor/float32/case-000011', { status: 'timeout', message: 'no answer within 60 s' });
  set('core/unary/aten.exp.default/float32/case-000002', { status: 'error', message: 'device said "no"' });
  set('core/binary/aten.mul.Tensor/float16/case-000005', { status: 'unsupported', message: 'no float16 mul kernel' });
  set('core/binary/aten.mul.Tensor/float16/case-000013', { status: 'skip', message: 'not applicable: no float16 path' });
  report.summary = summarize(report.results);
  report.verdict = computeVerdict({ profile: report.profile.name, requiredIds: report.results.map((r) => r.id), results: report.results, selection: report.selection, run: report.run });
  return report;
}

describe('report.html from a report', () => {
  it('shows every op × dtype cell with its worst state, its counts in words and a link to its row', () => {
    const report = everyState();
    const html = renderHtml(report);
    const cells = heatCells(html);
    const expected = expectedCells(report);
    expect(cells).toHaveLength(expected.size);
    for (const cell of cells) {
      const row = new RegExp(`<tr id="${cell.href.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">`);
      expect(html, `the row ${cell.href}`).toMatch(row);
      const { counts, total } = parseCellLabel(cell.label);
      const [, op = '', dtype = ''] = /^cell-(.+)\/([a-z0-9_]+)$/.exec(cell.href) ?? [];
      expect(counts).toEqual(expected.get(`${op} ${dtype}`));
      expect(total).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
    }
    expect(new Set(cells.map((c) => c.state))).toEqual(new Set(['pass', 'fail', 'error', 'unsupported', 'waived']));
    const crashCell = cells.find((c) => c.href === 'cell-aten.eq.Tensor/float32');
    expect(crashCell?.mark).toMatch(/^E 2\/\d+$/);
    expect(crashCell?.label).toMatch(/^1 crash, 1 timeout, \d+ pass of \d+ cases$/);
  });

  it('escapes what devices, waivers and command lines say, and refers to nothing outside the page', () => {
    const report = everyState();
    report.command.push('--filter', `core/*/<img src=x onerror=alert(1)>`);
    const html = renderHtml(report);
    expect(html).not.toMatch(/<script|<img|<link|<iframe|<object|<embed|@import|url\(|<[^>]+\ssrc=|<b>known/i);
    expect(html).toContain('worker exited &lt;script&gt;alert(1)&lt;/script&gt; &amp; restarted');
    expect(html).toContain('double rounding &lt;b&gt;known&lt;/b&gt; &amp; &quot;tracked&quot;');
    // the one address on the page is the waiver's, a link a reader may follow; nothing is fetched
    expect([...html.matchAll(/https?:\/\/[^"'\s<]+/g)].map((m) => m[0])).toEqual(['https://example.com/issues/42']);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;/);
  });

  it('details each failure with its worst element, rerun and reproducer commands, and says the waivers are unsigned', () => {
    const report = everyState();
    const html = renderHtml(report);
    const MUL = 'core/binary/aten.mul.Tensor/float32/case-000001';
    const article = html.slice(html.indexOf(`<article class="case k-fail" id="case-${MUL}"`));
    const worst = report.results.find((r) => r.id === MUL)?.outputs[0]?.worst;
    expect(worst).toBeTruthy();
    expect(article).toContain(`<td class="mono idx">[1, 3]</td><td class="mono">${worst?.expected}</td><td class="mono">${worst?.actual}</td><td class="mono">${worst?.allowed}</td>`);
    expect(article).toContain(`<pre><code>${rerunCommand(report, MUL)}</code></pre>`);
    expect(article).toContain(`<pre><code>npx accelcert repro . ${MUL}</code></pre>`);
    for (const r of report.results.filter((x) => FAILING.has(x.status))) expect(html).toContain(`id="case-${r.id}"`);
    expect(html).toMatch(/was <strong>not signed<\/strong> by a waiver authority/);
    const signed = renderHtml({ ...report, signedWaivers: { payload: 'e30', payloadType: 'application/vnd.accelcert.waivers+json', signatures: [{ keyid: 'k', sig: 's' }] } });
    expect(signed).toMatch(/was <strong>signed by a waiver authority<\/strong>; the report carries it \(<code>signedWaivers<\/code>\)/);
    expect(html).toMatch(/<h2 id="waivers-h">Waivers: 1 waiver, 1 case waived<\/h2>/);
    expect(html).toMatch(/<h1>(NOT_CERTIFIED|INCOMPLETE)<\/h1>/);
  });

  it('a 20,000-result report stays under 5 MB: passes counted, failures detailed up to the cap, the rest counted', () => {
    const report = wideReport(20_000);
    const started = performance.now();
    const html = renderHtml(report);
    const ms = performance.now() - started;
    expect(Buffer.byteLength(html)).toBeLessThan(5 * 1024 * 1024);
    const failing = report.results.filter((r) => FAILING.has(r.status)).length;
    expect(failing).toBeGreaterThan(MAX_DETAILED);
    expect(html.match(/<article class="case /g)).toHaveLength(MAX_DETAILED);
    const subjects = new Set(report.results.filter((r) => FAILING.has(r.status)).map((r) => r.subject)).size;
    expect(html.includes(`<h2 id="failures-h">Failures: ${failing} cases in ${subjects} subjects</h2>`)).toBe(true);
    expect(/… and \d+ more failing cases of <code>aten\./.test(html)).toBe(true);
    // the matrix holds every cell whatever the caps: 184 kernels × 9 dtypes
    expect(heatCells(html)).toHaveLength(184 * 9);
    expect(renderHtml(report)).toBe(html);
    // rendering time is measured by `npm run bench -- html`, not asserted; this only catches a runaway
    expect(ms).toBeLessThan(20_000);
  });
});

// ── in a real browser ───────────────────────────────────────────────────────────────────────────────────────────

const missing = chromiumMissing();
if (missing !== null && process.env['CI']) throw new Error(`CI must run report.html's browser tests: ${missing}`);

/*
 * Screenshots: the top of each page (at most MAX_SHOT_H px of it, 1200 px wide) is compared with docs/report-*.png
 * for gross breakage, not pixel for pixel, since another machine's fonts set the text differently. The width must
 * match; the height within HEIGHT_TOLERANCE (text that wraps differently makes a short page taller or shorter); and
 * the two coarse distances of `compareScreenshots` (0 alike, 1 opposite) under MAX_COLOURS and MAX_COLUMNS. Measured
 * against the failing run's screenshot: a rerun 0.000 and 0.000; the page in Liberation fonts instead of DejaVu 0.010
 * and 0.008, in DejaVu Serif 0.004 and 0.001, at 15 px instead of 14 px 0.005 and 0.003; the page without its
 * stylesheet 0.112 and 0.076, with its banner white 0.108 and 0.069. See docs/report-format.md.
 */
const MAX_SHOT_H = 2400;
const HEIGHT_TOLERANCE = 0.2;
const MAX_COLOURS = 0.05;
const MAX_COLUMNS = 0.04;
const UPDATE = process.env['ACCELCERT_UPDATE_SCREENSHOTS'] === '1';

const KEY = join(PACKAGE_ROOT, 'fixtures/keys/ed25519.key');
const PUB = join(PACKAGE_ROOT, 'fixtures/keys/ed25519.pub');

/** A small model (linear layer, ReLU) as a graph file: its eager and compiled cases make a CERTIFIED run in a second. */
function tinyModel(): GraphFile {
  const contiguous = { kind: 'contiguous' } as const;
  return linearReluGraph('tiny-mlp', [
    { dtype: 'float32', shape: [8, 16], layout: contiguous, recipe: { kind: 'normal', mean: 0, std: 0.25 } },
    { dtype: 'float32', shape: [8], layout: contiguous, recipe: { kind: 'normal', mean: 0, std: 0.1 } },
    { dtype: 'float32', shape: [4, 16], layout: contiguous, recipe: { kind: 'normal', mean: 0, std: 1 } },
  ], 'html.test.ts');
}

describe.skipIf(missing !== null)('report.html in headless Chromium', () => {
  const root = mkdtempSync(join(tmpdir(), 'accelcert-html-'));
  const dir = (name: string): string => join(root, name);
  // kept after the run (unlike the run folders), to look at or upload from CI; the next run overwrites them
  const shots = process.env['ACCELCERT_SCREENSHOTS_DIR'] ?? join(tmpdir(), 'accelcert-html-screenshots');
  let browser: Browser;
  const runs: Record<string, { code: number; err: string }> = {};

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const graph = join(root, 'tiny-mlp.json');
    writeFileSync(graph, JSON.stringify(tinyModel()));
    const waivers = join(root, 'waivers.json');
    writeFileSync(
      waivers,
      JSON.stringify({
        waivers: [{ id: 'RELU-NAN-FP16', cases: 'core/activation/aten.relu.default/float16/**', devices: 'test/relu drops NaN/**', reason: 'float16 relu drops NaN; fixed in the next driver', url: 'https://example.com/issues/7' }],
      }),
    );
    // a model run on the reference, signed: CERTIFIED (a --filter'ed operator run never is)
    runs['certified'] = await runMain('run', '--graph', graph, '--driver', 'reference', '--key', KEY, '--out', dir('certified'));
    // a defective relu, with a waiver for its float16 cases: the heat map's fail, waived and pass
    runs['failing'] = await runMain(
      ...['run', '--driver', join(PACKAGE_ROOT, 'fixtures/drivers/wrong-relu.js'), '--profile', 'inference-lowp', '--waivers', waivers, '--no-sign', '--out', dir('failing')],
      ...['--filter', 'core/*/aten.relu.default', '--filter', 'core/*/aten.sigmoid.default', '--filter', 'core/*/aten.add.Tensor', '--filter', 'models/mlp/mlp-784-512-256-10'],
      ...['--dtype', 'float32', '--dtype', 'float16', '--dtype', 'int32'],
    );
    // one benchmark measured against a peak given with --peak, one not applicable on the reference
    runs['bench'] = await runMain(
      ...['run', '--driver', 'reference', '--profile', 'bench', '--bench-scale', 'small', '--peak', 'float32=0.0005', '--no-sign', '--out', dir('bench')],
      ...['--filter', 'bench/matmul/mm-256x256x256/float32/hot-small', '--filter', 'bench/matmul/scaled-mm-256x256x256'],
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const report = (name: string): Report => ReportSchema.parse(JSON.parse(readFileSync(join(dir(name), 'report.json'), 'utf8')));

  it.each([
    ['certified', 'CERTIFIED', 0],
    ['failing', 'INCOMPLETE', 1],
    ['bench', 'INCOMPLETE', 0],
  ])('%s run: report.html is in the run folder, its DOM says what report.json says, and nothing leaves the file', async (name, verdict, code) => {
    expect(runs[name]?.code, runs[name]?.err).toBe(code);
    const rep = report(name);
    expect(rep.verdict.status).toBe(verdict);
    const path = join(dir(name), 'report.html');
    const opened = await openFile(browser, path);
    try {
      const { page } = opened;
      expect(opened.requests).toEqual([new URL(`file://${path}`).href]);
      expect(opened.refused).toEqual([]);
      expect(opened.errors).toEqual([]);
      expect(await page.textContent('h1')).toBe(verdict);

      // the heat map: one cell per op × dtype, its counts those of report.json, its link an existing row
      const cells = await page.evaluate<{ op: string; dtype: string; href: string | null; label: string }[]>(`(() => {
        const t = document.querySelector('table.heat');
        if (!t) return [];
        const dtypes = [...t.querySelectorAll('thead th')].slice(1).map((th) => th.textContent);
        return [...t.querySelectorAll('tbody tr')].flatMap((tr) => [...tr.querySelectorAll('td')].map((td, i) => ({
          op: tr.querySelector('th').textContent, dtype: dtypes[i], href: td.querySelector('a')?.getAttribute('href') ?? null, label: td.querySelector('.sr')?.textContent ?? '' })));
      })()`);
      const expected = expectedCells(rep);
      const withCases = cells.filter((c) => c.href !== null);
      expect(withCases).toHaveLength(expected.size);
      for (const c of withCases) expect(parseCellLabel(c.label).counts, `${c.op} ${c.dtype}`).toEqual(expected.get(`${c.op} ${c.dtype}`));
      for (const c of cells.filter((x) => x.href === null)) expect(expected.has(`${c.op} ${c.dtype}`)).toBe(false);

      // every in-page link, the heat map's included, lands on an element of the page
      const links = await page.evaluate<{ total: number; broken: string[] }>(`(() => {
        const hrefs = [...document.querySelectorAll('a[href^="#"]')].map((a) => a.getAttribute('href').slice(1));
        return { total: hrefs.length, broken: hrefs.filter((id) => !document.getElementById(id)) };
      })()`);
      expect(links.broken).toEqual([]);
      expect(links.total).toBeGreaterThanOrEqual(withCases.length);

      // every failing case with its worst element and the two commands
      const articles = await page.evaluate<{ title: string; rows: string[][]; commands: string[] }[]>(`[...document.querySelectorAll('article.case')].map((a) => ({
        title: a.querySelector('h4').textContent,
        rows: [...a.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent)),
        commands: [...a.querySelectorAll('pre')].map((p) => p.textContent) }))`);
      const failing = rep.results.filter((r) => FAILING.has(r.status));
      expect(articles.map((a) => a.title).sort()).toEqual(failing.map((r) => r.id).sort());
      for (const r of failing) {
        const a = articles.find((x) => x.title === r.id);
        for (const o of r.outputs.filter((x) => x.worst !== null && x.mismatches > 0)) {
          const w = o.worst as NonNullable<typeof o.worst>;
          expect(a?.rows, r.id).toContainEqual([String(o.index), `${o.dtype}[${o.shape.join(',')}]`, o.rule, `${o.mismatches} of ${o.elements}`, formatMargin(o.margin), `[${w.index.join(', ')}]`, w.expected, w.actual, w.allowed]);
        }
        expect(a?.commands).toEqual([rerunCommand(rep, r.id), ...(r.kind === 'op' ? [shellQuote(['npx', 'accelcert', 'repro', '.', r.id])] : [])]);
      }

      if (name === 'certified') {
        expect(await page.locator('#models tbody tr').count()).toBe(2);
        const verified = await runMain('verify', dir(name), '--key', PUB);
        expect(verified.code, verified.out).toBe(0);
        expect(verified.out).toMatch(/ok .*summary\.md, junit\.xml, report\.html hash to their signed digests/);
        const rendered = await runMain('report', dir(name), '--format', 'html', '--key', PUB);
        expect(rendered.out).toBe(readFileSync(path, 'utf8'));
      }
      if (name === 'failing') {
        // a screen reader names a cell by its counts in words; the keyboard follows it to its row
        const relu = withCases.find((c) => c.op === 'aten.relu.default' && c.dtype === 'float32');
        expect(relu?.label).toBe('3 fail, 22 pass of 25 cases');
        await expect(page.getByRole('link', { name: relu?.label ?? '' }).count()).resolves.toBe(1);
        await page.focus(`table.heat a[href="${relu?.href ?? ''}"]`);
        await page.keyboard.press('Enter');
        expect(await page.evaluate<string>('location.hash')).toBe(relu?.href);
        const row = await page.evaluate<string[]>('[...document.querySelector(":target").children].map((c) => c.textContent)');
        expect(row.slice(0, 7)).toEqual(['aten.relu.default', 'float32', '✗ fail', '25', '22', '3', '']);
        expect(await page.locator('#waivers tbody tr').count()).toBe(1);
        expect(await page.locator('#waivers tbody td.num').textContent()).toBe('3');
      }
      if (name === 'bench') {
        expect(await page.locator('svg.chart g.row').count()).toBe(rep.benchmarks?.entries.length);
        expect(await page.textContent('#benchmarks')).toMatch(/% of float32/);
        expect(await page.textContent('#benchmarks')).toMatch(/No baseline comparison here/);
      }

      // a screenshot of the page's top, saved, and compared with docs/ for gross layout breakage; everything laid out
      // first, as a reader scrolling down sees it (content-visibility: auto leaves what is off screen for later)
      await page.evaluate(`document.querySelectorAll('main>section, table.cells tbody').forEach((e) => { e.style.contentVisibility = 'visible'; })`);
      const height = Math.min(MAX_SHOT_H, await page.evaluate<number>('document.documentElement.scrollHeight'));
      const shot = await page.screenshot({ fullPage: true, clip: { x: 0, y: 0, width: VIEWPORT.width, height } });
      writeFileSync(join(shots, `report-${name}.png`), shot);
      const committed = join(PACKAGE_ROOT, 'docs', `report-${name}.png`);
      if (UPDATE) writeFileSync(committed, shot);
      expect(existsSync(committed), `${committed} is missing: ACCELCERT_UPDATE_SCREENSHOTS=1 npx vitest run src/render/html.test.ts writes it`).toBe(true);
      const cmp = await compareScreenshots(browser, shot, readFileSync(committed));
      expect(cmp.a.width).toBe(cmp.b.width);
      expect(Math.abs(cmp.a.height - cmp.b.height) / cmp.b.height, `height ${cmp.a.height} px, committed ${cmp.b.height} px`).toBeLessThanOrEqual(HEIGHT_TOLERANCE);
      expect(cmp.colours, `colours against docs/report-${name}.png (screenshot in ${shots})`).toBeLessThan(MAX_COLOURS);
      expect(cmp.columns, `columns against docs/report-${name}.png (screenshot in ${shots})`).toBeLessThan(MAX_COLUMNS);
    } finally {
      await opened.page.close();
    }
  });

  it('a 20,000-result report opens without a request leaving it', async () => {
    const path = join(root, 'wide.html');
    writeFileSync(path, renderHtml(wideReport(20_000)));
    const opened = await openFile(browser, path);
    try {
      expect(opened.refused).toEqual([]);
      expect(opened.errors).toEqual([]);
      expect(await opened.page.locator('table.heat td a').count()).toBe(184 * 9);
    } finally {
      await opened.page.close();
    }
  });
});
if (missing !== null) it.skip(`report.html in headless Chromium: skipped, ${missing}`, () => {});
