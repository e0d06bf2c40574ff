import { GraphBuilder, type ModelDefinition } from '../../src/suite/graph-builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import { kaimingUniform, linear, logitChecks, MODEL_DTYPES, MODEL_MODES, normal } from './layers.js';

/** batch, and the widths from the flattened 28×28 image to the 10 classes */
const BATCH = 32;
const WIDTHS = [784, 512, 256, 10];

/**
 * An MNIST-style MLP classifier: 784 → 512 → 256 → 10 with ReLU between the layers, returning the logits.
 * Weights and biases as nn.Linear initialises them (uniform ±1/√fan_in), inputs N(0, 1).
 * 32 · (784·512 + 512·256 + 256·10) = 17.1 M multiply-adds.
 */
export const MLP: ModelDefinition = {
  family: 'mlp',
  name: 'mlp-784-512-256-10',
  dtypes: MODEL_DTYPES,
  modes: MODEL_MODES,
  build(dtype: DType) {
    const g = new GraphBuilder('mlp-784-512-256-10');
    const layers = WIDTHS.slice(1).map((out, i) => {
      const fanIn = WIDTHS[i] as number;
      return {
        weight: g.param(`p_fc${i + 1}_weight`, dtype, [out, fanIn], kaimingUniform(fanIn)),
        bias: g.param(`p_fc${i + 1}_bias`, dtype, [out], kaimingUniform(fanIn)),
      };
    });
    let x = g.input('x', { dtype, shape: [BATCH, WIDTHS[0] as number], layout: { kind: 'contiguous' }, recipe: normal(0, 1) });
    layers.forEach((l, i) => {
      x = linear(g, x, l.weight, l.bias);
      if (i < layers.length - 1) x = g.call('aten.relu.default', [x]);
    });
    return { ...g.build([x]), checks: logitChecks(dtype, 0) };
  },
};
