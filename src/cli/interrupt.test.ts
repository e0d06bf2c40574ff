import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExitCode } from '../report/build.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { readJournal } from '../runner/journal.js';
import { CaseResultSchema } from '../runner/result.js';
import { runCli } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

// The example worker, slowed down (fixtures/workers/slow_worker.py): 50 cases, each run twice, ACCELCERT_SLOW_MS per
// request, so that a run is still going when it is interrupted. Every wait below waits for evidence, never a fixed time.
const PY = process.env.ACCELCERT_TEST_PYTHON ?? 'python3';
const WORKER = `${PY} ${join(PACKAGE_ROOT, 'fixtures/workers/slow_worker.py')}`;
const SELECTED = 50;
const ARGS = ['run', '--driver', 'exec', '--worker', WORKER, '--filter', 'core/binary/aten.add.Tensor', '--dtype', 'float32', '--timeout', '30'];
const KEYS = join(PACKAGE_ROOT, 'fixtures/keys');
// a second interrupt stops at once; this much is left for a loaded machine to start the exit and report it
const STOPPED_WITHIN_MS = 5000;
const root = mkdtempSync(join(tmpdir(), 'accelcert-interrupt-'));

const report = (dir: string): Report => ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
const journalText = (dir: string): string => (existsSync(join(dir, 'journal.jsonl')) ? readFileSync(join(dir, 'journal.jsonl'), 'utf8') : '');
const journalLines = (dir: string): string[] => journalText(dir).split('\n').filter(Boolean);

interface Running {
  stderr: () => string;
  signal: (s: NodeJS.Signals) => void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts `accelcert run` on the built CLI, as a user would, with the slow worker's settings in its environment. */
function startRun(out: string, env: Record<string, string>, extra: string[]): Running {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin/accelcert.js'), ...ARGS, ...extra, '--out', out], {
    env: { ...process.env, CI: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  // never leave a run behind when an assertion fails
  exited.catch(() => undefined);
  return { stderr: () => stderr, signal: (s) => child.kill(s), exited };
}

/** Resolves once `ready()` holds, polling; fails after `ms` with what it was waiting for and the run's stderr. */
async function waitFor(ready: () => boolean, what: string, run: Running, ms = 60_000): Promise<void> {
  const until = performance.now() + ms;
  while (!ready()) {
    const ended = await Promise.race([run.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 25))]);
    if (ended && !ready()) throw new Error(`the run ended before ${what}; its stderr:\n${run.stderr()}`);
    if (performance.now() > until) throw new Error(`no ${what} after ${ms} ms; the run's stderr:\n${run.stderr()}`);
  }
}

/** Whether process `pid` is gone: absent, or a zombie nobody reaped yet (Linux /proc; elsewhere: assumed gone). */
function processGone(pid: number): boolean {
  if (!existsSync('/proc')) return true;
  const stat = join('/proc', String(pid), 'stat');
  if (!existsSync(stat)) return true;
  const state = readFileSync(stat, 'utf8').replace(/^.*\) /s, '')[0];
  return state === 'Z' || state === 'X';
}

/** Runs with one interrupt after the first finished case; returns the run folder and the run's stderr. */
async function interruptedOnce(name: string, signal: NodeJS.Signals, extra: string[]): Promise<{ out: string; stderr: string; code: number | null }> {
  const out = join(root, name);
  const run = startRun(out, { ACCELCERT_SLOW_MS: '150' }, extra);
  await waitFor(() => journalLines(out).length >= 1, 'finished case in the journal', run);
  run.signal(signal);
  const { code } = await run.exited;
  return { out, stderr: run.stderr(), code };
}

describe('interrupting a run', () => {
  it('SIGINT: the cases in flight finish, then a signed INCOMPLETE report of what ran, exit 130', async () => {
    const { out, stderr, code } = await interruptedOnce('sigint', 'SIGINT', ['--key', join(KEYS, 'ed25519.key')]);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('accelcert: interrupted: finishing the cases in flight, then writing an INCOMPLETE report (press Ctrl-C again to stop at once)\n');
    expect(stderr).not.toContain('interrupted again');

    const r = report(out);
    expect(r.run).toEqual({ outcome: 'interrupted', message: 'interrupted by a signal' });
    expect(r.verdict.status).toBe('INCOMPLETE');
    expect(r.verdict.reasons[0]).toBe('the run interrupted: interrupted by a signal');
    // the cases not run are absent from the results: the selection says how many were selected, the summary how many ran
    expect(r.selection.cases).toBe(SELECTED);
    expect(r.results.length).toBeGreaterThanOrEqual(1);
    expect(r.results.length).toBeLessThan(SELECTED);
    expect(r.summary.total).toBe(r.results.length);
    const ids = r.results.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^core\/binary\/aten\.add\.Tensor\/float32\//);
    // the journal holds every result the report holds, and nothing else
    const journal = journalLines(out).map((l) => CaseResultSchema.parse(JSON.parse(l)).id);
    expect([...journal].sort()).toEqual([...ids].sort());

    // signed: verify accepts the signature and every claim; an honest interrupted run is VALID but INCOMPLETE (exit 5)
    expect(existsSync(join(out, 'report.dsse.json'))).toBe(true);
    const v = runCli(['verify', out, '--key', join(KEYS, 'ed25519.pub'), '--json']);
    const outcome = JSON.parse(v.stdout) as { valid: boolean; result: string; checks: { id: string; state: string }[] };
    const failed = outcome.checks.filter((c) => c.state !== 'ok' && c.state !== 'warn').map((c) => c.id);
    expect([v.code, outcome.valid, outcome.result, failed]).toEqual([5, true, 'INCOMPLETE', []]);
    expect(outcome.checks.find((c) => c.id === 'completeness')?.state).toBe('warn');
    expect(outcome.checks.find((c) => c.id === 'signature')?.state).toBe('ok');
    expect(outcome.checks.find((c) => c.id === 'verdict')?.state).toBe('ok');
  }, 120_000);

  it('SIGTERM: the same, exit 130', async () => {
    const { out, stderr, code } = await interruptedOnce('sigterm', 'SIGTERM', ['--no-sign']);
    expect(code, stderr).toBe(130);
    const r = report(out);
    expect(r.run.outcome).toBe('interrupted');
    expect(r.verdict.status).toBe('INCOMPLETE');
    expect(r.results.length).toBeLessThan(SELECTED);
    expect(journalLines(out)).toHaveLength(r.results.length);
  }, 120_000);

  it('a second SIGINT while a case hangs stops at once with the journal intact, and --resume completes the run', async () => {
    const out = join(root, 'twice');
    const pidFile = join(root, 'twice.worker.pid');
    // the worker answers 6 requests (3 cases, each run twice), then hangs: with --timeout 30 the run cannot wind down soon
    const run = startRun(out, { ACCELCERT_SLOW_MS: '20', ACCELCERT_HANG_AFTER: '6', ACCELCERT_PID_FILE: pidFile }, ['--no-sign']);
    await waitFor(() => journalLines(out).length >= 1 && existsSync(pidFile), 'finished case in the journal', run);
    run.signal('SIGINT');
    await waitFor(() => run.stderr().includes('accelcert: interrupted: finishing the cases in flight'), 'message for the first interrupt', run);
    const second = performance.now();
    run.signal('SIGINT');
    const { code, at } = await run.exited;
    expect(code, run.stderr()).toBe(130);
    expect(at - second).toBeLessThan(STOPPED_WITHIN_MS);

    // no report: the run stopped before writing one; the journal holds whole results only, and says how many
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    const text = journalText(out);
    expect(text.endsWith('\n')).toBe(true);
    const lines = journalLines(out);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThan(SELECTED);
    for (const line of lines) CaseResultSchema.parse(JSON.parse(line));
    expect(readJournal(join(out, 'journal.jsonl')).torn).toBe(false);
    const journal = join(out, 'journal.jsonl');
    expect(run.stderr()).toContain(
      `accelcert: interrupted again: stopping at once; the journal ${journal} holds ${lines.length} finished cases (resume with the same command and --resume ${out})\n`,
    );
    // the worker that hung and the spare waiting behind it
    const pids = readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    const until = performance.now() + 5000;
    while (!pids.every(processGone) && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
    for (const pid of pids) expect(processGone(pid), `worker ${pid} outlived the harness`).toBe(true);

    // the same command with --resume runs the cases left (the worker no longer hangs) and completes the run
    const resumed = runCli([...ARGS, '--no-sign', '--resume', out], { ACCELCERT_SLOW_MS: '0' });
    const r = report(out);
    expect(resumed.code, resumed.stderr).toBe(runExitCode(r));
    expect(r.run.outcome).toBe('completed');
    expect(r.results).toHaveLength(SELECTED);
    const after = journalLines(out);
    expect(after.slice(0, lines.length)).toEqual(lines);
    const ids = after.map((l) => (JSON.parse(l) as { id: string }).id);
    expect(new Set(ids).size).toBe(SELECTED);
  }, 180_000);
});
