import { ACTIVATION_OPS } from './activation.js';
import { BINARY_OPS } from './binary.js';
import { COMPARISON_OPS } from './comparison.js';
import { MATMUL_OPS } from './matmul.js';
import { NORMALIZATION_OPS } from './normalization.js';
import { REDUCTION_OPS } from './reduction.js';
import { SELECT_OPS } from './select.js';
import { SHAPE_OPS } from './shape.js';
import { SOFTMAX_OPS } from './softmax.js';
import type { OpDef } from './types.js';
import { UNARY_OPS } from './unary.js';
import { CREATION_OPS } from './creation.js';
import { INDEXING_OPS } from './indexing.js';
import { MATH_OPS } from './math.js';
import { POINTWISE_OPS } from './pointwise.js';
import { SORT_OPS } from './sort.js';
import { VIEW_OPS } from './views.js';
import { CONVOLUTION_OPS } from './convolution.js';
import { POOLING_OPS } from './pooling.js';
import { RANDOM_OPS } from './random.js';

/** Every op accelcert defines, by family. */
export const OPS: readonly OpDef[] = [
  ...BINARY_OPS,
  ...UNARY_OPS,
  ...ACTIVATION_OPS,
  ...COMPARISON_OPS,
  ...SELECT_OPS,
  ...REDUCTION_OPS,
  ...MATMUL_OPS,
  ...SOFTMAX_OPS,
  ...NORMALIZATION_OPS,
  ...SHAPE_OPS,
  ...MATH_OPS,
  ...POINTWISE_OPS,
  ...SORT_OPS,
  ...VIEW_OPS,
  ...INDEXING_OPS,
  ...CREATION_OPS,
  ...CONVOLUTION_OPS,
  ...POOLING_OPS,
  ...RANDOM_OPS,
];

const BY_NAME = new Map(OPS.map((op) => [op.name, op]));
if (BY_NAME.size !== OPS.length) throw new Error('two ops share a name');

export function getOp(name: string): OpDef | undefined {
  return BY_NAME.get(name);
}
