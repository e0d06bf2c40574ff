import { z } from 'zod';
import { DTypeSchema } from '../tensor/dtype.js';
import { OutputMetricsSchema, StatusSchema } from '../judge/result.js';
import { WorkloadKindSchema } from '../workload/kind.js';
import { BenchMeasurementSchema } from '../bench/measure.js';

export type { BenchMeasurement } from '../bench/measure.js';



/** One case's outcome as the journal and the report hold it. */
export const CaseResultSchema = z.object({
  id: z.string(),
  kind: WorkloadKindSchema,
  /** what the case runs: the ATen overload (op), the graph's name (graph), the benchmark's name (bench) or the collective's (collective) */
  subject: z.string(),
  family: z.string(),
  dtype: DTypeSchema,
  status: StatusSchema,
  /** one line for a human: why it failed, errored, was skipped or waived */
  message: z.string().nullable(),
  outputs: z.array(OutputMetricsSchema),
  /** sha256 (hex) over the raw bytes of every output, in order, as the device returned them (contiguous) */
  outputDigest: z.string().nullable(),
  /**
   * the same digest for a second run of the same case on the same session; a difference fails the case
   * (numerics policy 6). Null when the op is documented as nondeterministic or no second run happened.
   */
  repeatDigest: z.string().nullable().optional(),
  /**
   * sha256 (hex) over the storage bytes of every input, in order, as the harness generated them for the device from
   * the case and the run's seed (see docs/report-format.md); null when no input was generated (the case was not
   * run). Absent in reports of accelcert versions that did not record it.
   */
  inputDigest: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 digest in lowercase hex').nullable().optional(),
  timings: z.object({
    /** wall time of the device call, as seen by the harness */
    execMs: z.number().nonnegative(),
    /** device time reported by the driver, when it measures one */
    deviceMs: z.number().nonnegative().nullable(),
  }),
  /**
   * graph cases: the first node, in graph order, whose output left its bound (docs/numerics.md, Models), and the
   * position in `outputs` of that value's metrics. Absent when every node stayed in bounds, and for other kinds.
   */
  divergence: z.object({ node: z.string(), op: z.string(), output: z.number().int().nonnegative() }).optional(),
  /** bench cases that were measured: the samples and their statistics (docs/benchmarks.md) */
  bench: BenchMeasurementSchema.optional(),
  /**
   * how the device ran the case where that is not the operation asked for, in its own words: a collective the
   * communication backend lacks and the driver composes from others ("gloo has no reduce_scatter: …")
   */
  note: z.string().max(1000).optional(),
  /**
   * the device string that ran the case, in a report whose shards ran on different devices (`run --device X,Y
   * --split`); absent otherwise (the report's target ran every case)
   */
  device: z.string().max(200).optional(),
  /** the waiver that covered this case, when status is `waived` */
  waiver: z.string().nullable().optional(),
});
export type CaseResult = z.infer<typeof CaseResultSchema>;
