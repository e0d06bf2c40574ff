import type { SuiteDefinition } from '../../src/suite/suite.js';
import { BENCH_SCALES } from '../../src/workload/bench.js';
import { collectiveBenchCases } from './collectives.js';
import { kernelCases } from './kernels.js';
import { modelCases } from './models.js';

/**
 * The bench suite: throughput benchmarks at two scales (`run --bench-scale small|full`). GEMMs (squares per dtype,
 * TF32 and float8 where the device has them, LLM prefill and decode shapes), memory bandwidth (copy, add), softmax and
 * layer_norm, causal scaled-dot-product attention, ResNet-50 convolutions, the models suite's models in images/s
 * and tokens/s, and collective bandwidth across the ranks of a node (algorithm and bus bandwidth, as nccl-tests).
 * Timed on the device (docs/benchmarks.md); a benchmark the device cannot run is not applicable there.
 */
export const bench: SuiteDefinition = {
  name: 'bench',
  version: '1',
  description: 'throughput: GEMMs (square, TF32, float8, LLM prefill/decode), memory bandwidth, softmax, layer_norm, causal attention, ResNet-50 convolutions, models in images/s and tokens/s, collective bandwidth',
  groups: BENCH_SCALES.map((scale) => ({ expand: (suite: string) => [...kernelCases(suite, scale), ...modelCases(suite, scale), ...collectiveBenchCases(suite, scale)] })),
};
