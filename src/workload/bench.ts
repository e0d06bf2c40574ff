import { z } from 'zod';
import { ArgSchema } from '../ops/args.js';
import { GraphSchema } from './graph.js';
import { AtenNameSchema } from './kind.js';

/**
 * A timed workload: what runs (one ATen call or a graph, on the case's inputs), how much work one run does (for
 * achieved FLOP/s and bytes/s), and how it is timed. The device times it (synchronised device time); the harness
 * derives the statistics.
 */
export const BenchSpecSchema = z.object({
  /** the benchmark's name, e.g. `mm-4096-float16`: the subject its results are filed under */
  name: z.string().min(1),
  workload: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('op'), op: AtenNameSchema, args: z.array(ArgSchema), kwargs: z.record(z.string(), ArgSchema) }),
    z.object({ kind: z.literal('graph'), graph: GraphSchema }),
  ]),
  /** work per run: floating-point operations and bytes moved (null where the measure does not apply) */
  work: z.object({ flops: z.number().nonnegative().nullable(), bytes: z.number().nonnegative().nullable() }),
  /** hot: inputs stay in caches between runs; cold: caches are flushed before each timed run */
  cache: z.enum(['hot', 'cold']),
  timing: z.object({
    /** warm-up by time before the first timed run */
    warmupMs: z.number().nonnegative(),
    /** the time budget for timed runs; repetitions stop when the spread is small enough or the budget ends */
    budgetMs: z.number().positive(),
    minSamples: z.number().int().positive(),
    /** stop once (p90 − p10) / median is at most this */
    maxRelativeSpread: z.number().positive(),
  }),
});
export type BenchSpec = z.infer<typeof BenchSpecSchema>;
