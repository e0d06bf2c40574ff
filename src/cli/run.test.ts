import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import { runCli as cli } from '../testing/helpers.js';
import { shellQuote } from '../render/format.js';
import { ReportSchema, type Report } from '../report/schema.js';

/** Runs the built CLI as a user would (npm test builds it first). */

const home = mkdtempSync(join(tmpdir(), 'accelcert-home-'));

describe('accelcert run', () => {
  it.each([
    [['run', '--driver', 'nope'], /^accelcert: unknown driver "nope"; known drivers: pytorch, exec, reference/],
    [['run', '--driver', 'reference', '--suite', 'nope'], /^accelcert: unknown suite "nope"; known suites: core/],
    [['run', '--driver', 'reference', '--dtype', 'float17'], /^accelcert: --dtype "float17" is not a dtype/],
    [['run', '--driver', 'reference', '--filter', 'core/nothing/here'], /^accelcert: --filter "core\/nothing\/here" matches no case/],
    [['run', '--driver', 'reference', '--profile', 'training'], /^accelcert: unknown profile "training"/],
    [['run', '--driver', 'reference', '--shard', '5/4'], /^accelcert: --shard "5\/4" must be K\/N/],
    [['run', '--driver', 'reference', '--timeout', '-1'], /^accelcert: --timeout "-1" must be a positive number/],
    [['run', '--bogus'], /unknown option '--bogus'/],
    // the signing key is checked before the first case runs, not after the whole run
    [['run', '--driver', 'reference', '--key', join(PACKAGE_ROOT, 'fixtures/keys/encrypted.key')], /^accelcert: .*encrypted\.key is an encrypted private key; accelcert signs with an unencrypted one/],
    [['run', '--driver', 'reference', '--key', join(PACKAGE_ROOT, 'fixtures/keys/ed25519.pub')], /^accelcert: .*ed25519\.pub holds a public key; signing needs the private key/],
    [['run', '--driver', 'reference', '--key', '/nonexistent/vendor.key'], /^accelcert: key file \/nonexistent\/vendor\.key does not exist/],
    // a file where the run folder should be: refused before the first case
    [['run', '--driver', 'reference', '--no-sign', '--out', join(PACKAGE_ROOT, 'package.json', 'run')], /^accelcert: cannot write the run folder .*package\.json\/run: ENOTDIR/],
  ])('rejects bad input %j with one sentence and exit code 2', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  const worker = (mode: string) => `python3 ${join(PACKAGE_ROOT, 'fixtures/workers/misbehaving_worker.py')} ${mode}`;
  it.each([
    [['--driver', 'pytorch', '--python', '/nonexistent/python'], 2, /--python \/nonexistent\/python is not a Python interpreter/],
    [['--driver', 'pytorch', '--python', '/bin/true'], 2, /is not a Python interpreter/],
    [['--driver', 'exec'], 2, /needs a worker command/],
    [['--driver', 'exec', '--worker', worker('wrong-version')], 3, /speaks accelcert protocol version 99, but this accelcert speaks version 1/],
    [['--driver', 'exec', '--worker', worker('exit-at-start')], 3, /exited with code 3 while starting up \(its last stderr line: "example device: cannot open/],
    [['--driver', 'exec', '--worker', 'no-such-program --flag'], 2, /no-such-program was not found/],
    [['--driver', join(PACKAGE_ROOT, 'fixtures/drivers/open-throws.js')], 3, /the open-throws driver could not open its default device: vendor SDK: no device at \/dev\/accel0/],
  ])('a target that cannot start, %j, is one sentence and exit code %i', (args, code, message) => {
    const r = cli(['run', ...args, '--no-sign', '--out', join(mkdtempSync(join(tmpdir(), 'accelcert-run-')), 'run')]);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('accelcert: '))).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
  });

  it('certifies the reference driver on the default profile and the signed report verifies', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'accelcert-run-')), 'run');
    const r = cli(['run', '--driver', 'reference', '--out', out], { ACCELCERT_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CERTIFIED \(inference-fp32\)/);
    for (const f of ['report.json', 'report.dsse.json', 'summary.md', 'junit.xml', 'journal.jsonl', 'run.log']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { verdict: { status: string }; results: unknown[] };
    expect(report.verdict.status).toBe('CERTIFIED');
    const v = cli(['verify', out, '--key', join(home, 'default.pub')], { ACCELCERT_HOME: home });
    expect(v.code).toBe(0);
    // the whole default profile through the float64 oracle, without its cache: minutes on a busy 2-core machine
  }, 300_000);

  it('prints only JSON on stdout with --json, and a narrowed selection is INCOMPLETE', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'accelcert-run-')), 'run');
    const r = cli(['run', '--driver', 'reference', '--filter', 'core/binary/aten.add.Tensor', '--dtype', 'float32', '--no-sign', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { verdict: { status: string; reasons: string[] }; summary: { total: number } };
    expect(parsed.verdict.status).toBe('INCOMPLETE');
    expect(parsed.verdict.reasons.join(' ')).toMatch(/selection covers \d+ of \d+ required cases/);
    expect(parsed.summary.total).toBeGreaterThan(5);
    expect(existsSync(join(out, 'report.dsse.json'))).toBe(false);
    // progress went to stderr, as plain lines under CI
    expect(r.stderr).toMatch(/cases, 0 not passed/);
  });

  it('exits 1 and names the failing case when a device is wrong', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'accelcert-run-')), 'run');
    const driver = join(PACKAGE_ROOT, 'fixtures/drivers/wrong-relu.js');
    const r = cli(['run', '--driver', driver, '--filter', 'core/activation/aten.relu.default/float32', '--no-sign', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^NOT_CERTIFIED|^INCOMPLETE/);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/aten\.relu\.default/);
    expect(summary).toMatch(/--filter core\/activation\/aten\.relu\.default\/float32\/7x13-special$/m);

    // the same failures, covered by a scoped waiver: waived, listed, and a waiver that matched nothing is named
    const waivers = join(out, '..', 'waivers.json');
    writeFileSync(
      waivers,
      JSON.stringify({
        waivers: [
          { cases: 'core/activation/aten.relu.default/float32/*-special', devices: 'test/relu drops NaN/**', reason: 'tracked', url: 'https://example.com/b/1' },
          { cases: 'core/matmul/**', devices: 'test/other-device/**', reason: 'stale', url: 'https://example.com/b/2' },
        ],
      }),
    );
    const w = cli(['run', '--driver', driver, '--filter', 'core/activation/aten.relu.default/float32', '--no-sign', '--waivers', waivers, '--out', `${out}-waived`]);
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/\d+ waived/);
    expect(w.stdout).toMatch(/waiver W2 \(core\/matmul\/\*\*\) matched nothing/);
  });

  /**
   * Pastes the first rerun line of a run's summary.md into bash, as a vendor would, in a fresh folder (so that its
   * default run folder and signing key are the test's); `npx accelcert` is this checkout's bin/accelcert.js.
   */
  function pasteFirstRerun(out: string): { line: string; code: number | null; stderr: string; report: Report } {
    const line = readFileSync(join(out, 'summary.md'), 'utf8').split('\n').find((l) => l.startsWith('npx accelcert run '));
    if (line === undefined) throw new Error(`no rerun line in ${out}/summary.md`);
    const cwd = mkdtempSync(join(tmpdir(), 'accelcert-paste-'));
    const r = spawnSync('bash', ['-c', line.replace(/^npx accelcert /, `node ${shellQuote([join(PACKAGE_ROOT, 'bin/accelcert.js')])} `)], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, CI: '1', ACCELCERT_HOME: home },
    });
    const runs = existsSync(join(cwd, 'reports')) ? readdirSync(join(cwd, 'reports')) : [];
    if (runs.length !== 1) throw new Error(`the pasted rerun made ${runs.length} run folders; its stderr:\n${r.stderr}`);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(cwd, 'reports', runs[0] ?? '', 'report.json'), 'utf8')));
    return { line, code: r.status, stderr: r.stderr, report };
  }

  it('a rerun line of summary.md, pasted into a shell, runs exactly its case on the same target, seed and timeout', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'accelcert-run-')), 'run');
    const driver = join(PACKAGE_ROOT, 'fixtures/drivers/wrong-relu.js');
    const first = cli(['run', '--driver', driver, '--filter', 'core/*/aten.relu.default/float32/*', '--seed', 'paste-1', '--timeout', '30', '--no-sign', '--out', out]);
    expect(first.code, first.stderr).toBe(1);
    const failed = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).results.filter((x) => x.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);

    const pasted = pasteFirstRerun(out);
    const id = pasted.line.split(' ').at(-1) ?? '';
    expect(pasted.line).toBe(`npx accelcert run --driver ${shellQuote([driver])} --device wrong-relu:0 --seed paste-1 --timeout 30 --filter ${id}`);
    expect(failed.map((x) => x.id)).toContain(id);
    expect(pasted.code, pasted.stderr).toBe(1);
    expect(pasted.report.results.map((x) => [x.id, x.status, x.inputDigest])).toEqual(failed.filter((x) => x.id === id).map((x) => [x.id, x.status, x.inputDigest]));
    expect(pasted.report.target.device).toBe('wrong-relu:0');
    expect(pasted.report.selection.seed).toBe('paste-1');
  });

  it('an exec run\'s rerun line carries its worker command, spaces and quotes included, and runs as pasted', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'accelcert-run-')), 'run');
    // the example worker has no exp: its cases are unsupported, so summary.md has rerun lines
    const worker = `python3 '${join(PACKAGE_ROOT, 'fixtures/workers/example_worker.py')}'`;
    const first = cli(['run', '--driver', 'exec', '--worker', worker, '--filter', 'core/unary/aten.exp.default/float32/*', '--no-sign', '--out', out]);
    expect(first.code, first.stderr).toBe(1);
    const pasted = pasteFirstRerun(out);
    const id = pasted.line.split(' ').at(-1) ?? '';
    expect(pasted.line).toBe(`npx accelcert run --driver exec --device ${pasted.report.target.device} --worker ${shellQuote([worker])} --filter ${id}`);
    expect(pasted.line).toContain(`'\\''`);
    expect(pasted.report.command).toContain(worker);
    expect(pasted.report.results.map((x) => [x.id, x.status])).toEqual([[id, 'unsupported']]);
    expect(pasted.code, pasted.stderr).toBe(1);
  });

  it('refuses an --out folder that is not empty, in one sentence; --force replaces its run, and run.log holds only the new run', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'accelcert-run-')), 'run');
    const args = ['run', '--driver', 'reference', '--filter', 'core/unary/aten.neg.default/float32', '--no-sign', '--out', out];
    expect(cli(args).code).toBe(0);
    const log = readFileSync(join(out, 'run.log'), 'utf8');
    const again = cli(args);
    expect([again.code, again.stderr.trim()]).toEqual([
      2,
      `accelcert: --out ${out}: the folder is not empty (it holds journal.jsonl, junit.xml, report.html, report.json and 3 more); choose another folder, or add --force to replace its run`,
    ]);
    expect(readFileSync(join(out, 'run.log'), 'utf8')).toBe(log);
    // a run folder without its report holds a run that was killed: the sentence says how to continue it
    const killed = join(mkdtempSync(join(tmpdir(), 'accelcert-run-')), 'killed');
    mkdirSync(killed);
    for (const f of ['run.json', 'journal.jsonl', 'run.log']) cpSync(join(out, f), join(killed, f));
    expect(cli([...args.slice(0, -1), killed]).stderr.trim()).toBe(
      `accelcert: --out ${killed}: the folder is not empty (it holds journal.jsonl, run.json, run.log); continue its unfinished run with --resume ${killed}, choose another folder, or add --force to replace its run`,
    );

    // files of an older run that this one would not write, and one that is not a run's
    writeFileSync(join(out, 'comparison.md'), 'an old comparison\n');
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    const forced = cli([...args, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    const lines = readFileSync(join(out, 'run.log'), 'utf8').split('\n').filter(Boolean);
    expect(lines.filter((l) => l.includes('"msg":"run started"'))).toHaveLength(1);
    expect(existsSync(join(out, 'comparison.md'))).toBe(false);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine\n');
    // an empty folder is as good as a new one
    const empty = mkdtempSync(join(tmpdir(), 'accelcert-run-'));
    expect(cli([...args.slice(0, -1), empty]).code).toBe(0);
  });
});
