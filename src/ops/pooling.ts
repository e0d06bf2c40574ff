import { adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool2dBackward, adaptiveAvgPool3d, avgPool1d, avgPool2d, avgPool2dBackward, avgPool3d } from './pooling-avg.js';
import { gridSampler2d } from './pooling-grid-sample.js';
import { maxPool2dWithIndices, maxPool2dWithIndicesBackward, maxPool3dWithIndices } from './pooling-max.js';
import type { OpDef } from './types.js';
import { upsampleBilinear2dVec, upsampleNearest2dVec } from './upsample.js';

export { adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool2dBackward, adaptiveAvgPool3d, avgPool1d, avgPool2d, avgPool2dBackward, avgPool3d } from './pooling-avg.js';
export { gridSampler2d } from './pooling-grid-sample.js';
export { maxPool2dWithIndices, maxPool2dWithIndicesBackward, maxPool3dWithIndices } from './pooling-max.js';
export { linearAxis, nearestAxis, upsampleBilinear2dVec, upsampleNearest2dVec } from './upsample.js';

/** The op catalogue's pooling, upsampling and grid sampling. */
export const POOLING_OPS: readonly OpDef[] = [
  adaptiveAvgPool2d,
  adaptiveAvgPool2dBackward,
  adaptiveAvgPool3d,
  adaptiveAvgPool1d,
  avgPool1d,
  avgPool2d,
  avgPool2dBackward,
  avgPool3d,
  maxPool2dWithIndices,
  maxPool2dWithIndicesBackward,
  maxPool3dWithIndices,
  upsampleBilinear2dVec,
  upsampleNearest2dVec,
  gridSampler2d,
];
