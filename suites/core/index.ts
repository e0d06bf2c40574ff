import type { SuiteDefinition } from '../../src/suite/suite.js';
import { BINARY } from './binary.js';
import { UNARY } from './unary.js';
import { ACTIVATION } from './activation.js';
import { COMPARISON } from './comparison.js';
import { REDUCTION } from './reduction.js';
import { MATMUL } from './matmul.js';
import { NORMALIZATION } from './normalization.js';
import { SHAPE } from './shape.js';
import { MATH } from './math.js';
import { POINTWISE } from './pointwise.js';
import { SORT } from './sort.js';
import { VIEWS } from './views.js';
import { INDEXING } from './indexing.js';
import { CREATION } from './creation.js';
import { CONVOLUTION } from './convolution.js';
import { POOLING } from './pooling.js';
import { RANDOM } from './random.js';

/**
 * The core suite: Core ATen overloads, each swept over dtypes, shapes (incl. scalar and empty), layouts (transposed,
 * strided, offset, broadcast), value recipes (incl. special values) and the input regimes each op states. Which
 * cases exist lives here, one file per op family; what an op means lives in src/ops.
 */
export const core: SuiteDefinition = {
  name: 'core',
  version: '4',
  description: 'the Core ATen opset: math, pointwise, reductions, sort, views, indexing, creation, random, matmul, convolution, normalization, pooling',
  groups: [...BINARY, ...UNARY, ...ACTIVATION, ...COMPARISON, ...REDUCTION, ...MATMUL, ...NORMALIZATION, ...SHAPE, ...MATH, ...POINTWISE, ...SORT, ...VIEWS, ...INDEXING, ...CREATION, ...CONVOLUTION, ...POOLING, ...RANDOM],
};
