import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arg } from '../ops/args.js';
import { runCli, userErrorOf as userError } from '../testing/helpers.js';
import { REFERENCE_DEVICE, referenceExec } from './reference/driver.js';
import { guardDriver, INVALID_DEVICE, type ModuleDriver, type ModuleSession } from './module.js';
import type { ExecRequest } from './types.js';

/** Everything a module driver returns is checked: a mistake is one sentence naming the member and the field. */
const relu: ExecRequest = {
  kind: 'op',
  caseId: 'core/unary/aten.relu.default/float32/1',
  op: 'aten.relu.default',
  args: [arg.tensor(0)],
  kwargs: {},
  inputs: [{ dtype: 'float32', shape: [2], strides: [1], offset: 0, storage: new Uint8Array(new Float32Array([-1, 2]).buffer) }],
};
const caps = { dtypes: ['float32' as const], ops: null, features: [] };

function driverWith(session: Partial<ModuleSession> | (() => never), extra: Partial<ModuleDriver> = {}): ModuleDriver {
  return {
    name: 'acme',
    description: 'test',
    availability: () => ({ usable: true, reason: 'here' }),
    discover: () => [REFERENCE_DEVICE],
    open: typeof session === 'function' ? session : () => ({ device: REFERENCE_DEVICE, capabilities: caps, exec: referenceExec, close: () => undefined, ...session }),
    ...extra,
  };
}

async function answer(session: Partial<ModuleSession>) {
  const s = await guardDriver(driverWith(session), 'module ./acme.js').open(undefined, {});
  return s.exec(relu);
}

describe('a module driver checked against its interface', () => {
  it('takes synchronous answers from every member as well as Promises', async () => {
    const d = guardDriver(driverWith({}), 'module ./acme.js');
    expect(await d.availability({})).toEqual({ usable: true, reason: 'here' });
    expect(await d.discover({})).toEqual([REFERENCE_DEVICE]);
    const s = await d.open(undefined, {});
    const r = await s.exec(relu);
    expect(r.ok).toBe(true);
    await expect(s.close()).resolves.toBeUndefined();
  });

  it('a close that throws, synchronously or not, is ignored', async () => {
    for (const close of [() => { throw new TypeError('sdk gone'); }, () => Promise.reject(new Error('sdk gone'))]) {
      const s = await guardDriver(driverWith({ close }), 'module ./acme.js').open(undefined, {});
      await expect(s.close()).resolves.toBeUndefined();
    }
  });

  it.each([
    ['a bare array', () => [], /exec\(\) answered case core\/unary\/aten\.relu\.default\/float32\/1 with a value that does not match the interface of docs\/module-drivers\.md: /],
    ['{ ok: true } without outputs', () => ({ ok: true }), /: outputs: /],
    ['an output without strides', () => ({ ok: true, outputs: [{ dtype: 'float32', shape: [2], offset: 0, storage: new Uint8Array(8) }] }), /outputs\.0\.strides/],
    ['an output whose storage is a plain array', () => ({ ok: true, outputs: [{ dtype: 'float32', shape: [2], strides: [1], offset: 0, storage: [0, 0] }] }), /outputs\.0\.storage: expected a Uint8Array of little-endian elements/],
    ['an unknown dtype', () => ({ ok: true, outputs: [{ dtype: 'float33', shape: [2], strides: [1], offset: 0, storage: new Uint8Array(8) }] }), /outputs\.0\.dtype/],
    ['an error kind outside the documented set', () => ({ ok: false, error: { kind: 'device_on_fire', message: 'hot' } }), /error\.kind/],
    ['undefined', () => undefined, /does not match the interface/],
  ])('an exec that answers %s makes that case an error naming the field', async (_, exec, message) => {
    const r = await answer({ exec: exec as unknown as ModuleSession['exec'] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('runtime');
    expect(r.error.message).toMatch(/^the driver module \.\/acme\.js: exec\(\) answered case /);
    expect(r.error.message).toMatch(message);
  });

  it('an exec that throws, synchronously or not, rejects: the runner records a crash of the device', async () => {
    await expect(answer({ exec: () => { throw new Error('segfault in acme_relu'); } })).rejects.toThrow('segfault in acme_relu');
  });

  it('open: invalid_device is the user\'s mistake (exit 2), anything else the device\'s (the runner says exit 3), a malformed session exit 3', async () => {
    const invalid = guardDriver(driverWith(() => { throw Object.assign(new Error('there is no acme:7'), { code: INVALID_DEVICE }); }), 'module ./acme.js');
    const e = await userError(invalid.open('acme:7', {}));
    expect([e.exitCode, e.message]).toEqual([2, 'the driver module ./acme.js cannot open device "acme:7": there is no acme:7']);
    const failing = guardDriver(driverWith(() => { throw new Error('no device at /dev/acme0'); }), 'module ./acme.js');
    await expect(failing.open(undefined, {})).rejects.toThrow('no device at /dev/acme0');
    const noCaps = guardDriver({ ...driverWith({}), open: () => ({ device: REFERENCE_DEVICE, exec: referenceExec, close: () => undefined }) } as unknown as ModuleDriver, 'module ./acme.js');
    const m = await userError(noCaps.open(undefined, {}));
    expect([m.exitCode, m.message]).toEqual([3, 'the driver module ./acme.js: open() returned a session that does not match the interface of docs/module-drivers.md: capabilities: Invalid input: expected object, received undefined']);
  });

  it('availability that throws is "not usable", with the reason; discover that answers garbage is one sentence, exit 3', async () => {
    const d = guardDriver(driverWith({}, { availability: () => { throw new Error('libacme.so not found'); }, discover: () => [{ device: 'acme:0' }] as never }), 'module ./acme.js');
    expect(await d.availability({})).toEqual({ usable: false, reason: 'the driver module ./acme.js: availability() threw: libacme.so not found', exitCode: 3 });
    const e = await userError(d.discover({}));
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/^the driver module \.\/acme\.js: discover\(\) returned a value that does not match the interface of docs\/module-drivers\.md: 0\.fingerprint/);
  });

  it('on the command line: a synchronous close and exec run to a report; an invalid device is exit 2, one sentence, no stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accelcert-module-'));
    const file = join(dir, 'sync-driver.mjs');
    writeFileSync(
      file,
      [
        "const device = { device: 'acme:0', fingerprint: { vendor: 'Acme', model: 'N1', memoryBytes: null, driverVersion: null, framework: null, extra: {} } };",
        'export default {',
        "  name: 'sync', description: 'every member synchronous',",
        "  availability: () => ({ usable: true, reason: 'here' }),",
        '  discover: () => [device],',
        '  open(name) {',
        "    if (name && name !== 'acme:0') throw Object.assign(new Error(`no ${name} here`), { code: 'invalid_device' });",
        "    return { device, capabilities: { dtypes: ['float32'], ops: ['aten.relu.default'], features: [] },",
        "      exec: () => ({ ok: false, error: { kind: 'unsupported', message: 'relu is not wired yet' } }), close() {} };",
        '  },',
        '};',
      ].join('\n'),
    );
    const out = join(dir, 'run');
    const ok = runCli(['run', '--driver', file, '--filter', 'core/*/aten.relu.default/float32/7x13', '--no-sign', '--out', out]);
    expect(ok.stderr).not.toMatch(/\n\s+at /);
    expect(ok.code).toBe(1);
    expect(ok.stdout + ok.stderr).toMatch(/unsupported/);
    const bad = runCli(['run', '--driver', file, '--device', 'acme:7', '--no-sign', '--out', join(dir, 'run2')]);
    expect([bad.code, bad.stderr]).toEqual([2, `accelcert: the driver module ${file} cannot open device "acme:7": no acme:7 here\n`]);
  }, 60_000);
});
