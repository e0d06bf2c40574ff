import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { runCli, runMain } from '../testing/helpers.js';
import { auditCandidates, AuditOutcomeSchema, renderAudit, type AuditOutcome } from '../verify/audit.js';
import { PACKAGE_ROOT } from '../version.js';

/**
 * `accelcert audit` reruns a sample of a report's cases on the reviewer's device and compares the output digests bit for
 * bit: a report from the same device and stack matches (on the reference device and on PyTorch's CPU), a report whose
 * sin outputs are one ULP off on some elements (fixtures/workers/faulty_pytorch_worker.py, fault `ulp`: its cases still
 * pass) is caught case by case, and bad input is one sentence with exit 2.
 */
const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the pytorch driver tests: ${python?.reason ?? 'no python'}`);

const tmp = mkdtempSync(join(tmpdir(), 'accelcert-audit-test-'));
// a seed, so that an audit that drew its inputs without the report's seed would see other inputs
const SEED = 'audit-test-1';
const SIN = 'core/*/aten.sin.default/float32/**';
const FILTERS = [SIN, 'core/*/aten.add.Tensor/float32/7x13*'].flatMap((f) => ['--filter', f]);
const PY = process.env.ACCELCERT_TEST_PYTHON ?? 'python3';
const FAULTY_WORKER = `${python?.path ?? 'python3'} ${join(PACKAGE_ROOT, 'fixtures/workers/faulty_pytorch_worker.py')}`;

/** A run of the filtered cases into a fresh folder; every case must pass, or the audit of it proves nothing. */
function run(name: string, driverArgs: string[], env: NodeJS.ProcessEnv = {}): { dir: string; report: Report } {
  const dir = join(tmp, name);
  const r = runCli(['run', ...driverArgs, ...FILTERS, '--seed', SEED, '--no-sign', '--no-spare-worker', '--out', dir], env);
  expect(existsSync(join(dir, 'report.json')), r.stderr).toBe(true);
  const report = ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
  expect(report.results.filter((x) => x.status !== 'pass').map((x) => [x.id, x.status, x.message]), r.stderr).toEqual([]);
  return { dir, report };
}

/** An audit, in process (a reference device's audit is mostly the CLI's start-up otherwise), as JSON. */
async function audit(...args: string[]): Promise<{ code: number; outcome: AuditOutcome }> {
  const r = await runMain('audit', ...args, '--json');
  expect(r.err).not.toMatch(/\n\s+at /);
  return { code: r.code, outcome: AuditOutcomeSchema.parse(JSON.parse(r.out)) };
}

// each run once, shared: the reference run by the round trip and the bad reports, the PyTorch CPU run by the round
// trip and the comparison with the faulty device
let referenceRun: { dir: string; report: Report } | null = null;
const reference = (): { dir: string; report: Report } => (referenceRun ??= run('reference', ['--driver', 'reference']));
let pytorchRun: { dir: string; report: Report } | null = null;
const realPytorchRun = (): { dir: string; report: Report } => (pytorchRun ??= run('pytorch', ['--driver', 'pytorch']));

describe('accelcert audit', () => {
  it('passes a report of the reference device audited on the reference device, the same sample for the same seed', async () => {
    const { dir, report } = reference();
    const first = await audit(dir, '--driver', 'reference', '--sample', '12', '--sample-seed', 's1');
    expect(first.code).toBe(0);
    expect(first.outcome.counts).toEqual({ match: 12, mismatch: 0, inputsDiffer: 0, notRerun: 0 });
    expect(first.outcome.sample).toEqual({ requested: 12, candidates: report.results.length, sampled: 12, seed: 's1' });
    expect(first.outcome.report.seed).toBe(SEED);
    for (const c of first.outcome.cases) expect(c.rerun?.inputDigest).toBe(c.report.inputDigest);
    // the same seed draws the same cases; another seed draws another sample
    // report.json named directly, or through the envelope's name (the audit reads the report.json beside it)
    const again = await audit(join(dir, 'report.json'), '--driver', 'reference', '--sample', '12', '--sample-seed', 's1');
    expect((await audit(join(dir, 'report.dsse.json'), '--driver', 'reference', '--sample', '12', '--sample-seed', 's1')).outcome.cases).toEqual(again.outcome.cases);
    expect(again.outcome.cases.map((c) => c.id)).toEqual(first.outcome.cases.map((c) => c.id));
    const other = await audit(dir, '--driver', 'reference', '--sample', '12', '--sample-seed', 's2');
    expect(other.outcome.cases.map((c) => c.id)).not.toEqual(first.outcome.cases.map((c) => c.id));

    const text = await runMain('audit', dir, '--driver', 'reference', '--sample', '3');
    expect(text.code).toBe(0);
    const lines = text.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`audit of ${join(dir, 'report.json')} (written by accelcert ${report.harness.version})`);
    expect(lines[1]).toMatch(new RegExp(`^ {2}report: +profile inference-fp32, seed ${SEED}; reference reference: accelcert float64 reference oracle`));
    expect(lines[3]).toMatch(/^ {2}sample: +3 of \d+ rerunnable cases, sample seed ([0-9a-f]{16}) \(--sample-seed \1 repeats this audit\)$/);
    expect(lines.at(-1)).toBe('AUDIT PASSED: 3 of 3 sampled cases match bit for bit');
  }, 60_000);

  it('says which cases ran on inputs this accelcert does not generate for the report\'s seed, and exits 1', async () => {
    const { report } = reference();
    const file = join(tmp, 'other-seed.json');
    writeFileSync(file, JSON.stringify({ ...report, selection: { ...report.selection, seed: 'not-the-seed-it-ran-with' } }));
    const { code, outcome } = await audit(file, '--driver', 'reference', '--sample', '1000');
    expect(code).toBe(1);
    // every case with inputs to draw (an empty tensor's storage is the same for every seed)
    const differ = outcome.cases.filter((c) => c.rerun?.inputDigest !== c.report.inputDigest).map((c) => c.id);
    expect(differ.length).toBeGreaterThan(20);
    expect(outcome.cases.filter((c) => c.finding === 'inputs-differ').map((c) => c.id)).toEqual(differ);
    expect(outcome.counts).toEqual({ match: outcome.cases.length - differ.length, mismatch: 0, inputsDiffer: differ.length, notRerun: 0 });
    const lines = renderAudit(outcome);
    expect(lines.filter((l) => l.startsWith('INPUTS DIFFER ')).map((l) => l.split(':')[0])).toEqual(differ.map((id) => `INPUTS DIFFER ${id}`));
    expect(lines.find((l) => l.startsWith('INPUTS DIFFER '))).toMatch(/: report inputDigest [0-9a-f]{64}, this accelcert [0-9a-f]{64} with seed not-the-seed-it-ran-with, so its outputs cannot be compared \(the rerun's status: pass\)$/);
    expect(lines.at(-1)).toBe(`AUDIT FAILED: ${differ.length} of ${outcome.cases.length} sampled cases differ (${differ.length} of them on other inputs)`);
  }, 60_000);

  it('samples only results whose bits must repeat: not random, not nondeterministic, not errors, not benchmarks', () => {
    const { report } = reference();
    const [a, b, c, d, e, ...rest] = report.results;
    if (!a || !b || !c || !d || !e) throw new Error('the reference run has too few cases');
    const results = [
      { ...a, repeatDigest: null },
      { ...b, outputs: b.outputs.map((o) => ({ ...o, rule: 'distribution(uniform,p≤1e-9)' })) },
      { ...c, status: 'error' as const, outputDigest: null },
      { ...d, repeatDigest: '0'.repeat(64) },
      { ...e, kind: 'bench' as const },
      ...rest,
      ...rest.slice(0, 1),
    ];
    expect(auditCandidates({ ...report, results }).map((r) => r.id)).toEqual(rest.map((r) => r.id));
  });

  it('on another device: warns, names the case it computes otherwise, counts the cases it cannot run apart, exits 1', async () => {
    const { dir, report } = reference();
    const { code, outcome } = await audit(dir, '--driver', 'exec', '--worker', `${PY} ${join(PACKAGE_ROOT, 'fixtures/workers/example_worker.py')}`, '--sample', '1000');
    // the log of the reruns is kept when a case could not be rerun: what the worker said is in it
    expect(outcome.log).toMatch(/run\.log$/);
    rmSync(dirname(outcome.log ?? ''), { recursive: true, force: true });
    expect(code).toBe(1);
    expect(outcome.sameStack).toBe(false);
    // the example device runs add but not sin
    const sin = report.results.filter((r) => r.subject === 'aten.sin.default').map((r) => r.id);
    expect(outcome.cases.filter((c) => c.finding === 'not-rerun').map((c) => [c.id, c.rerun?.status])).toEqual(sin.map((id) => [id, 'unsupported']));
    const lines = renderAudit(outcome);
    expect(lines[4]).toMatch(/^warning: the report's device \(accelcert float64 reference oracle, .*\) is not this one \(accelcert example worker .*\): equal bits are expected only on the same device and software stack$/);
    expect(lines.filter((l) => l.startsWith('NOT RERUN '))).toHaveLength(sin.length);
    const differ = outcome.counts.mismatch;
    expect(lines.at(-1)).toBe(`AUDIT FAILED: ${differ} of ${report.results.length} sampled cases differ; ${sin.length} could not be rerun on this device (${sin.length} unsupported)`);
  }, 60_000);

  it.runIf(haveTorch)('passes a report of PyTorch on the CPU audited on PyTorch on the CPU', async () => {
    const { dir, report } = realPytorchRun();
    const { code, outcome } = await audit(dir, '--driver', 'pytorch', '--sample', '1000');
    expect(code).toBe(0);
    expect(outcome.sameStack).toBe(true);
    expect(outcome.counts.match).toBe(report.results.length);
    expect(outcome.passed).toBe(true);
  }, 120_000);

  it.runIf(haveTorch)('names every case of a device whose sin is one ULP off, though its cases all pass, and exits 1', async () => {
    const faulty = run('faulty', ['--driver', 'exec', '--worker', FAULTY_WORKER], { ACCELCERT_FAULTS: 'ulp=aten.sin.default' });
    const real = new Map(realPytorchRun().report.results.map((r) => [r.id, r.outputDigest]));
    // the fault changed exactly these cases' bits: what the audit must find, and nothing else
    const changed = faulty.report.results.filter((r) => r.outputDigest !== real.get(r.id)).map((r) => r.id);
    expect(changed.length).toBeGreaterThan(10);
    expect(changed.every((id) => id.includes('/aten.sin.default/'))).toBe(true);

    const text = await runMain('audit', faulty.dir, '--driver', 'pytorch', '--sample', '1000', '--sample-seed', 'all');
    expect(text.code).toBe(1);
    // one line per case that did not match, each a MISMATCH: the inputs were the report's
    const findings = text.out.split('\n').filter((l) => /^[A-Z ]+ core\//.test(l));
    const mismatches = findings.filter((l) => l.startsWith('MISMATCH '));
    expect(mismatches).toEqual(findings);
    expect(mismatches.map((l) => l.split(':')[0])).toEqual(changed.map((id) => `MISMATCH ${id}`));
    const id = changed[0] ?? '';
    const recorded = faulty.report.results.find((r) => r.id === id)?.outputDigest ?? '';
    expect(mismatches[0]).toBe(`MISMATCH ${id}: report outputDigest ${recorded}, this device ${real.get(id) ?? ''} (the rerun's status: pass)`);
    expect(text.out.trimEnd().split('\n').at(-1)).toBe(`AUDIT FAILED: ${changed.length} of ${faulty.report.results.length} sampled cases differ`);
  }, 180_000);

  it.runIf(haveTorch)('catches a fabricated report: the oracle\'s own answers, signed, under PyTorch CPU\'s fingerprint', async () => {
    // a driver that answers with the oracle's values and claims any fingerprint: what no self-run certification prevents
    const oracle = reference().report;
    const claimed = realPytorchRun().report.target;
    const forged = { ...oracle, target: { ...oracle.target, driver: 'pytorch', device: claimed.device, fingerprint: claimed.fingerprint } };
    const dir = join(tmp, 'fabricated');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report.json'), JSON.stringify(forged));
    const { code, outcome } = await audit(dir, '--driver', 'pytorch', '--sample', '1000', '--sample-seed', 'all');
    expect(outcome.sameStack).toBe(true);
    expect(code).toBe(1);
    // PyTorch's sin is not the correctly rounded one the oracle gives (nor are its NaN payloads the oracle's): those
    // cases' bits betray the fabrication
    const mismatched = outcome.cases.filter((c) => c.finding === 'mismatch').map((c) => c.id);
    expect(mismatched.filter((id) => id.includes('/aten.sin.default/')).length).toBeGreaterThan(5);
  }, 180_000);

  describe('bad input: one sentence and exit 2', () => {
    const good = (): string => join(reference().dir, 'report.json');
    /** The reference run's report, edited, in a file of its own. */
    const edited = (name: string, edit: (r: Report) => Report): string => {
      const file = join(tmp, `${name}.json`);
      writeFileSync(file, JSON.stringify(edit(reference().report)));
      return file;
    };

    it.each([
      ['a missing report', () => ['fixtures/bad-input/none'], 'fixtures/bad-input/none does not exist'],
      ['a file that is not JSON', () => ['fixtures/bad-input/not-json.json'], 'fixtures/bad-input/not-json.json is not JSON'],
      ['a sample of 0', () => [good(), '--sample', '0'], '--sample "0" must be a positive whole number'],
      ['a sample that is not whole', () => [good(), '--sample', '2.5'], '--sample "2.5" must be a positive whole number'],
      ['a sample seed with a space', () => [good(), '--sample-seed', 'a b'], `--sample-seed "a b" may hold only ASCII letters, digits, '.', '_' and '-' (it holds " ")`],
      [
        'a case this accelcert does not ship',
        () => [edited('unknown-case', (r) => ({ ...r, results: r.results.map((x, i) => (i === 0 ? { ...x, id: 'core/unary/aten.sin.default/float32/no-such-case' } : x)) }))],
        'the report\'s case core/unary/aten.sin.default/float32/no-such-case is not a case this accelcert ships, so it cannot be rerun',
      ],
      ['a report with nothing to rerun', () => [edited('nothing', (r) => ({ ...r, results: r.results.map((x) => ({ ...x, repeatDigest: null })) }))], 'the report has no result an audit can rerun'],
    ])('%s', async (_what, args, says) => {
      const r = await runMain('audit', ...args(), '--driver', 'reference');
      expect(r.code, r.err).toBe(2);
      const sentences = r.err.split('\n').filter(Boolean);
      expect(sentences).toHaveLength(1);
      expect(sentences[0]).toContain(`accelcert: ${says}`);
      expect(r.out).toBe('');
    }, 60_000);
  });
});
