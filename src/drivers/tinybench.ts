import { Bench } from 'tinybench';
import type { ExecRequest, ExecResult } from './types.js';
import type { BenchSpec, BenchTiming } from '../workload/bench.js';

/**
 * Times a benchmark of an in-process (JavaScript) device with tinybench: warm-up by time, then timed calls until the
 * budget ends, at least `minSamples`. `call` runs the workload once; when it reports a device time, that time is the
 * sample (tinybench's `overriddenDuration`), else tinybench's own clock around the awaited call. A failed call ends the
 * measurement with that call's result.
 */
export async function timeInProcess(spec: BenchSpec, call: () => Promise<ExecResult> | ExecResult): Promise<ExecResult> {
  let failure: ExecResult | null = null;
  let calls = 0;
  const warmupStart = performance.now();
  let warmupMs = 0;
  const bench = new Bench({
    time: spec.timing.budgetMs,
    iterations: spec.timing.minSamples,
    warmupTime: spec.timing.warmupMs,
    warmupIterations: 1,
    retainSamples: true,
    throws: false,
  });
  bench.add(spec.name, async () => {
    calls++;
    const r = await call();
    if (!r.ok) {
      failure = r;
      throw new Error(r.error.message);
    }
    return r.deviceTimeNs !== undefined ? { overriddenDuration: r.deviceTimeNs / 1e6 } : undefined;
  }, {
    async: true,
    beforeAll(mode) {
      if (mode === 'run') warmupMs = performance.now() - warmupStart;
    },
  });
  await bench.run();
  if (failure) return failure;
  const result = bench.tasks[0]?.result;
  if (!result || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    const message = result && result.state === 'errored' ? result.error.message : `tinybench ended in state ${result?.state ?? 'unknown'}`;
    return { ok: false, error: { kind: 'runtime', message } };
  }
  const samplesNs = (result.latency.samples ?? []).slice(0, spec.timing.maxSamples).map((ms) => Math.max(ms * 1e6, 1));
  if (samplesNs.length === 0) return { ok: false, error: { kind: 'runtime', message: 'tinybench took no sample' } };
  const timing: BenchTiming = {
    timer: 'tinybench',
    samplesNs,
    callsPerSample: 1,
    warmup: { runs: Math.max(0, calls - result.latency.samplesCount), ns: warmupMs * 1e6 },
    cacheFlushBytes: 0,
    hostBound: null,
    telemetry: {},
  };
  return { ok: true, outputs: [], timing };
}

/** The op or graph request that one run of a bench request makes (graphs run eagerly, outputs only). */
export function benchRun(req: Extract<ExecRequest, { kind: 'bench' }>): Exclude<ExecRequest, { kind: 'bench' }> {
  const w = req.bench.workload;
  switch (w.kind) {
    case 'op':
      return { kind: 'op', caseId: req.caseId, op: w.op, args: w.args, kwargs: w.kwargs, inputs: req.inputs };
    case 'graph':
      return { kind: 'graph', caseId: req.caseId, graph: w.graph, mode: 'eager', intermediates: false, inputs: req.inputs };
    case 'collective':
      return { kind: 'collective', caseId: req.caseId, collective: w.collective, inputs: req.inputs };
  }
}
