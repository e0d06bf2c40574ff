import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execDriver } from '../drivers/exec/driver.js';
import { inProcessSession, referenceExec, REFERENCE_DEVICE } from '../drivers/reference/driver.js';
import type { ExecRequest, ExecResult } from '../drivers/types.js';
import type { Case } from '../workload/case.js';
import { shippedSuites } from '../../suites/index.js';
import { PACKAGE_ROOT } from '../version.js';
import { executeCases } from './execute.js';

/**
 * A crashing or hanging device never takes the run down: the case that killed it is recorded as crash or
 * timeout, the worker is restarted, and every other case (including those in flight with it) completes.
 */
const worker = (mode: string) => `python3 ${join(PACKAGE_ROOT, 'fixtures/workers/misbehaving_worker.py')} ${mode}`;

const base = shippedSuites()[0]!.cases.filter((c) => /^core\/binary\/aten\.add\.Tensor\/float32\/7x13(-transposed|-strided|-offset)?$/.test(c.id));

function plan(marker: string, at: number, count = 8): Case[] {
  return Array.from({ length: count }, (_, i) => {
    const c = base[i % base.length]!;
    return { ...c, id: `${c.id}/${i === at ? marker : `ok${i}`}` };
  });
}

async function run(mode: string, cases: Case[], timeoutMs: number, reopenFails = false, maxConsecutiveCrashes?: number) {
  const opts = { worker: worker(mode), timeoutMs, frameStallMs: 1000 };
  let opened = 0;
  const open = async () => {
    opened++;
    if (reopenFails && opened > 1) throw new Error('example device: /dev/example0 is gone');
    return execDriver.open(undefined, opts);
  };
  const journal: string[] = [];
  const limit = maxConsecutiveCrashes !== undefined ? { maxConsecutiveCrashes } : {};
  const out = await executeCases(await open(), cases, { timeoutMs, depth: 4, reopen: open, onResult: (r) => journal.push(r.id), ...limit });
  return { ...out, opened, journal };
}

describe('crash and hang survival', () => {
  it('an in-process driver that throws crashes only its case, and the run goes on', async () => {
    const cases = plan('boom', 1, 4);
    const exec = (req: ExecRequest): ExecResult => {
      if (req.caseId.endsWith('/boom')) throw new TypeError('driver bug: cannot read properties of undefined');
      return referenceExec(req);
    };
    let opened = 0;
    const open = () => {
      opened++;
      return Promise.resolve(inProcessSession(REFERENCE_DEVICE, exec));
    };
    const { results } = await executeCases(await open(), cases, { timeoutMs: 5000, depth: 2, reopen: open, onResult: () => undefined });
    expect(results.map((r) => r.status)).toEqual(['pass', 'crash', 'pass', 'pass']);
    expect(results[1]?.message).toMatch(/driver bug/);
    expect(opened).toBe(2);
  });

  it('records a crashing case as crash, restarts the worker, and completes the others', async () => {
    expect(base.length).toBeGreaterThanOrEqual(3);
    const cases = plan('crash', 2);
    const { results, opened } = await run('crash-on-exec', cases, 20_000);
    expect(results.map((r) => r.status)).toEqual(cases.map((c) => (c.id.endsWith('/crash') ? 'crash' : 'pass')));
    expect(results[2]?.message).toMatch(/died/);
    expect(opened).toBe(2);
  }, 60_000);

  it('records a hanging case as timeout, kills the worker, and completes the others', async () => {
    const cases = plan('hang', 5);
    const { results, opened } = await run('hang-on-exec', cases, 1500);
    expect(results.map((r) => r.status)).toEqual(cases.map((c) => (c.id.endsWith('/hang') ? 'timeout' : 'pass')));
    expect(opened).toBe(2);
  }, 60_000);

  it('when the device cannot be reopened, keeps every completed result and records the rest as crashes, never skips', async () => {
    const cases = plan('crash', 6);
    const { results, deviceLost, journal } = await run('crash-on-exec', cases, 20_000, true);
    expect(deviceLost).toMatch(/\/dev\/example0 is gone/);
    expect(results).toHaveLength(cases.length);
    // the first cases (both of their runs) completed before the crash; nothing is lost or skipped
    expect(results.slice(0, 3).map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    expect(results[6]?.status).toBe('crash');
    expect(results[6]?.message).toMatch(/died/);
    for (const r of results) expect(['pass', 'crash']).toContain(r.status);
    for (const r of results.filter((x, i) => x.status === 'crash' && i !== 6)) expect(r.message).toMatch(/not run: the device could not be reopened/);
    expect(journal).toHaveLength(cases.length);
  }, 60_000);

  it('stops after N crashes in a row: the cases left are recorded as not run, with the reason', async () => {
    const cases = Array.from({ length: 10 }, (_, i) => ({ ...base[i % base.length]!, id: `${base[i % base.length]!.id}/crash${i}` }));
    const { results, deviceLost, opened, journal } = await run('crash-on-exec', cases, 20_000, false, 3);
    expect(deviceLost).toBe('3 cases in a row crashed, timed out or broke the protocol (the limit is 3): the device is not usable');
    expect(results).toHaveLength(cases.length);
    expect(journal).toHaveLength(cases.length);
    for (const r of results) expect(r.status).toBe('crash');
    const notRun = results.filter((r) => r.message?.startsWith('not run: 3 cases in a row crashed,'));
    expect(notRun.length).toBeGreaterThanOrEqual(cases.length - 4);
    // no worker started for the cases that were not run
    expect(opened).toBeLessThanOrEqual(5);
  }, 120_000);

  it('charges no case for another one\'s failure: a device that crashes on one op, hangs on a second and exits on a third', async () => {
    // runs of faulty cases longer than the pipeline is deep (4), and correct cases in flight with them
    const marks = ['ok', 'hang', 'hang', 'hang', 'hang', 'hang', 'ok', 'crash', 'crash', 'crash', 'crash', 'crash', 'ok', 'exit', 'exit', 'exit', 'exit', 'ok', 'ok'];
    const cases = marks.map((m, i) => ({ ...base[i % base.length]!, id: `${base[i % base.length]!.id}/${m}${i}` }));
    const { results } = await run('crash-hang-exit', cases, 1500);
    const expected: Record<string, string> = { ok: 'pass', crash: 'crash', hang: 'timeout', exit: 'crash' };
    expect(results.map((r) => r.status)).toEqual(marks.map((m) => expected[m]));
    for (const r of results.filter((x) => x.status !== 'pass')) expect(r.message).not.toMatch(/while this case waited/);
  }, 120_000);
});

/**
 * A worker that misbehaves at the protocol level, on one case of eight in the middle of the pipeline: that case gets
 * its own status and a sentence that says what the worker did; the worker is restarted; every other case passes.
 * A self-consistent answer of the wrong shape or dtype is a wrong answer (`fail`, judged); a reply the harness cannot
 * read is `error` (the worker broke the protocol); a worker that died is `crash`.
 */
describe('a worker that breaks the protocol', () => {
  const faults: [mode: string, status: string, message: RegExp | null, restarts: boolean][] = [
    ['garbage-bytes', 'error', /broke the protocol: it sent bytes that are not an accelcert frame \(expected magic "ACRT", got 0x7f454c46\)/, true],
    ['truncated-frame', 'error', /broke the protocol: it sent a truncated frame \(\d+ of its \d+ bytes, then nothing for 1 s\) while running case .*\/bad2/, true],
    ['truncated-exit', 'crash', /exited with code 0 in the middle of a reply \(after \d+ of its \d+ bytes\) while running case .*\/bad2/, true],
    ['oversized', 'error', /a frame body of 1099511627776 bytes \(allowed: up to \d+\)/, true],
    ['invalid-json', 'error', /broke the protocol: it sent a frame header that is not valid JSON: "{\\"type\\": \\"result\\", id: 7, outputs: \[}"/, true],
    ['unknown-id', 'error', /broke the protocol: it answered request id \d+, which is not awaiting an answer/, true],
    ['string-id', 'error', /broke the protocol: it sent a reply whose id is "\d+" \(a reply's id is the integer id of its request\)/, true],
    ['wrong-bytes', 'error', /broke the protocol: its reply to case .*\/bad2 is an invalid result: output 0 \(float32, shape \[7, 13\]\) has 360 bytes, expected 364/, true],
    ['wrong-shape', 'fail', /shape/, false],
    ['wrong-dtype', 'fail', /dtype int32/, false],
    ['stdout-noise', 'pass', null, false],
    ['close-requests', 'error', /broke the protocol: it closed its request pipe \(fd 3\) but kept running/, true],
    ['close-replies', 'error', /broke the protocol: it closed its reply pipe \(fd 4\) but kept running/, true],
    ['memory-blowup', 'crash', /was killed by SIGKILL \(a SIGKILL the harness did not send: most often the out-of-memory killer, see dmesg\) while running case .*\/bad2/, true],
  ];
  it.each(faults)('%s: the case gets %s, the worker is restarted, every other case passes', async (mode, status, message, restarts) => {
    const cases = plan('bad2', 2);
    const { results, opened, journal } = await run(mode, cases, 20_000);
    expect(results.map((r) => r.id)).toEqual(cases.map((c) => c.id));
    expect(journal).toHaveLength(cases.length);
    expect(results.map((r) => r.status)).toEqual(cases.map((c) => (c.id.endsWith('/bad2') ? status : 'pass')));
    if (message) expect(results[2]?.message).toMatch(message);
    for (const r of results.filter((x) => !x.id.endsWith('/bad2'))) expect(r.outputDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(opened).toBe(restarts ? 2 : 1);
  }, 60_000);
});
