import { z } from 'zod';
import type { CaseResult } from '../runner/result.js';
import { DTypeSchema } from '../tensor/dtype.js';
import { BenchMathSchema, BenchScaleSchema, type BenchBound } from '../workload/bench.js';
import { peakPrecision, PeakPrecisionSchema, PeakSchema, type Peak } from '../bench/peaks.js';

export const FIGURE_UNITS = ['FLOP/s', 'B/s', 'tokens/s', 'images/s'] as const;
export const FigureUnitSchema = z.enum(FIGURE_UNITS);
export type FigureUnit = z.infer<typeof FigureUnitSchema>;

/**
 * One measured benchmark as the report shows it. `figure` is its headline throughput at the median time, with `low`
 * and `high` at the p75 and p25 times (the spread); the per-second rates are at the median; `peak` sets the figure's
 * FLOP/s (compute-bound) or bytes/s (memory-bound) against the device's dense peak, when it is known.
 */
export const BenchEntrySchema = z.object({
  id: z.string(),
  subject: z.string(),
  family: z.string(),
  dtype: DTypeSchema,
  scale: BenchScaleSchema,
  cache: z.enum(['hot', 'cold']),
  math: BenchMathSchema,
  figure: z.object({ unit: FigureUnitSchema, median: z.number().nonnegative(), low: z.number().nonnegative(), high: z.number().nonnegative() }),
  flopsPerSecond: z.number().nonnegative().nullable(),
  bytesPerSecond: z.number().nonnegative().nullable(),
  /**
   * collectives: the bus bandwidth at the median time, bytesPerSecond (the algorithm bandwidth) times the collective's
   * bus factor, as nccl-tests reports it; the figure is this. Null for other benchmarks
   */
  busBytesPerSecond: z.number().nonnegative().nullable(),
  itemsPerSecond: z.number().nonnegative().nullable(),
  medianMs: z.number().positive(),
  relativeIqr: z.number().nonnegative(),
  samples: z.number().int().positive(),
  stable: z.boolean(),
  hostBound: z.boolean().nullable(),
  peak: z
    .object({
      of: z.union([PeakPrecisionSchema, z.literal('memory')]),
      /** the peak in the unit of what it is set against: FLOP/s or B/s */
      value: z.number().positive(),
      /** the achieved rate at the median time as a percentage of `value` */
      percent: z.number().nonnegative(),
    })
    .nullable(),
});
export type BenchEntry = z.infer<typeof BenchEntrySchema>;

/** The report's benchmarks section: the scale that ran, the peaks used, and one entry per measured benchmark. */
export const BenchmarksSchema = z.object({
  scale: BenchScaleSchema,
  peak: PeakSchema,
  entries: z.array(BenchEntrySchema),
});
export type Benchmarks = z.infer<typeof BenchmarksSchema>;

type Measured = CaseResult & { bench: NonNullable<CaseResult['bench']> };

/** The entry of one measured bench result: a pure function of what the result records and the peaks, so verify can redo it. */
export function benchEntry(r: Measured, peak: Peak): BenchEntry {
  const m = r.bench;
  const { flops, bytes, items } = m.work;
  const perSecond = (amount: number | null, ns: number): number | null => (amount === null ? null : amount / (ns * 1e-9));
  const bus = m.work.busFactor ?? null;
  const headline = (ns: number): number => {
    if (items) return items.count / (ns * 1e-9);
    if (bus !== null) return ((bytes ?? 0) * bus) / (ns * 1e-9);
    if (m.bound === 'compute' && flops !== null) return flops / (ns * 1e-9);
    return (bytes ?? flops ?? 0) / (ns * 1e-9);
  };
  const unit: BenchEntry['figure']['unit'] = items ? `${items.unit}/s` : m.bound === 'compute' && flops !== null ? 'FLOP/s' : bytes !== null ? 'B/s' : 'FLOP/s';
  const flopsPerSecond = perSecond(flops, m.stats.medianNs);
  const bytesPerSecond = perSecond(bytes, m.stats.medianNs);
  return {
    id: r.id,
    subject: r.subject,
    family: r.family,
    dtype: r.dtype,
    scale: m.scale,
    cache: m.cache,
    math: m.math,
    figure: { unit, median: headline(m.stats.medianNs), low: headline(m.stats.p75Ns), high: headline(m.stats.p25Ns) },
    flopsPerSecond,
    bytesPerSecond,
    busBytesPerSecond: bus !== null && bytesPerSecond !== null ? bytesPerSecond * bus : null,
    itemsPerSecond: items ? perSecond(items.count, m.stats.medianNs) : null,
    medianMs: m.stats.medianNs / 1e6,
    relativeIqr: m.stats.relativeIqr,
    samples: m.stats.count,
    stable: m.stable,
    hostBound: m.hostBound,
    peak: peakOf(m.bound, r.dtype, m.math, flopsPerSecond, bytesPerSecond, peak),
  };
}

function peakOf(bound: BenchBound, dtype: CaseResult['dtype'], math: 'strict' | 'tf32', flopsPerSecond: number | null, bytesPerSecond: number | null, peak: Peak): BenchEntry['peak'] {
  // no table knows a node's link bandwidth: a collective's figure stands alone
  if (bound === 'interconnect') return null;
  if (bound === 'memory') {
    if (peak.memoryTBs === null || bytesPerSecond === null) return null;
    const value = peak.memoryTBs * 1e12;
    return { of: 'memory', value, percent: (100 * bytesPerSecond) / value };
  }
  const precision = peakPrecision(dtype, math);
  const tflops = precision ? peak.computeTflops[precision] : undefined;
  if (!precision || tflops === undefined || flopsPerSecond === null) return null;
  const value = tflops * 1e12;
  return { of: precision, value, percent: (100 * flopsPerSecond) / value };
}

/** The benchmarks section of a report's results, or null when no bench case ran. */
export function benchmarksOf(results: readonly CaseResult[], peak: Peak, scale: z.infer<typeof BenchScaleSchema>): Benchmarks | null {
  if (!results.some((r) => r.kind === 'bench')) return null;
  const entries = results.filter((r): r is Measured => r.kind === 'bench' && r.bench !== undefined).map((r) => benchEntry(r, peak));
  return { scale, peak, entries };
}
