import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml } from '../render/html.js';
import { chromiumMissing, launchChromium, openFile } from '../testing/browser.js';
import { wideReport } from '../testing/wide-report.js';

/** The goals the page is held to: a 20,000-result report under 5 MB, rendered in headless Chromium in under 2 s. */
const CASES = 20_000;
const GOAL_BYTES = 5 * 1024 * 1024;
const GOAL_MS = 2000;
const RUNS = 5;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * report.html of a 20,000-result report shaped like a full profile's (every Core ATen kernel × nine dtypes, 5 %
 * failing, 4 % unsupported): its size, the time to render it in Node, and the time headless Chromium takes from
 * navigation to the second frame after `load` (parsed, styled, laid out and painted), each the median of RUNS.
 */
export async function benchHtml(): Promise<string[]> {
  const report = wideReport(CASES);
  const renderTimes: number[] = [];
  let html = '';
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    html = renderHtml(report);
    renderTimes.push(performance.now() - start);
  }
  const bytes = Buffer.byteLength(html);
  const lines = [
    `html    ${CASES} results: ${(bytes / 1e6).toFixed(2)} MB (goal < ${GOAL_BYTES / 1024 / 1024} MiB: ${bytes < GOAL_BYTES ? 'met' : 'MISSED'}); ` +
      `renderHtml median ${median(renderTimes).toFixed(0)} ms over ${RUNS} runs`,
  ];
  const missing = chromiumMissing();
  if (missing !== null) return [...lines, `html    browser render time not measured: ${missing}`];
  const dir = mkdtempSync(join(tmpdir(), 'accelcert-html-bench-'));
  const browser = await launchChromium();
  try {
    const path = join(dir, 'report.html');
    writeFileSync(path, html);
    const times: number[] = [];
    const leaks: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const opened = await openFile(browser, path, { intercept: false });
      times.push(opened.renderMs);
      leaks.push(...opened.requests.filter((url) => url !== opened.requests[0] && !url.startsWith('data:')));
      await opened.page.close();
    }
    const ms = median(times);
    lines.push(
      `html    headless Chromium ${browser.version()}: navigation to painted median ${ms.toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, ` +
        `max ${Math.max(...times).toFixed(0)} ms over ${RUNS} loads; goal < ${GOAL_MS} ms: ${ms < GOAL_MS ? 'met' : 'MISSED'}` +
        (leaks.length > 0 ? `; ${leaks.length} requests left the file (a bug)` : ''),
    );
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
