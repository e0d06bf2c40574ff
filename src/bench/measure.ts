import { z } from 'zod';
import { BenchBoundSchema, BenchMathSchema, BenchScaleSchema, BenchSpecSchema, BenchTimingSchema, type BenchTiming } from '../workload/bench.js';
import type { BenchCase } from '../workload/case.js';
import { SampleStatsSchema, sampleStats } from './stats.js';

/**
 * A bench case's measurement: the device's samples and how it took them, what the benchmark is (scale, cache, math
 * mode, work per run, what bounds it), and the statistics the harness computed from the samples, which verify
 * recomputes.
 */
export const BenchMeasurementSchema = BenchTimingSchema.extend({
  scale: BenchScaleSchema,
  cache: BenchSpecSchema.shape.cache,
  math: BenchMathSchema,
  bound: BenchBoundSchema,
  work: BenchSpecSchema.shape.work,
  /** the requests the samples were pooled from (the case's `timing.rounds`) */
  rounds: z.number().int().positive(),
  /** whether the spread reached the benchmark's target before its time budget ended */
  stable: z.boolean(),
  stats: SampleStatsSchema,
});
export type BenchMeasurement = z.infer<typeof BenchMeasurementSchema>;

/**
 * A bench case's measurement from the device's timing: what the case is (scale, cache, math mode, work, bound), the
 * samples as the device took them, and the statistics the harness computes from them. A pure function of the case and
 * the timing, so that verify recomputes it from the report.
 */
export function measurement(c: Pick<BenchCase, 'scale' | 'bench'>, timing: BenchTiming): BenchMeasurement {
  const stats = sampleStats(timing.samplesNs);
  const { cache, math, bound, work } = c.bench;
  const rounds = c.bench.timing.rounds;
  return { ...timing, scale: c.scale, cache, math, bound, work, rounds, stable: stats.relativeIqr <= c.bench.timing.targetRelativeIqr, stats };
}

/** The device's timing a measurement holds, without what the harness added. */
export function timingOf(m: BenchMeasurement): BenchTiming {
  const { scale: _scale, cache: _cache, math: _math, bound: _bound, work: _work, rounds: _rounds, stable: _stable, stats: _stats, ...timing } = m;
  return timing;
}

/**
 * The case as one of its rounds runs it: its share of the budget and of the samples (at least 2 each round).
 */
export function roundCase<C extends Pick<BenchCase, 'bench'>>(c: C): C {
  const t = c.bench.timing;
  if (t.rounds === 1) return c;
  const share = (n: number): number => Math.max(2, Math.ceil(n / t.rounds));
  return { ...c, bench: { ...c.bench, timing: { ...t, budgetMs: t.budgetMs / t.rounds, minSamples: share(t.minSamples), maxSamples: share(t.maxSamples) } } };
}

/**
 * The timings of a benchmark's rounds as one: the samples pooled in round order, warm-ups added, the fewest calls per
 * sample of any round, host-bound when a round was, the last round's telemetry.
 */
export function poolTimings(rounds: readonly BenchTiming[]): BenchTiming {
  const last = rounds.at(-1);
  if (!last) throw new Error('no round to pool');
  const bound = rounds.map((t) => t.hostBound);
  return {
    timer: [...new Set(rounds.map((t) => t.timer))].join(', '),
    samplesNs: rounds.flatMap((t) => t.samplesNs),
    callsPerSample: Math.min(...rounds.map((t) => t.callsPerSample)),
    warmup: { runs: rounds.reduce((n, t) => n + t.warmup.runs, 0), ns: rounds.reduce((n, t) => n + t.warmup.ns, 0) },
    cacheFlushBytes: Math.max(...rounds.map((t) => t.cacheFlushBytes)),
    hostBound: bound.includes(true) ? true : bound.every((b) => b === null) ? null : false,
    telemetry: last.telemetry,
  };
}
