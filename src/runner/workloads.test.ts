import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../device/device.js';
import { inProcessSession, referenceExec, REFERENCE_DEVICE } from '../drivers/reference/driver.js';
import type { Session } from '../drivers/types.js';
import { arg } from '../ops/args.js';
import { benchCase as benchCaseOf, type BenchDefinition } from '../suite/bench-builder.js';
import { sampleStats } from '../bench/stats.js';
import { CaseSchema, type Case, type OpCase } from '../workload/case.js';
import { shippedSuites } from '../../suites/index.js';
import { executeCases } from './execute.js';

/**
 * Every workload kind travels through the runner: op and graph cases run and are judged, bench cases are measured
 * (last, one at a time), and a device is asked only for the kinds (and request versions) it offers.
 */
const add = shippedSuites()[0]!.cases.find((c): c is OpCase => c.id === 'core/binary/aten.add.Tensor/float32/7x13')!;
const x = { dtype: 'float32' as const, shape: [4, 8], layout: { kind: 'contiguous' as const }, recipe: { kind: 'normal' as const, mean: 0, std: 1 } };

const graphCase: Case = CaseSchema.parse({
  kind: 'graph',
  id: 'models/mlp/tiny-mlp/float32/eager',
  suite: 'models',
  family: 'mlp',
  dtype: 'float32',
  inputs: [x, { ...x, shape: [8, 8] }],
  seed: '0123456789abcdef',
  graph: {
    name: 'tiny-mlp',
    nodes: [
      { name: 'mm', op: 'aten.mm.default', args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, outputs: 1 },
      { name: 'relu', op: 'aten.relu.default', args: [arg.tensor(2)], kwargs: {}, outputs: 1 },
    ],
    outputs: [3],
  },
  mode: 'eager',
  checks: [{ kind: 'cosine', output: 0, min: 0.999999 }],
});

const benchDefinition: BenchDefinition = {
  family: 'matmul',
  name: 'mm-8x8x8',
  dtype: 'float32',
  inputs: [{ ...x, shape: [8, 8] }, { ...x, shape: [8, 8] }],
  workload: { kind: 'op', op: 'aten.mm.default', args: [arg.tensor(0), arg.tensor(1)], kwargs: {} },
  work: { flops: 2 * 8 ** 3, bytes: 3 * 64 * 4, items: null },
  bound: 'compute',
};
const benchCase: Case = benchCaseOf('bench', 'small', benchDefinition);
// a short timing, so the test stays fast
if (benchCase.kind === 'bench') benchCase.bench.timing = { warmupMs: 5, budgetMs: 50, minSamples: 5, maxSamples: 200, targetRelativeIqr: 0.05, rounds: 1 };

function session(caps: Partial<Capabilities>): Session {
  const s = inProcessSession(REFERENCE_DEVICE, referenceExec);
  return { ...s, capabilities: { ...s.capabilities, ...caps } };
}

async function runOn(s: Session, cases: Case[]) {
  const seen: string[] = [];
  const exec = s.exec.bind(s);
  const watched: Session = { ...s, exec: (req) => (seen.push(`${req.kind} ${req.caseId}`), exec(req)) };
  const out = await executeCases(watched, cases, { timeoutMs: 10_000, depth: 2, reopen: () => Promise.resolve(watched), onResult: () => undefined });
  return { results: out.results, seen };
}

describe('workload kinds in the runner', () => {
  it('runs op and graph cases, then bench cases alone, measured with tinybench on an in-process device', async () => {
    let inFlight = 0;
    let overlapped = false;
    const s = session({});
    const watched: Session = {
      ...s,
      exec: async (req) => {
        inFlight++;
        if (req.kind === 'bench' && inFlight > 1) overlapped = true;
        try {
          return await s.exec(req);
        } finally {
          inFlight--;
        }
      },
    };
    // the benchmark comes first in the list, and runs last
    const { results, seen } = await runOn(watched, [benchCase, add, graphCase]);
    expect(results.map((r) => [r.kind, r.subject, r.family, r.status])).toEqual([
      ['bench', 'mm-8x8x8', 'matmul', 'pass'],
      ['op', 'aten.add.Tensor', 'binary', 'pass'],
      ['graph', 'tiny-mlp', 'mlp', 'pass'],
    ]);
    expect(seen.at(-1)).toBe(`bench ${benchCase.id}`);
    expect(overlapped).toBe(false);
    // the graph's output, then its cosine check
    expect(results[2]?.outputs.map((o) => o.rule)).toEqual(['model(relu, float32 path)', 'cosine≥0.999999']);
    const m = results[0]?.bench;
    expect(m?.timer).toBe('tinybench');
    expect(m?.samplesNs.length).toBeGreaterThanOrEqual(5);
    expect(m?.stats).toEqual(sampleStats(m?.samplesNs ?? []));
    expect([m?.scale, m?.cache, m?.math, m?.bound, m?.work.flops]).toEqual(['small', 'hot', 'strict', 'compute', 1024]);
    expect(results[0]?.inputDigest).toMatch(/^[0-9a-f]{64}$/);
    // the op and the graph case ran twice each (judged run and repeat); the benchmark once
    expect(seen.sort()).toEqual([`bench ${benchCase.id}`, `graph ${graphCase.id}`, `graph ${graphCase.id}`, `op ${add.id}`, `op ${add.id}`]);
  });

  it('measures a benchmark in rounds, round-robin with the other benchmarks, and pools their samples', async () => {
    const inRounds = (name: string): Case => {
      const c = benchCaseOf('bench', 'small', { ...benchDefinition, name });
      if (c.kind === 'bench') c.bench.timing = { warmupMs: 1, budgetMs: 30, minSamples: 6, maxSamples: 30, targetRelativeIqr: 1e-9, rounds: 3 };
      return c;
    };
    const [a, b] = [inRounds('mm-a'), inRounds('mm-b')] as [Case, Case];
    const { results, seen } = await runOn(session({}), [a, b]);
    expect(seen).toEqual([a, b, a, b, a, b].map((c) => `bench ${c.id}`));
    const m = results[0]?.bench;
    expect(m?.rounds).toBe(3);
    // each round took its share: at least 6 / 3 samples, at most 30 / 3
    expect(m?.samplesNs.length).toBeGreaterThanOrEqual(6);
    expect(m?.samplesNs.length).toBeLessThanOrEqual(30);
    expect(m?.stats).toEqual(sampleStats(m?.samplesNs ?? []));

    // a round that fails ends the benchmark with that round's result
    let calls = 0;
    const flaky = inProcessSession(REFERENCE_DEVICE, (req) => (++calls > 20 ? { ok: false, error: { kind: 'runtime', message: 'the device gave up' } } : referenceExec(req)));
    const failed = await runOn(flaky, [a]);
    expect([failed.results[0]?.status, failed.results[0]?.message]).toEqual(['error', 'the device gave up']);
    expect(failed.seen.length).toBeLessThan(3);
  });

  it('says unsupported for a device without bench workloads, and not applicable (skip) for a benchmark it cannot run', async () => {
    const none = await runOn(session({ workloads: { op: 1, graph: 1 } }), [benchCase]);
    expect([none.results[0]?.status, none.results[0]?.message]).toEqual(['unsupported', 'the device does not run bench workloads (it offers: op, graph)']);
    const noFloat32 = await runOn(session({ dtypes: ['float16'] }), [benchCase]);
    expect([noFloat32.results[0]?.status, noFloat32.results[0]?.message]).toEqual(['skip', 'not applicable: input 0 is float32, a dtype the device does not list (capabilities.dtypes: float16)']);
    const noFloat32Compute = await runOn(session({ dtypes: ['float32', 'float16'], computeDtypes: ['float16'] }), [benchCase]);
    expect(noFloat32Compute.results[0]?.message).toBe('not applicable: the case computes in float32, a dtype the device does not compute in (capabilities.computeDtypes: float16)');
    const refused = inProcessSession(REFERENCE_DEVICE, () => ({ ok: false, error: { kind: 'unsupported', message: 'no float32 GEMM here' } }));
    const refusedRun = await runOn(refused, [benchCase]);
    expect([refusedRun.results[0]?.status, refusedRun.results[0]?.message]).toEqual(['skip', 'not applicable: no float32 GEMM here']);
    expect(none.seen).toEqual([]);
  });

  it('sends a float32 case with an int64 index input to a device that holds int64 but computes only in float32', async () => {
    const core = shippedSuites()[0]?.cases ?? [];
    const indexed = core.find((c): c is OpCase => c.kind === 'op' && c.dtype === 'float32' && c.inputs.some((s) => s.dtype === 'int64'));
    const int64 = core.find((c): c is OpCase => c.kind === 'op' && c.dtype === 'int64' && c.inputs.every((s) => s.dtype === 'int64') && c.inputs.length > 0);
    if (!indexed || !int64) throw new Error('the core suite has no float32 case with an int64 input, or no int64 case');
    const { results, seen } = await runOn(session({ dtypes: ['float32', 'int64'], computeDtypes: ['float32'] }), [indexed, int64]);
    expect(seen).toContain(`op ${indexed.id}`);
    expect(results.find((r) => r.id === indexed.id)?.status).toBe('pass');
    expect(seen).not.toContain(`op ${int64.id}`);
    expect(results.find((r) => r.id === int64.id)).toMatchObject({
      status: 'unsupported',
      message: 'not sent: the case computes in int64, a dtype the device does not compute in (capabilities.computeDtypes: float32)',
    });
  });

  it('runs op cases on a device that names no workloads, as every device did before workload kinds', async () => {
    const { results } = await runOn(session({ workloads: undefined }), [add]);
    expect(results[0]?.status).toBe('pass');
  });

  it('says unsupported, with the reason, for a kind the device does not offer or a request version it does not speak', async () => {
    const graphOnly = await runOn(session({ workloads: { graph: 1 } }), [add]);
    const opOnly = await runOn(session({ workloads: { op: 1 } }), [graphCase]);
    expect([opOnly.results[0]?.status, opOnly.results[0]?.message]).toEqual(['unsupported', 'not sent: the device does not run graph workloads (it offers: op)']);
    expect(graphOnly.seen).toEqual([]);
    expect([graphOnly.results[0]?.status, graphOnly.results[0]?.message]).toEqual(['unsupported', 'not sent: the device does not run op workloads (it offers: graph)']);
    const newer = await runOn(session({ workloads: { op: 2 } }), [add]);
    expect([newer.results[0]?.status, newer.results[0]?.message]).toEqual([
      'unsupported',
      'not sent: the device speaks version 2 of the op request, this accelcert version 1',
    ]);
  });
});
