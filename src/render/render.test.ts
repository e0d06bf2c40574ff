import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import type { Report } from '../report/schema.js';
import { syntheticReport } from '../testing/synthetic.js';
import { computeVerdict, summarize } from '../report/verdict.js';
import { renderJunit } from './junit.js';
import { coverageMatrix } from './coverage.js';
import type { CaseResult } from '../runner/result.js';
import { renderMarkdown } from './markdown.js';

// the strict Apache Ant JUnit schema (windyroad/JUnit-Schema, Apache-2.0), kept with the fixtures
const XSD = join(PACKAGE_ROOT, 'fixtures', 'junit', 'JUnit-ant.xsd');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;

const MUL = 'core/binary/aten.mul.Tensor/float32/case-000001';
const EXP = 'core/unary/aten.exp.default/float16/case-000006';
const EXP2 = 'core/unary/aten.exp.default/float32/case-000010';

/** A run with one failure of each kind, a waiver and an odd character or two in the messages. */
function example(): Report {
  const { report } = syntheticReport({
    cases: 24,
    profile: 'inference-lowp',
    margins: { [MUL]: 2.5, [EXP]: 7.25, [EXP2]: 1.5, 'core/binary/aten.add.Tensor/float16/case-000004': 3 },
    waivers: [
      {
        id: 'W1',
        cases: 'core/binary/aten.add.Tensor/float16/**',
        devices: 'accelcert/reference/**',
        reason: 'float16 add double-rounds through float32 on this driver',
        url: 'https://example.com/issues/42',
      },
    ],
  });
  const eq = report.results.find((r) => r.id === 'core/comparison/aten.eq.Tensor/float32/case-000003');
  if (eq) Object.assign(eq, { status: 'crash', outputs: [], outputDigest: null, message: 'worker exited with signal SIGSEGV <core dumped> & restarted' });
  report.harness.version = '0.1.0'; // fixed so that the golden summary does not change with each release
  report.summary = summarize(report.results);
  report.verdict = computeVerdict({
    profile: report.profile.name,
    requiredIds: report.results.map((r) => r.id),
    results: report.results,
    selection: report.selection,
    run: report.run,
  });
  return report;
}

describe('junit.xml', () => {
  it.skipIf(!hasXmllint)('validates against the strict Ant JUnit schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'junit-'));
    const file = join(dir, 'junit.xml');
    writeFileSync(file, renderJunit(example()));
    const out = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
    expect(out.stderr).toMatch(/validates/);
    expect(out.status).toBe(0);
  });
  if (!hasXmllint) it.skip('xmllint is absent (install libxml2-utils) so junit.xml is not validated against the Ant schema', () => {});

  it('has one testcase per case, classname family/subject, and the numbers in the failure text', () => {
    const xml = renderJunit(example());
    expect(xml.match(/<testcase /g)?.length).toBe(24);
    expect(xml).toContain(`classname="binary/aten.mul.Tensor" name="${MUL}"`);
    expect(xml).toMatch(/<failure type="fail" message="margin 2.50">output 0 \(float32\[4,16\], correctly-rounded\): 3 of 64 elements outside the acceptance interval, margin 2.50, max 1.250 ulp,/);
    expect(xml).toContain(`rerun: npx accelcert run --driver reference --device reference --profile inference-lowp --filter &apos;${MUL}&apos;`);
    expect(xml).toContain('<error type="crash" message="worker exited with signal SIGSEGV &lt;core dumped&gt; &amp; restarted">');
    expect(xml).toMatch(/<skipped message="waived by W1, margin 3: /);
    expect(xml).toContain('timestamp="2025-06-01T10:00:00"');
  });
});

describe('summary.md', () => {
  it('puts the verdict first, then failures by op, worst margin first, each with a rerun command', () => {
    const md = renderMarkdown(example());
    const lines = md.split('\n');
    expect(lines[0]).toBe('# accelcert: NOT_CERTIFIED');
    const exp = md.indexOf('### `aten.exp.default` — 2 failing, worst margin 7.25');
    const mul = md.indexOf('### `aten.mul.Tensor` — 1 failing, worst margin 2.50');
    const eq = md.indexOf('### `aten.eq.Tensor` — 1 failing, worst margin —');
    expect(exp).toBeGreaterThan(0);
    expect(exp).toBeLessThan(mul);
    expect(md.indexOf('## Failures: 4 cases in 3 ops')).toBeLessThan(exp);
    expect(eq).toBeGreaterThan(mul);
    expect(md).toContain(`npx accelcert run --driver reference --device reference --profile inference-lowp --filter '${EXP}'`);
    expect(md).toContain('| [W1](https://example.com/issues/42) |');
  });

  it('stays small for a report with thousands of failures', () => {
    const { report } = syntheticReport({ cases: 20000, results: undefined, margins: Object.fromEntries(Array.from({ length: 20000 }, (_, i) => [`core/binary/aten.add.Tensor/float32/case-${String(i).padStart(6, '0')}`, 5])) });
    expect(Buffer.byteLength(renderMarkdown(report))).toBeLessThan(64 * 1024);
  });

  it('renders the synthetic run exactly as fixtures/reports/synthetic-summary.md (ACCELCERT_UPDATE_DOCS=1 rewrites it)', () => {
    const path = join(PACKAGE_ROOT, 'fixtures', 'reports', 'synthetic-summary.md');
    const text = renderMarkdown(example());
    if (process.env['ACCELCERT_UPDATE_DOCS'] === '1') writeFileSync(path, text);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });
});


describe('the op × dtype matrix', () => {
  it('shows the worst status of each overload and dtype, every core overload, and n/a for those that are not kernels', () => {
    const r = (subject: string, dtype: 'float32' | 'int32', status: CaseResult['status']) => ({ kind: 'op' as const, subject, dtype, status });
    const m = coverageMatrix({
      results: [r('aten.add.Tensor', 'float32', 'pass'), r('aten.add.Tensor', 'float32', 'unsupported'), r('aten.add.Tensor', 'int32', 'pass'), r('aten.mul.Tensor', 'float32', 'fail'), r('aten.mul.Tensor', 'float32', 'pass'), r('aten.extra.default', 'int32', 'crash')] as unknown as CaseResult[],
    });
    expect(m.dtypes).toEqual(['float32', 'int32']);
    const row = (op: string) => m.rows.find((x) => x.op === op);
    expect(row('aten.add.Tensor')?.cells).toEqual(['unsupported', 'pass']);
    expect(row('aten.mul.Tensor')?.cells).toEqual(['fail', 'none']);
    expect(row('aten.exp.default')?.cells).toEqual(['none', 'none']);
    expect(row('aten.extra.default')?.cells).toEqual(['none', 'error']);
    expect(row('aten.sym_numel.default')?.notApplicable).toMatch(/no device kernel/);
    expect(m.rows).toHaveLength(191);
  });
});
