import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, type Frame } from '../protocol/frame.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { runCli } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';
import { findPython } from './pytorch/python.js';

/**
 * The worker templates a vendor copies (templates/): the Python one (PyTorch holds the tensors, any ATen op by name)
 * and the C++ one (standard library only: its own JSON, five elementwise ops). Each passes every driver-check and
 * every case it is sent of a certification run, as a user would run them through the CLI.
 */
const TEMPLATES = join(PACKAGE_ROOT, 'templates');
const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the Python worker template: ${python?.reason ?? 'no python'}`);
const PY_WORKER = `${python?.path ?? 'python3'} ${join(TEMPLATES, 'python/worker.py')}`;
const dir = mkdtempSync(join(tmpdir(), 'accelcert-templates-'));

let cppBuilt: string | null = null;
/** The C++ template built with the one command templates/README.md gives; a missing g++ fails, it never skips. */
function cppWorker(): string {
  if (cppBuilt) return cppBuilt;
  const out = join(dir, 'worker');
  const cc = spawnSync('g++', ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(TEMPLATES, 'cpp/worker.cpp')], { encoding: 'utf8' });
  if (cc.error) throw new Error(`g++ is needed to build templates/cpp/worker.cpp (.ci/run installs it): ${cc.error.message}`);
  if (cc.status !== 0) throw new Error(`templates/cpp/worker.cpp does not compile:\n${cc.stderr}`);
  cppBuilt = out;
  return out;
}

interface Checklist {
  passed: boolean;
  checks: { name: string; ok: boolean | null; detail: string }[];
}

const CHECKS = ['hello', 'discover', 'open', 'invalid device', 'exec', 'non-contiguous inputs', 'zero-size tensors', 'pipelining', 'unknown op', 'malformed request', 'unknown request type', 'close', 'end of requests'];

function driverCheck(worker: string): Checklist {
  const r = runCli(['driver-check', '--driver', 'exec', '--worker', worker, '--json']);
  const list = JSON.parse(r.stdout) as Checklist;
  expect(list.checks.filter((c) => c.ok !== true)).toEqual([]);
  // 'unlisted dtype' is asked only when the harness knows a dtype the worker leaves out
  expect(list.checks.map((c) => c.name).filter((n) => n !== 'unlisted dtype')).toEqual(CHECKS);
  expect([r.code, list.passed]).toEqual([0, true]);
  return list;
}

/** Runs a selection through a worker; every case sent to it passed, and the cases it was sent. */
function certify(worker: string, name: string, ...selection: string[]): Report['results'] {
  const out = join(dir, name);
  const r = runCli(['run', '--driver', 'exec', '--worker', worker, ...selection, '--no-sign', '--no-spare-worker', '--out', out]);
  const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
  // a case the capabilities rule out is recorded by the harness, never sent; every other one must pass
  const sent = report.results.filter((x) => !(x.status === 'unsupported' && x.message?.startsWith('not sent:')));
  expect(sent.filter((x) => x.status !== 'pass').map((x) => [x.id, x.status, x.message])).toEqual([]);
  expect(report.run.outcome).toBe('completed');
  // exit 0 when every selected case passed; one the harness did not send (unsupported) makes it 1
  expect(r.code, r.stderr).toBe(sent.length === report.results.length ? 0 : 1);
  return sent;
}

const subjects = (results: Report['results']): string[] => [...new Set(results.map((x) => x.subject))].sort();

describe.runIf(haveTorch)('the Python worker template (templates/python/worker.py)', () => {
  it('passes every driver-check', () => {
    const list = driverCheck(PY_WORKER);
    expect(list.checks.find((c) => c.name === 'open')?.detail).toMatch(/^template:0: float64 float32 .*; any op; workloads op 1$/);
  }, 60_000);

  it('passes every case of add, mul and relu in float32, and of any other ATen op by name (matmul, tuple, list, complex, bool and int64 results, factory ops, int32)', () => {
    const filters = [
      'core/*/aten.add.Tensor/float32/*',
      'core/*/aten.mul.Tensor/float32/*',
      'core/*/aten.relu.default/float32/*',
      // the broader selection: one run, so that PyTorch is imported once
      'core/*/aten.exp.default/float32/7x13*',
      'core/*/aten.mm.default/float32/17x31x9-*',
      'core/*/aten.max.dim/float32/dim1*',
      'core/*/aten.split_with_sizes.default/float32/7x3-2-0-5',
      'core/*/aten._fft_r2c.default/float32/4x64-dim1*',
      'core/*/aten.eq.Tensor/float32/7x13-*',
      'core/*/aten.where.self/float32/7x13',
      'core/*/aten.full.default/float32/*-3x4',
      'core/*/aten.arange.start_step/float32/int-steps-0-10-3',
      'core/*/aten.mul.Tensor/int32/7x13',
    ];
    const sent = certify(PY_WORKER, 'py', ...filters.flatMap((f) => ['--filter', f]));
    const count = (op: string): number => sent.filter((x) => x.subject === op && x.dtype === 'float32').length;
    expect([count('aten.add.Tensor'), count('aten.mul.Tensor'), count('aten.relu.default')]).toEqual([50, 30, 25]);
    expect(sent.length).toBeGreaterThanOrEqual(105 + 30);
    expect(subjects(sent)).toEqual([
      'aten._fft_r2c.default', 'aten.add.Tensor', 'aten.arange.start_step', 'aten.eq.Tensor', 'aten.exp.default', 'aten.full.default',
      'aten.max.dim', 'aten.mm.default', 'aten.mul.Tensor', 'aten.relu.default', 'aten.split_with_sizes.default', 'aten.where.self',
    ]);
  }, 60_000);
});

describe('the C++ worker template (templates/cpp/worker.cpp)', () => {
  it('builds with g++ alone and passes every driver-check', () => {
    const list = driverCheck(cppWorker());
    expect(list.checks.find((c) => c.name === 'open')?.detail).toBe('template-cpp:0: float32 float64 int32; 5 ops; workloads op 1');
    expect(list.checks.find((c) => c.name === 'unlisted dtype')?.ok).toBe(true);
  }, 60_000);

  it('passes every case of its five ops in float32, float64 and int32', () => {
    const ops = ['aten.add.Tensor', 'aten.sub.Tensor', 'aten.mul.Tensor', 'aten.neg.default', 'aten.relu.default'];
    const dtypes = ['float32', 'float64', 'int32'];
    const selection = ['--profile', 'full', ...dtypes.flatMap((d) => ['--dtype', d]), ...ops.flatMap((op) => ['--filter', `core/*/${op}/*/*`])];
    const sent = certify(cppWorker(), 'cpp', ...selection);
    expect(subjects(sent)).toEqual([...ops].sort());
    expect(new Set(sent.map((x) => x.dtype))).toEqual(new Set(dtypes));
    expect(sent.length).toBeGreaterThan(450);
    // broadcasting, type promotion, alpha and every input layout are among them
    for (const tag of ['broadcast-4x1x8-transposed', 'scalar-tensor-expanded', 'promote-int32-5x6', 'alpha-7x13', '7x13-offset', 'empty-strided']) {
      expect(sent.some((x) => x.id.endsWith(`/${tag}`))).toBe(true);
    }
  }, 60_000);

  it('reads any JSON the protocol allows (escapes, nesting, exponents), promotes types and refuses bad views', async () => {
    const f32 = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
    const f64 = Buffer.from(new Float64Array([7, 2]).buffer);
    const i32 = Buffer.alloc(72);
    Buffer.from(new Int32Array([1, 2, 3]).buffer).copy(i32, 0);
    i32.writeDoubleLE(0.5, 64); // a float64 storage at byte 64: int32 [1, 2, 3] at byte 0
    const t = (index: number): string => `{"kind":"tensor","index":${index}}`;
    const replies = await converse(cppWorker(), [
      ['{"type":"hello","id":1,"protocol":1,"harness":{"name":"accelcert","version":"0"}}'],
      ['{"type":"open","id":2,"device":null}'],
      [String.raw`{"type":"exec","id":3,"op":"aten.n\u00e9\ud83d\ude00\"q\\\/\n\t.x","args":[],"kwargs":{},"inputs":[]}`],
      // a [2] tensor plus 0.5 times a [2, 1] view at offset 2 with a 0 stride: [[2.5, 3.5], [3, 4]]
      [
        ` { "type" : "exec" ,\n "id" : 4 , "extra" : [true, false, null, -1.5e-3, 0, {"a": [[]], "b": {}}, "\\u0001"], "op": "aten.add.Tensor",` +
          ` "args": [${t(0)}, ${t(1)}], "kwargs": {"alpha": {"kind": "float", "value": 5E-1}},` +
          ' "inputs": [{"dtype": "float32", "shape": [2], "strides": [1], "offset": 0, "byteOffset": 0, "byteLength": 8},' +
          ' {"dtype": "float32", "shape": [2, 1], "strides": [1, 0], "offset": 2, "byteOffset": 0, "byteLength": 16}]}',
        f32,
      ],
      [`{"type":"exec","id":5,"op":"aten.add.Tensor","args":[${t(0)},${t(0)}],"kwargs":{"alpha":{"kind":"float","value":"-inf"}},"inputs":[{"dtype":"float64","shape":[],"strides":[],"offset":1,"byteOffset":0,"byteLength":16}]}`, f64],
      [`{"type":"exec","id":6,"op":"aten.sub.Tensor","args":[${t(0)},${t(0)},{"kind":"float","value":2.5}],"kwargs":{},"inputs":[{"dtype":"int32","shape":[1],"strides":[1],"offset":0,"byteOffset":0,"byteLength":4}]}`, i32],
      // int32 [3] times a float64 0-dim tensor: float64, as in PyTorch
      [`{"type":"exec","id":7,"op":"aten.mul.Tensor","args":[${t(0)},${t(1)}],"kwargs":{},"inputs":[{"dtype":"int32","shape":[3],"strides":[1],"offset":0,"byteOffset":0,"byteLength":12},{"dtype":"float64","shape":[],"strides":[],"offset":0,"byteOffset":64,"byteLength":8}]}`, i32],
      [`{"type":"exec","id":8,"op":"aten.neg.default","args":[${t(0)}],"kwargs":{},"inputs":[{"dtype":"int32","shape":[3],"strides":[1],"offset":1,"byteOffset":0,"byteLength":12}]}`, i32],
      ['{"type":"graph","id":9}'],
      ['{"type":"close","id":10}'],
    ]);
    expect(replies.map((r) => [r.header.id, r.header.type, r.header.kind ?? null])).toEqual([
      [1, 'hello', null],
      [2, 'opened', null],
      [3, 'error', 'unsupported'],
      [4, 'result', null],
      [5, 'result', null],
      [6, 'error', 'runtime'],
      [7, 'result', null],
      [8, 'error', 'bad_request'],
      [9, 'error', 'unsupported'],
      [10, 'closed', null],
    ]);
    const [, , escaped, add, inf, , promoted, view] = replies;
    expect(escaped?.header.message).toBe('the template-cpp device has no aten.n\u00e9\u{1F600}"q\\/\n\t.x');
    expect(add?.header.outputs).toEqual([{ dtype: 'float32', shape: [2, 2], byteOffset: 0, byteLength: 16 }]);
    expect([...new Float32Array(new Uint8Array(add?.body ?? []).buffer)]).toEqual([2.5, 3.5, 3, 4]);
    expect(inf?.body.readDoubleLE(0)).toBe(-Infinity);
    expect(promoted?.header.outputs).toEqual([{ dtype: 'float64', shape: [3], byteOffset: 0, byteLength: 24 }]);
    expect([0, 8, 16].map((o) => promoted?.body.readDoubleLE(o))).toEqual([0.5, 1, 1.5]);
    expect(view?.header.message).toBe('input 0 is a view that reaches outside its storage');
  }, 60_000);
});

/** Starts a worker, writes the frames (raw JSON headers), closes fd 3, and returns every reply once it exits 0. */
async function converse(argv: string, frames: [string, Buffer?][]): Promise<Frame[]> {
  const child = spawn(argv, [], { stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe'] });
  const decoder = new FrameDecoder();
  const replies: Frame[] = [];
  (child.stdio[4] as Readable).on('data', (chunk: Buffer) => replies.push(...decoder.push(chunk)));
  const requests = child.stdio[3] as Writable;
  for (const [header, body = Buffer.alloc(0)] of frames) {
    const head = Buffer.from(header, 'utf8');
    const prefix = Buffer.alloc(16);
    prefix.write('ACRT', 0, 'latin1');
    prefix.writeUInt32LE(head.length, 4);
    prefix.writeBigUInt64LE(BigInt(body.length), 8);
    requests.write(Buffer.concat([prefix, head, body]));
  }
  requests.end();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  return replies;
}
