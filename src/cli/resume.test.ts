import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportSchema, type Report } from '../report/schema.js';
import { runCli } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

// about 900 cases on the reference device: a few seconds, long enough to be killed half-way
const ARGS = ['run', '--driver', 'reference', '--filter', 'core/binary/**', '--dtype', 'float32', '--no-sign'];
const root = mkdtempSync(join(tmpdir(), 'accelcert-resume-'));
const report = (dir: string): Report => ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
const journalLines = (dir: string): number => (existsSync(join(dir, 'journal.jsonl')) ? readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0);

/** Starts a run and SIGKILLs the harness once its journal holds `lines` results: what a power loss leaves behind. */
function killedRun(out: string, lines: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin/accelcert.js'), ...ARGS, '--out', out], { env: { ...process.env, CI: '1' }, stdio: 'ignore' });
    const poll = setInterval(() => {
      if (journalLines(out) >= lines) child.kill('SIGKILL');
    }, 20);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      if (signal !== 'SIGKILL') reject(new Error(`the run ended by itself (code ${code}) before it could be killed`));
      else resolve(journalLines(out));
    });
  });
}

describe('run --resume', () => {
  it('continues a run whose harness was SIGKILLed, without redoing finished cases, and reports what an uninterrupted run reports', async () => {
    const whole = join(root, 'whole');
    expect(runCli([...ARGS, '--out', whole]).code).toBe(0);

    const killed = join(root, 'killed');
    const before = await killedRun(killed, 200);
    expect(before).toBeGreaterThanOrEqual(200);
    expect(existsSync(join(killed, 'report.json'))).toBe(false);
    // the kill may cut a line short; a torn last line is dropped, not fatal
    appendFileSync(join(killed, 'journal.jsonl'), '{"id":"core/binary/aten.add.Tens');

    const resumed = runCli([...ARGS, '--resume', killed]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const a = report(whole);
    const b = report(killed);
    const key = (r: Report) => r.results.map((x) => [x.id, x.status, x.outputDigest, x.inputDigest]);
    expect(key(b)).toEqual(key(a));
    expect(b.verdict).toEqual(a.verdict);
    // the finished cases were not run again: the journal holds each case once
    const ids = readFileSync(join(killed, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(a.results.length);
  }, 120_000);

  it('refuses, in one sentence, to resume with another selection or in a folder that holds no run', () => {
    const done = join(root, 'whole');
    const other = runCli([...ARGS.map((x) => (x === 'float32' ? 'int64' : x)), '--resume', done]);
    expect([other.code, other.stderr.trim()]).toEqual([2, `accelcert: --resume ${done}: the run was started with --dtype ["float32"], this command gives ["int64"]`]);
    const empty = mkdtempSync(join(root, 'empty-'));
    const none = runCli([...ARGS, '--resume', empty]);
    expect([none.code, none.stderr.trim()]).toEqual([2, `accelcert: --resume ${empty}: the folder has no run.json, so it is not a run accelcert can resume`]);
  });
});
