import { z } from 'zod';

/**
 * The statistics a benchmark's figures come from, computed by the harness from the device's samples (never taken
 * from the device): median and quartiles by linear interpolation between order statistics (the "type 7" rule of
 * NumPy and R), the minimum, the count, and the relative interquartile range (p75 − p25) / median, the spread
 * torch.utils.benchmark warns about above 10 %.
 */
export const SampleStatsSchema = z.object({
  count: z.number().int().positive(),
  medianNs: z.number().positive(),
  p25Ns: z.number().positive(),
  p75Ns: z.number().positive(),
  minNs: z.number().positive(),
  relativeIqr: z.number().nonnegative(),
});
export type SampleStats = z.infer<typeof SampleStatsSchema>;

/** The q-quantile (0 ≤ q ≤ 1) of ascending values, interpolated linearly between order statistics. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function sampleStats(samplesNs: readonly number[]): SampleStats {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const medianNs = quantile(sorted, 0.5);
  const p25Ns = quantile(sorted, 0.25);
  const p75Ns = quantile(sorted, 0.75);
  return { count: sorted.length, medianNs, p25Ns, p75Ns, minNs: sorted[0] as number, relativeIqr: (p75Ns - p25Ns) / medianNs };
}
