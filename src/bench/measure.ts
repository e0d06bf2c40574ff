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
  return { ...timing, scale: c.scale, cache, math, bound, work, stable: stats.relativeIqr <= c.bench.timing.targetRelativeIqr, stats };
}
