import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { runCli } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

/**
 * `accelcert driver-check` passes the workers that keep the protocol (the example worker, the pytorch worker, the
 * reference device, a worker that prints on stdout or answers out of order) and fails each misbehaving fixture worker
 * with the line that says what it did.
 */
const WORKERS = join(PACKAGE_ROOT, 'fixtures/workers');
const PY = process.env.ACCELCERT_TEST_PYTHON ?? 'python3';
const python = await findPython({}).catch(() => null);

interface Checklist {
  target: string;
  passed: boolean;
  checks: { name: string; ok: boolean | null; detail: string }[];
}

function check(...args: string[]): { code: number | null; list: Checklist } {
  const r = runCli(['driver-check', ...args, '--json']);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return { code: r.code, list: JSON.parse(r.stdout) as Checklist };
}
const misbehaving = (mode: string): string[] => ['--driver', 'exec', '--worker', `${PY} ${join(WORKERS, 'misbehaving_worker.py')} ${mode} driver-check/exec`, '--timeout', '2'];
const ALL = ['hello', 'discover', 'open', 'invalid device', 'exec', 'non-contiguous inputs', 'zero-size tensors', 'pipelining', 'unknown op', 'unlisted dtype', 'malformed request', 'unknown request type', 'close', 'end of requests'];

describe('driver-check', () => {
  it('passes the example worker on every check, as a checklist with exit 0', () => {
    const { code, list } = check('--driver', 'exec', '--worker', `${PY} ${join(WORKERS, 'example_worker.py')}`);
    expect(list.checks.map((c) => [c.name, c.ok])).toEqual(ALL.map((n) => [n, true]));
    expect([code, list.passed]).toEqual([0, true]);
    const text = runCli(['driver-check', '--driver', 'exec', '--worker', `${PY} ${join(WORKERS, 'example_worker.py')}`]);
    expect(text.stdout).toMatch(/^driver-check: the worker ".*example_worker\.py"\n {2}ok {4}hello {18}protocol 1; accelcert-example-worker 1; python [\d.]+\n/);
    expect(text.stdout).toMatch(/\n14 checks: 14 passed, 0 failed, 0 not applicable\n$/);
  }, 60_000);

  it.runIf(python?.torchVersion != null)('passes the pytorch worker on every check', () => {
    const { code, list } = check('--driver', 'pytorch');
    expect(list.checks.filter((c) => c.ok !== true)).toEqual([]);
    expect(list.checks.map((c) => c.name)).toEqual(ALL);
    expect(code).toBe(0);
  }, 120_000);

  it('passes the reference device and a module driver through their sessions', () => {
    for (const driver of ['reference', join(PACKAGE_ROOT, 'fixtures/drivers/reference-module.js')]) {
      const { code, list } = check('--driver', driver);
      expect(list.checks.map((c) => [c.name, c.ok])).toEqual(['open', 'exec', 'non-contiguous inputs', 'zero-size tensors', 'unknown op', 'close'].map((n) => [n, true]));
      expect(code).toBe(0);
    }
  }, 60_000);

  it('fails a worker that holds an answer back until the next request comes: the harness would wait for ever', () => {
    const { code, list } = check(...misbehaving('reverse-pairs'));
    expect(code).toBe(1);
    expect(list.checks.find((c) => c.name === 'exec')?.detail).toMatch(/did not answer within 2 s while running driver-check\/exec$/);
  }, 120_000);

  it.each([
    ['garbage-stdout', null],
    ['stdout-noise', null],
    ['wrong-version', ['hello', 'it speaks protocol version 99, this accelcert 1']],
    ['exit-at-start', ['hello', /exited with code 3 while starting up \(its last stderr line: "example device: cannot open \/dev\/example0 \(no such device\)"\)$/]],
    ['garbage-pipe', ['hello', /broke the protocol: it sent bytes that are not an accelcert frame \(expected magic "ACRT", got 0x48545450\) while starting up$/]],
    ['bad-hello', ['hello', /^the hello reply is invalid: worker: /]],
    ['crash-on-exec', ['exec', /exited with code 7 while running driver-check\/exec \(its last stderr line: "example device: fatal fault in aten\.add\.Tensor"\)$/]],
    ['hang-on-exec', ['exec', /did not answer within 2 s while running driver-check\/exec$/]],
    ['crash-hang-exit', ['exec', /exited with code 7 while running driver-check\/exec$/]],
    ['garbage-bytes', ['exec', /broke the protocol: it sent bytes that are not an accelcert frame \(expected magic "ACRT", got 0x7f454c46\) while running driver-check\/exec$/]],
    ['truncated-frame', ['exec', /did not answer within 2 s while running driver-check\/exec$/]],
    ['truncated-exit', ['exec', /exited with code 0 in the middle of a reply \(after \d+ of its \d+ bytes\) while running driver-check\/exec$/]],
    ['oversized', ['exec', /broke the protocol: it sent a frame body of 1099511627776 bytes/]],
    ['invalid-json', ['exec', /broke the protocol: it sent a frame header that is not valid JSON: /]],
    ['unknown-id', ['exec', /broke the protocol: it answered request id \d+, which is not awaiting an answer while running driver-check\/exec$/]],
    ['string-id', ['exec', /broke the protocol: it sent a reply whose id is "\d+"/]],
    ['wrong-bytes', ['exec', /broke the protocol: its reply to driver-check\/exec is an invalid result: output 0 \(float32, shape \[2, 3\]\) has 20 bytes, expected 24$/]],
    ['wrong-shape', ['exec', /: its output has shape \[3, 2\], expected \[2, 3\]$/]],
    ['wrong-dtype', ['exec', /: its output has dtype int32, expected float32$/]],
    ['close-requests', ['exec', /broke the protocol: it closed its request pipe \(fd 3\) but kept running while running driver-check\/exec$/]],
    ['close-replies', ['exec', /broke the protocol: it closed its reply pipe \(fd 4\) but kept running while running driver-check\/exec$/]],
    ['memory-blowup', ['exec', /was killed by SIGKILL \(a SIGKILL the harness did not send: most often the out-of-memory killer, see dmesg\) while running driver-check\/exec \(its last stderr line: "example device: 1024 MiB resident"\)$/]],
  ] as const)('%s: %j', (mode, failure) => {
    const { code, list } = check(...misbehaving(mode));
    const failed = list.checks.filter((c) => c.ok === false);
    if (failure === null) {
      expect(failed).toEqual([]);
      expect(code).toBe(0);
      return;
    }
    expect(code).toBe(1);
    expect(failed.map((c) => c.name)).toEqual([failure[0]]);
    expect(failed[0]?.detail).toMatch(failure[1]);
  }, 60_000);

  it('run --trace-protocol writes every frame header of the run to run.log, and only with the flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accelcert-trace-'));
    const args = ['run', '--driver', 'exec', '--worker', `${PY} ${join(WORKERS, 'example_worker.py')}`, '--filter', 'core/*/aten.neg.default/float32/7x13', '--no-sign', '--no-spare-worker'];
    expect(runCli([...args, '--trace-protocol', '--out', join(dir, 'traced')]).code).toBe(0);
    const traced = readFileSync(join(dir, 'traced', 'run.log'), 'utf8');
    const types = [...traced.matchAll(/\[protocol ([→←])\] \{\\"type\\":\\"(\w+)\\"/g)].map((m) => `${m[1] ?? ''}${m[2] ?? ''}`);
    expect(types).toEqual(['→hello', '←hello', '→open', '←opened', '→exec', '→exec', '←result', '←result', '→close', '←closed']);
    expect(runCli([...args, '--out', join(dir, 'quiet')]).code).toBe(0);
    expect(readFileSync(join(dir, 'quiet', 'run.log'), 'utf8')).not.toContain('[protocol ');
  }, 60_000);
});
