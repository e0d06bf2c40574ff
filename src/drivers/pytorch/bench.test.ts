import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arg } from '../../ops/args.js';
import { materialize } from '../../tensor/materialize.js';
import type { TensorData } from '../../tensor/tensor.js';
import { BenchTimingSchema, type BenchSpec, type BenchTiming, type BenchTimingSpec } from '../../workload/bench.js';
import type { Graph } from '../../workload/graph.js';
import type { ExecResult, Session } from '../types.js';
import { pytorchDriver } from './driver.js';

// Debian's python3 carries torch 1.13 here; the python3 first on PATH has none
const TORCH_PYTHON = process.env.ACCELCERT_TEST_TORCH_PYTHON ?? '/usr/bin/python3';

// short budgets: the whole file runs in seconds on a small CPU
const FAST: BenchTimingSpec = { warmupMs: 20, budgetMs: 150, minSamples: 5, maxSamples: 200, targetRelativeIqr: 0.05, rounds: 1 };

function randn(shape: number[], index: number): TensorData {
  return materialize({ dtype: 'float32', shape, layout: { kind: 'contiguous' }, recipe: { kind: 'normal', mean: 0, std: 1 } }, '00000000bec4c0de', index);
}

function mmSpec(n: number, over: Partial<BenchSpec> = {}): BenchSpec {
  return {
    name: `mm-${n}`,
    workload: { kind: 'op', op: 'aten.mm.default', args: [arg.tensor(0), arg.tensor(1)], kwargs: {} },
    work: { flops: 2 * n ** 3, bytes: 3 * 4 * n * n, items: null },
    bound: 'compute',
    math: 'strict',
    cache: 'hot',
    timing: FAST,
    ...over,
  };
}

function timingOf(r: ExecResult): BenchTiming {
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  expect(r.outputs).toEqual([]);
  if (!r.timing) throw new Error('no timing in the result');
  return BenchTimingSchema.parse(r.timing);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

describe('pytorch worker bench requests (cpu)', () => {
  let session: Session;

  beforeAll(async () => {
    session = await pytorchDriver.open('cpu', { python: TORCH_PYTHON, timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await session?.close();
  });

  const bench = (spec: BenchSpec, inputs: TensorData[]): Promise<ExecResult> =>
    session.exec({ kind: 'bench', caseId: `t/bench/${spec.name}`, bench: spec, inputs });
  const mm = (n: number, over: Partial<BenchSpec> = {}): Promise<ExecResult> => bench(mmSpec(n, over), [randn([n, n], 0), randn([n, n], 1)]);

  it('offers the bench workload', () => {
    expect(session.capabilities.workloads).toMatchObject({ op: 1, graph: 1, bench: 1 });
  });

  it('times a hot small mm with several calls per sample, on the host clock', async () => {
    const t = timingOf(await mm(64));
    expect(t.timer).toBe('host-clock');
    expect(t.samplesNs.length).toBeGreaterThanOrEqual(FAST.minSamples);
    expect(t.samplesNs.length).toBeLessThanOrEqual(FAST.maxSamples);
    expect(t.callsPerSample).toBeGreaterThan(1);
    expect(t.cacheFlushBytes).toBe(0);
    expect(t.hostBound).toBeNull(); // a host clock cannot tell
    expect(t.warmup.runs).toBeGreaterThanOrEqual(1);
    expect(t.warmup.ns).toBeGreaterThanOrEqual(FAST.warmupMs * 1e6);
    expect(t.telemetry['threads']).toBeGreaterThan(0);
    if ('cpu_mhz' in t.telemetry) expect(t.telemetry['cpu_mhz']).toBeGreaterThan(0);
  });

  it('flushes the caches before every cold sample and times one call each', async () => {
    const t = timingOf(await mm(64, { cache: 'cold', timing: { ...FAST, minSamples: 3, budgetMs: 100 } }));
    expect(t.callsPerSample).toBe(1);
    expect(t.cacheFlushBytes).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(t.samplesNs.length).toBeGreaterThanOrEqual(3);
  });

  it('measures a 512³ mm as much slower than a 128³ one (64× the work)', async () => {
    const small = timingOf(await mm(128));
    const large = timingOf(await mm(512));
    expect(median(large.samplesNs)).toBeGreaterThan(4 * median(small.samplesNs));
  });

  it('times a graph node by node', async () => {
    const graph: Graph = {
      name: 'mm-relu',
      nodes: [
        { name: 'mm', op: 'aten.mm.default', args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, outputs: 1 },
        { name: 'relu', op: 'aten.relu.default', args: [arg.tensor(2)], kwargs: {}, outputs: 1 },
      ],
      outputs: [3],
    };
    const spec: BenchSpec = { ...mmSpec(96), name: 'mm-relu', workload: { kind: 'graph', graph } };
    const t = timingOf(await bench(spec, [randn([96, 96], 0), randn([96, 96], 1)]));
    expect(t.samplesNs.length).toBeGreaterThanOrEqual(FAST.minSamples);
    expect(median(t.samplesNs)).toBeGreaterThan(0);
  });

  it('stops at maxSamples', async () => {
    const t = timingOf(await mm(32, { timing: { ...FAST, minSamples: 2, maxSamples: 7, targetRelativeIqr: 1e-12 } }));
    expect(t.samplesNs).toHaveLength(7);
  });

  it('keeps to its budget when the spread never gets small enough', async () => {
    const start = performance.now();
    const t = timingOf(await mm(64, { timing: { warmupMs: 50, budgetMs: 300, minSamples: 5, maxSamples: 100_000, targetRelativeIqr: 1e-12, rounds: 1 } }));
    expect(performance.now() - start).toBeLessThan(3000);
    expect(t.samplesNs.length).toBeGreaterThanOrEqual(5);
  });

  it('answers tf32 on the cpu as unsupported', async () => {
    const r = await mm(64, { math: 'tf32' });
    expect(r).toEqual({ ok: false, error: { kind: 'unsupported', message: 'cpu has no TF32 mode' } });
  });

  it('names the op that raised, and keeps serving', async () => {
    const r = await bench(mmSpec(8), [randn([8, 8], 0), randn([9, 8], 1)]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('runtime');
      expect(r.error.message).toMatch(/^aten\.mm\.default: /);
    }
    const missing = await bench({ ...mmSpec(8), workload: { kind: 'op', op: 'aten.nope.default', args: [], kwargs: {} } }, []);
    expect(missing).toEqual({ ok: false, error: { kind: 'unsupported', message: expect.stringContaining('aten.nope.default') } });
    timingOf(await mm(16));
  });
});
