import type { SuiteDefinition } from '../../src/suite/suite.js';
import { BINARY } from './binary.js';
import { UNARY } from './unary.js';
import { ACTIVATION } from './activation.js';
import { COMPARISON } from './comparison.js';
import { REDUCTION } from './reduction.js';
import { MATMUL } from './matmul.js';
import { NORMALIZATION } from './normalization.js';
import { SHAPE } from './shape.js';

/**
 * The core suite: Core ATen overloads, each swept over dtypes, shapes (incl. scalar and empty), layouts (transposed,
 * strided, offset, broadcast), value recipes (incl. special values) and the input regimes each op states. Which
 * cases exist lives here, one file per op family; what an op means lives in src/ops.
 */
export const core: SuiteDefinition = {
  name: 'core',
  version: '3',
  description: 'Core ATen operators: elementwise, reductions, matmul, softmax, layer norm, shape ops',
  groups: [...BINARY, ...UNARY, ...ACTIVATION, ...COMPARISON, ...REDUCTION, ...MATMUL, ...NORMALIZATION, ...SHAPE],
};
