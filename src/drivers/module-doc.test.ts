import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportSchema } from '../report/schema.js';
import { runCli } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

/**
 * The driver printed in docs/module-drivers.md, taken from the document itself: a vendor's project that installs
 * accelcert type-checks it (JSDoc, `tsc --checkJs` against `import('accelcert')`), and accelcert runs it on the core
 * suite's add, mul and relu cases, which it passes.
 */
function docExample(): string {
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs/module-drivers.md'), 'utf8');
  const m = /```js driver-example\n([\s\S]*?)```/.exec(doc);
  if (!m?.[1]) throw new Error('docs/module-drivers.md has no ```js driver-example block');
  return m[1];
}

/** A vendor's project folder with accelcert installed (a link to this package) and the driver in it. */
function vendorProject(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'accelcert-vendor-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(PACKAGE_ROOT, join(dir, 'node_modules', 'accelcert'), 'dir');
  writeFileSync(join(dir, 'acme-driver.mjs'), source);
  const typeRoots = [join(PACKAGE_ROOT, 'node_modules/@types')];
  const compilerOptions = { allowJs: true, checkJs: true, noEmit: true, strict: true, skipLibCheck: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023'], types: ['node'], typeRoots };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['acme-driver.mjs'] }));
  return dir;
}

function typecheck(dir: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('the driver example of docs/module-drivers.md', () => {
  it('type-checks against the types the package exports, and a driver that breaks the interface does not', () => {
    const good = typecheck(vendorProject(docExample()));
    expect(good.out).toBe('');
    expect(good.code).toBe(0);
    // not vacuous: the same driver with its outputs' strides left out, and with a synchronous exec of the wrong shape
    const noStrides = typecheck(vendorProject(docExample().replace('return { dtype: \'float32\', shape, strides, offset: 0', "return { dtype: 'float32', shape, offset: 0")));
    expect(noStrides.code).not.toBe(0);
    expect(noStrides.out).toMatch(/strides/);
    const bareArray = typecheck(vendorProject(docExample().replace('return { ok: true, outputs: [elementwise(op, tensors, alpha)] };', 'return [elementwise(op, tensors, alpha)];')));
    expect(bareArray.code).not.toBe(0);
  }, 120_000);

  it('passes the core suite\'s float32 add, mul and relu cases; the cases with inputs of other dtypes are not sent', () => {
    const dir = vendorProject(docExample());
    const out = join(dir, 'run');
    const filters = ['aten.add.Tensor', 'aten.mul.Tensor', 'aten.relu.default'].flatMap((op) => ['--filter', `core/*/${op}/float32/**`]);
    const r = runCli(['run', '--driver', join(dir, 'acme-driver.mjs'), '--suite', 'core', ...filters, '--no-sign', '--out', out]);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    const passed = report.results.filter((x) => x.status === 'pass');
    expect(passed.length).toBeGreaterThanOrEqual(90);
    for (const op of ['aten.add.Tensor', 'aten.mul.Tensor', 'aten.relu.default']) expect(passed.some((x) => x.subject === op)).toBe(true);
    for (const x of report.results.filter((y) => y.status !== 'pass')) {
      expect([x.id, x.status, x.message]).toEqual([x.id, 'unsupported', expect.stringMatching(/^not sent: input \d is \w+, a dtype the device does not list \(capabilities\.dtypes: float32\)$/)]);
    }
    expect(r.code).toBe(1);
  }, 120_000);
});
