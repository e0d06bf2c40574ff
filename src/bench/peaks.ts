import { z } from 'zod';
import { UserError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import type { BenchMath } from '../workload/bench.js';

/** The precisions a dense compute peak is given for; float8 covers both float8 formats. */
export const PEAK_PRECISIONS = ['float64', 'float32', 'tf32', 'bfloat16', 'float16', 'float8'] as const;
export const PeakPrecisionSchema = z.enum(PEAK_PRECISIONS);
export type PeakPrecision = z.infer<typeof PeakPrecisionSchema>;

/**
 * A device's dense peaks: compute in TFLOP/s per precision (without 2:4 sparsity), memory bandwidth in TB/s. `source`:
 * `table`, the built-in table below matched on the device's exact product name; `user`, `--peak`; `unknown`, neither
 * (figures are then shown without a percentage).
 */
export const PeakSchema = z.object({
  source: z.enum(['table', 'user', 'unknown']),
  /** the product name the table was matched on (the device fingerprint's model), null when no entry matched */
  product: z.string().nullable(),
  computeTflops: z.partialRecord(PeakPrecisionSchema, z.number().positive()),
  memoryTBs: z.number().positive().nullable(),
});
export type Peak = z.infer<typeof PeakSchema>;

interface PeakEntry {
  computeTflops: Partial<Record<PeakPrecision, number>>;
  memoryTBs: number;
}

const HOPPER_SXM: Omit<PeakEntry, 'memoryTBs'> = {
  computeTflops: { float8: 1979, bfloat16: 989.4, float16: 989.4, tf32: 494.7, float32: 67, float64: 67 },
};

/**
 * Dense peaks of known devices, keyed on the exact product name PyTorch reports (`torch.cuda.get_device_name`):
 * PCIe and NVL variants run at lower clocks and power and are deliberately absent, so that they never borrow an SXM
 * part's peak. float64 is the tensor-core (DGEMM) figure, the one a float64 matmul can reach. Sources: NVIDIA H100
 * and H200 and AMD MI300X datasheets (docs/benchmarks.md).
 */
export const PEAK_TABLE: Readonly<Record<string, PeakEntry>> = {
  'NVIDIA H100 80GB HBM3': { ...HOPPER_SXM, memoryTBs: 3.35 },
  'NVIDIA H200': { ...HOPPER_SXM, memoryTBs: 4.8 },
  'AMD Instinct MI300X': {
    computeTflops: { float8: 2614.9, bfloat16: 1307.4, float16: 1307.4, tf32: 653.7, float32: 163.4, float64: 163.4 },
    memoryTBs: 5.3,
  },
};

/** The table's peaks of a device, by its exact product name. */
export function tablePeak(product: string): Peak {
  const entry = PEAK_TABLE[product];
  if (!entry) return { source: 'unknown', product: null, computeTflops: {}, memoryTBs: null };
  return { source: 'table', product, computeTflops: { ...entry.computeTflops }, memoryTBs: entry.memoryTBs };
}

/**
 * The peaks of `--peak` values, each `PRECISION=TFLOPS` (e.g. `bfloat16=989.4`) or `memory=TB/S` (e.g. `memory=3.35`):
 * they replace the table's for the device entirely, so that a figure is never set against a mix of two sources.
 */
export function parsePeaks(values: readonly string[]): Peak | null {
  if (values.length === 0) return null;
  const peak: Peak = { source: 'user', product: null, computeTflops: {}, memoryTBs: null };
  for (const v of values) {
    const m = /^([a-z0-9]+)=([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)$/i.exec(v.trim());
    const value = m ? Number(m[2]) : NaN;
    if (!m || !(value > 0) || !Number.isFinite(value)) {
      throw new UserError(`--peak "${v}" must be PRECISION=TFLOPS or memory=TB/S with a positive number, e.g. bfloat16=989.4 or memory=3.35`);
    }
    const key = (m[1] as string).toLowerCase();
    if (key === 'memory') {
      peak.memoryTBs = value;
      continue;
    }
    const precision = PeakPrecisionSchema.safeParse(key);
    if (!precision.success) throw new UserError(`--peak "${v}": "${key}" is not memory or a precision (${PEAK_PRECISIONS.join(', ')})`);
    peak.computeTflops[precision.data] = value;
  }
  return peak;
}

/** The compute peak precision a benchmark of this dtype and math mode runs at, or null (integer dtypes). */
export function peakPrecision(dtype: DType, math: BenchMath): PeakPrecision | null {
  if (math === 'tf32') return 'tf32';
  if (dtype === 'float8_e4m3fn' || dtype === 'float8_e5m2') return 'float8';
  return dtype === 'float64' || dtype === 'float32' || dtype === 'bfloat16' || dtype === 'float16' ? dtype : null;
}
