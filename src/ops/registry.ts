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
];

const BY_NAME = new Map(OPS.map((op) => [op.name, op]));
if (BY_NAME.size !== OPS.length) throw new Error('two ops share a name');

export function getOp(name: string): OpDef | undefined {
  return BY_NAME.get(name);
}
