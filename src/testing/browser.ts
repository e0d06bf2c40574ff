import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';

/*
 * Headless Chromium for report.html's tests and benchmark: Debian's `chromium` driven by playwright-core (no browser
 * download). Code that runs inside the page is passed as text, since the project's TypeScript has no DOM library.
 */

/** The browser: `ACCELCERT_CHROMIUM`, else Debian's package (`apt-get install chromium`). */
export const CHROMIUM = process.env['ACCELCERT_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why the browser cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set ACCELCERT_CHROMIUM)`;
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm ci installs it as a devDependency)';
  }
  return null;
}

/** Chromium, headless; imported when called, so that code which never launches it does not need playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // CI runs as root, where Chromium refuses its sandbox
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export const VIEWPORT = { width: 1200, height: 900 };

export interface OpenedPage {
  page: Page;
  /** every request the page made, its own file first */
  requests: string[];
  /** requests refused because they would have left the file */
  refused: string[];
  /** console errors (a Content-Security-Policy violation is one) and uncaught page errors */
  errors: string[];
  /** from navigation to the second animation frame after `load`: the page parsed, styled, laid out and painted */
  renderMs: number;
}

/**
 * Opens an HTML file in a new page, recording every request; a request for anything but the file itself or a data:
 * URL is refused, so a page that tries to leave the file cannot reach the network, and the test sees it in `refused`.
 * `intercept: false` only records them: interception serves the file through the driver, which slows loading it, so
 * timings are taken without it.
 */
export async function openFile(browser: Browser, path: string, options: { intercept?: boolean } = {}): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const url = pathToFileURL(path).href;
  const requests: string[] = [];
  const refused: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  if (options.intercept !== false) {
    await page.route('**/*', (route) => {
      const target = route.request().url();
      if (target === url || target.startsWith('data:')) return route.continue();
      refused.push(target);
      return route.abort();
    });
  }
  const start = performance.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
  return { page, requests, refused, errors, renderMs: performance.now() - start };
}

/** Two PNGs compared coarsely: their sizes, and two distances from 0 (alike) to 1 (see `compareScreenshots`). */
export interface ImageComparison {
  a: { width: number; height: number };
  b: { width: number; height: number };
  /** total variation distance of the two images' colour histograms (64 bins: 4 levels per channel) */
  colours: number;
  /** mean |Δ| of the mean brightness of each 24 px wide column of pixels, over the width both cover, over 255 */
  columns: number;
}

/**
 * Compares two screenshots the way a glance does, blind to what moves text by a few pixels: how much of the page is
 * in each colour (the verdict banner, the heat map, tables, code blocks), and how brightness is spread across the
 * width (the layout's columns). Text set in another font shifts lines up or down and changes neither much (under
 * 0.011 and 0.008 here for Liberation instead of DejaVu); a page that lost its stylesheet or its banner changes both
 * by about 0.07–0.11. Decoded by the browser itself (canvas), so no PNG library is needed.
 */
export async function compareScreenshots(browser: Browser, a: Buffer, b: Buffer): Promise<ImageComparison> {
  const page = await browser.newPage();
  try {
    const script = `(async () => {
      const load = (src) => new Promise((ok, fail) => { const i = new Image(); i.onload = () => ok(i); i.onerror = () => fail(new Error('not an image')); i.src = src; });
      const [ia, ib] = await Promise.all([load(${JSON.stringify(`data:image/png;base64,${a.toString('base64')}`)}), load(${JSON.stringify(`data:image/png;base64,${b.toString('base64')}`)})]);
      const width = Math.min(ia.naturalWidth, ib.naturalWidth), B = 24, ncols = Math.ceil(width / B);
      const stats = (img) => {
        const w = img.naturalWidth, h = img.naturalHeight;
        const c = document.createElement('canvas'); c.width = w; c.height = h;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, w, h).data;
        const hist = new Float64Array(64), cols = new Float64Array(ncols);
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          const p = (y * w + x) * 4;
          hist[(d[p] >> 6) * 16 + (d[p + 1] >> 6) * 4 + (d[p + 2] >> 6)]++;
          if (x < width) cols[Math.floor(x / B)] += (d[p] + d[p + 1] + d[p + 2]) / 3;
        }
        for (let i = 0; i < 64; i++) hist[i] /= w * h;
        for (let i = 0; i < ncols; i++) cols[i] /= h * Math.min(B, width - i * B);
        return { hist, cols };
      };
      const A = stats(ia), Bs = stats(ib);
      let colours = 0, columns = 0;
      for (let i = 0; i < 64; i++) colours += Math.abs(A.hist[i] - Bs.hist[i]);
      for (let i = 0; i < ncols; i++) columns += Math.abs(A.cols[i] - Bs.cols[i]);
      return { a: { width: ia.naturalWidth, height: ia.naturalHeight }, b: { width: ib.naturalWidth, height: ib.naturalHeight },
        colours: colours / 2, columns: ncols === 0 ? 1 : columns / ncols / 255 };
    })()`;
    return await page.evaluate<ImageComparison>(script);
  } finally {
    await page.close();
  }
}
