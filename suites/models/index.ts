import { modelGroup } from '../../src/suite/graph-builder.js';
import type { SuiteDefinition } from '../../src/suite/suite.js';
import { LLAMA } from './llama.js';
import { MLP } from './mlp.js';
import { RESNET } from './resnet.js';
import { VIT, VIT_LOGIT_GROWTH } from './vit.js';

/**
 * The models suite: small model workloads as graphs of Core ATen calls, in the shape torch.export gives them (an MLP
 * classifier, a ResNet basic block, a Llama-style decoder with prefill and greedy decode, a ViT block and its
 * attention-logit-growth variant), each in float32, bfloat16 and float16, eager and compiled. One file per model; the
 * layers they share are in layers.ts. Each model stays under 30 M multiply-adds so the float64 reference interprets
 * it in well under a second.
 */
export const models: SuiteDefinition = {
  name: 'models',
  version: '1',
  description: 'model workloads as ATen graphs: MLP, ResNet basic block, Llama-style decoder (prefill + greedy decode), ViT block, ViT attention logit growth',
  groups: [modelGroup(MLP, RESNET, LLAMA, VIT, VIT_LOGIT_GROWTH)],
};
