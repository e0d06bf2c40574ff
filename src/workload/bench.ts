import { z } from 'zod';
import { ArgSchema } from '../ops/args.js';
import { CollectiveSpecSchema } from './collective.js';
import { GraphSchema } from './graph.js';
import { AtenNameSchema } from './kind.js';

/**
 * Benchmark sizes: `small` fits a CPU or a laptop GPU in seconds per benchmark, `full` sizes a datacenter
 * accelerator (GEMMs of 8192, gigabyte copies). `run --bench-scale`; small by default on a CPU.
 */
export const BENCH_SCALES = ['small', 'full'] as const;
export const BenchScaleSchema = z.enum(BENCH_SCALES);
export type BenchScale = z.infer<typeof BenchScaleSchema>;

/**
 * What a benchmark's throughput is set against: the compute peak of its precision, the memory bandwidth, or the links
 * between the devices of a node (collectives; no peak is known for those).
 */
export const BenchBoundSchema = z.enum(['compute', 'memory', 'interconnect']);
export type BenchBound = z.infer<typeof BenchBoundSchema>;

/**
 * The device's math mode for the timed runs: `strict`, the IEEE float32 the conformance cases require; `tf32`,
 * float32 GEMMs and convolutions allowed on TF32 tensor cores (a device without them says `unsupported`).
 */
export const BenchMathSchema = z.enum(['strict', 'tf32']);
export type BenchMath = z.infer<typeof BenchMathSchema>;

/** The unit of a model benchmark's own figure: tokens/s (language models) or images/s (vision). */
export const ItemUnitSchema = z.enum(['tokens', 'images']);

export const BenchTimingSpecSchema = z.object({
  /** warm-up by time before the first timed run (at least one run: compiles and allocations happen there) */
  warmupMs: z.number().nonnegative(),
  /** the time budget for timed runs; repetitions stop when the spread is small enough or the budget ends */
  budgetMs: z.number().positive(),
  /** samples taken at least, whatever the budget */
  minSamples: z.number().int().positive(),
  /** samples taken at most */
  maxSamples: z.number().int().positive(),
  /** stop once (p75 − p25) / median of the samples is at most this */
  targetRelativeIqr: z.number().positive(),
  /**
   * how many requests the harness makes for the benchmark, round-robin with the other benchmarks, each with its share
   * of the budget and samples, pooling the samples: a host whose speed drifts over seconds then widens the spread
   * instead of moving the median of one run. A worker ignores it.
   */
  rounds: z.number().int().positive(),
});
export type BenchTimingSpec = z.infer<typeof BenchTimingSpecSchema>;

/**
 * A timed workload: what runs (one ATen call or a graph, on the case's inputs), how much work one run does (for
 * achieved FLOP/s, bytes/s and items/s), what limits it, and how it is timed. The device times it (synchronised
 * device time, docs/benchmarks.md); the harness derives the statistics.
 */
export const BenchSpecSchema = z.object({
  /** the benchmark's name, e.g. `mm-4096x4096x4096`: the subject its results are filed under */
  name: z.string().min(1),
  workload: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('op'), op: AtenNameSchema, args: z.array(ArgSchema), kwargs: z.record(z.string(), ArgSchema) }),
    z.object({ kind: z.literal('graph'), graph: GraphSchema }),
    /** a collective across ranks; `work.bytes` is its size as nccl-tests counts it, and `work.busFactor` turns it into bus bandwidth */
    z.object({ kind: z.literal('collective'), collective: CollectiveSpecSchema }),
  ]),
  /** work per run: floating-point operations, bytes moved (read + written once), items processed; null where not counted */
  work: z.object({
    flops: z.number().nonnegative().nullable(),
    bytes: z.number().nonnegative().nullable(),
    items: z.object({ count: z.number().int().positive(), unit: ItemUnitSchema }).nullable(),
    /** collectives: bus bandwidth over algorithm bandwidth (nccl-tests), `busFactor` in workload/collective.ts */
    busFactor: z.number().positive().optional(),
  }),
  bound: BenchBoundSchema,
  math: BenchMathSchema,
  /** hot: inputs stay in caches between runs; cold: caches are flushed before each timed run */
  cache: z.enum(['hot', 'cold']),
  timing: BenchTimingSpecSchema,
});
export type BenchSpec = z.infer<typeof BenchSpecSchema>;

/** Bounds that keep a confused device from making the harness hold absurd arrays. */
export const MAX_BENCH_SAMPLES = 100_000;

/**
 * How a device timed a benchmark: one entry per timed sample, each the device time of one call (a sample of several
 * back-to-back calls, divided by their number), and how it got there. What the worker protocol's `timing` reply and
 * an in-process driver return.
 */
export const BenchTimingSchema = z.object({
  /** how the device clock was read: `cuda-event`, `xpu-event`, `host-clock` (synchronised before and after), `tinybench` */
  timer: z.string().min(1).max(200),
  samplesNs: z.array(z.number().positive().finite()).min(1).max(MAX_BENCH_SAMPLES),
  /** calls per sample: above 1 when a call is too short to time alone */
  callsPerSample: z.number().int().positive(),
  warmup: z.object({ runs: z.number().int().nonnegative(), ns: z.number().nonnegative() }),
  /** bytes written to flush the caches before each cold sample (0 for hot) */
  cacheFlushBytes: z.number().int().nonnegative(),
  /** true when launching a call took the host as long as the device took to run it: the figure is the host's */
  hostBound: z.boolean().nullable(),
  /** clocks, power, temperature and throttle state read after the timed runs (docs/benchmarks.md names the keys) */
  telemetry: z.record(z.string().max(200), z.union([z.number(), z.string().max(1000)])),
});
export type BenchTiming = z.infer<typeof BenchTimingSchema>;
