import { arg } from '../../src/ops/args.js';
import { GraphBuilder, type ModelDefinition, type Value } from '../../src/suite/graph-builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import { add, kaimingUniform, linear, logitChecks, MODEL_DTYPES, MODEL_MODES, normal, view } from './layers.js';

const BATCH = 16;
const IMAGE = 32;
const CHANNELS = 16;
const CLASSES = 10;

/** torchvision's ResNet initialisation of a convolution: kaiming_normal(mode='fan_out', nonlinearity='relu') */
const kaimingNormalFanOut = (out: number, k: number): Recipe => normal(0, Math.sqrt(2 / (out * k * k)));

/**
 * A ResNet with one basic block, in inference (eval) mode: stem conv 3→16 3×3, batch norm, ReLU, max pool 3×3/2, a
 * basic block (conv-bn-relu-conv-bn, residual add, ReLU), global average pool, flatten, linear to 10 classes.
 * Batch norm is `native_batch_norm` with training=False (the only overload PyTorch 1.13 has; 2.x exports
 * `_native_batch_norm_legit_no_training`), its running statistics are buffers with the values a trained model has
 * (mean N(0, 0.1), variance uniform [0.5, 1.5]), its affine weight N(1, 0.1) and bias N(0, 0.1).
 * Multiply-adds: stem 16·16·32·32·27 = 7.1 M, each block conv 16·16·16·16·144 = 9.4 M: 26.0 M in all.
 */
export const RESNET: ModelDefinition = {
  family: 'vision',
  name: 'resnet-basic-block-16c',
  dtypes: MODEL_DTYPES,
  modes: MODEL_MODES,
  build(dtype: DType) {
    const g = new GraphBuilder('resnet-basic-block-16c');
    const conv = (name: string, cin: number) => g.param(`p_${name}_weight`, dtype, [CHANNELS, cin, 3, 3], kaimingNormalFanOut(CHANNELS, 3));
    const bnParams = (name: string) => ({
      weight: g.param(`p_${name}_weight`, dtype, [CHANNELS], normal(1, 0.1)),
      bias: g.param(`p_${name}_bias`, dtype, [CHANNELS], normal(0, 0.1)),
    });
    // parameters, then buffers, then the user input: torch.export's placeholder order
    const stem = { conv: conv('conv1', 3), bn: bnParams('bn1') };
    const block = { conv1: conv('layer1_0_conv1', CHANNELS), bn1: bnParams('layer1_0_bn1'), conv2: conv('layer1_0_conv2', CHANNELS), bn2: bnParams('layer1_0_bn2') };
    const fc = { weight: g.param('p_fc_weight', dtype, [CLASSES, CHANNELS], kaimingUniform(CHANNELS)), bias: g.param('p_fc_bias', dtype, [CLASSES], kaimingUniform(CHANNELS)) };
    const stats = (name: string) => ({
      mean: g.buffer(`b_${name}_running_mean`, dtype, [CHANNELS], normal(0, 0.1)),
      variance: g.buffer(`b_${name}_running_var`, dtype, [CHANNELS], { kind: 'uniform', low: 0.5, high: 1.5 }),
    });
    const stemStats = stats('bn1');
    const blockStats = [stats('layer1_0_bn1'), stats('layer1_0_bn2')] as const;
    const x = g.input('x', { dtype, shape: [BATCH, 3, IMAGE, IMAGE], layout: { kind: 'contiguous' }, recipe: normal(0, 1) });

    // convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups); no bias before a batch norm
    const conv3x3 = (input: Value, weight: Value) =>
      g.call('aten.convolution.default', [input, weight, arg.none(), arg.ints([1, 1]), arg.ints([1, 1]), arg.ints([1, 1]), arg.bool(false), arg.ints([0, 0]), arg.int(1)]);
    // native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps) → (out, save_mean, save_invstd)
    const batchNorm = (input: Value, p: { weight: Value; bias: Value }, s: { mean: Value; variance: Value }) =>
      g.callMany('aten.native_batch_norm.default', 3, [input, p.weight, p.bias, s.mean, s.variance, arg.bool(false), arg.float(0.1), arg.float(1e-5)])[0] as Value;
    const relu = (input: Value) => g.call('aten.relu.default', [input]);

    let h = relu(batchNorm(conv3x3(x, stem.conv), stem.bn, stemStats));
    h = g.callMany('aten.max_pool2d_with_indices.default', 2, [h, arg.ints([3, 3]), arg.ints([2, 2]), arg.ints([1, 1]), arg.ints([1, 1]), arg.bool(false)])[0] as Value;
    const identity = h;
    h = relu(batchNorm(conv3x3(h, block.conv1), block.bn1, blockStats[0]));
    h = batchNorm(conv3x3(h, block.conv2), block.bn2, blockStats[1]);
    h = relu(add(g, h, identity));
    h = g.call('aten._adaptive_avg_pool2d.default', [h, arg.ints([1, 1])]);
    h = view(g, h, [BATCH, CHANNELS]);
    const logits = linear(g, h, fc.weight, fc.bias);
    return { ...g.build([logits]), checks: logitChecks(dtype, 0) };
  },
};
