import type { DType } from '../tensor/dtype.js';
import { seedFromId } from '../tensor/prng.js';
import type { InputSpec, Recipe } from '../tensor/spec.js';
import type { BenchBound, BenchMath, BenchScale, BenchSpec, BenchTimingSpec } from '../workload/bench.js';
import type { BenchCase } from '../workload/case.js';

/**
 * How benchmarks of each scale are timed. Small (a CPU, often a shared one): a second of timed runs in four rounds
 * spread over the whole bench run, eight samples at least, each round after a short warm-up. Full (an accelerator):
 * a longer warm-up for clocks to settle, then one round until the spread is 1 % or a second ends.
 */
export const BENCH_TIMING: Readonly<Record<BenchScale, BenchTimingSpec>> = {
  small: { warmupMs: 100, budgetMs: 1000, minSamples: 8, maxSamples: 500, targetRelativeIqr: 0.02, rounds: 4 },
  full: { warmupMs: 250, budgetMs: 1000, minSamples: 10, maxSamples: 2000, targetRelativeIqr: 0.01, rounds: 1 },
};

/** A benchmark as a suite declares it; `benchCase` adds the id, seed and timing. */
export interface BenchDefinition {
  /** one id segment: matmul, memory, normalization, attention, convolution, models */
  family: string;
  /** the subject, with its sizes, e.g. `mm-1024x1024x1024` */
  name: string;
  dtype: DType;
  inputs: InputSpec[];
  workload: BenchSpec['workload'];
  work: BenchSpec['work'];
  bound: BenchBound;
  math?: BenchMath;
  cache?: 'hot' | 'cold';
}

/** Random data as real workloads see it (never zeros: a GEMM on zeros runs faster than on real data). */
export const RANDN: Recipe = { kind: 'normal', mean: 0, std: 1 };

/** A contiguous input of random normal values. */
export function randn(dtype: DType, shape: number[]): InputSpec {
  return { dtype, shape, layout: { kind: 'contiguous' }, recipe: RANDN };
}

/**
 * The case of a benchmark at a scale: `suite/family/name/dtype/variant`, the variant naming the math mode (`tf32-`),
 * the cache state and the scale (`hot-small`, `tf32-cold-full`), so that the same workload at both scales has two ids.
 */
export function benchCase(suite: string, scale: BenchScale, d: BenchDefinition): BenchCase {
  const math = d.math ?? 'strict';
  const cache = d.cache ?? 'hot';
  const id = `${suite}/${d.family}/${d.name}/${d.dtype}/${math === 'tf32' ? 'tf32-' : ''}${cache}-${scale}`;
  return {
    kind: 'bench',
    id,
    suite,
    family: d.family,
    dtype: d.dtype,
    scale,
    inputs: d.inputs,
    seed: seedFromId(id),
    bench: { name: d.name, workload: d.workload, work: d.work, bound: d.bound, math, cache, timing: BENCH_TIMING[scale] },
  };
}
