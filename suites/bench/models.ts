import { benchCase, type BenchDefinition } from '../../src/suite/bench-builder.js';
import type { ModelDefinition } from '../../src/suite/graph-builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { BenchScale } from '../../src/workload/bench.js';
import type { BenchCase } from '../../src/workload/case.js';
import { LLAMA_TOKENS, llamaGraph, type LlamaVariant } from '../models/llama.js';
import { MLP } from '../models/mlp.js';
import { RESNET } from '../models/resnet.js';
import { VIT } from '../models/vit.js';

const DTYPES: DType[] = ['float32', 'bfloat16', 'float16'];

/** A vision model of the models suite timed eagerly: images per second, the batch being its input `x`'s first dim. */
function vision(def: ModelDefinition, dtype: DType): BenchDefinition {
  const { graph, inputs } = def.build(dtype);
  const x = (graph.placeholders ?? []).findIndex((p) => p.name === 'x');
  const batch = inputs[x]?.shape[0];
  if (batch === undefined) throw new Error(`model ${def.name} has no input x`);
  return { family: 'models', name: def.name, dtype, inputs, workload: { kind: 'graph', graph }, work: { flops: null, bytes: null, items: { count: batch, unit: 'images' } }, bound: 'compute' };
}

/** The Llama decoder of the models suite: its prompt's prefill, and one decode step against a KV cache, in tokens per second. */
function language(variant: LlamaVariant, dtype: DType): BenchDefinition {
  const { graph, inputs } = llamaGraph(dtype, variant);
  return { family: 'models', name: graph.name, dtype, inputs, workload: { kind: 'graph', graph }, work: { flops: null, bytes: null, items: { count: LLAMA_TOKENS[variant], unit: 'tokens' } }, bound: 'compute' };
}

/**
 * The step-7 models as throughput: MLP, ResNet basic block and ViT block in images/s, Llama prefill and decode in
 * tokens/s, each graph run eagerly node by node. They are the models suite's own sizes at both scales: small models,
 * whose figures on a large accelerator say how much of a step is the host's (hostBound).
 */
export function modelCases(suite: string, scale: BenchScale): BenchCase[] {
  return DTYPES.flatMap((d) => [vision(MLP, d), vision(RESNET, d), vision(VIT, d), language('prefill', d), language('decode', d)]).map((def) => benchCase(suite, scale, def));
}
