import type { DType } from '../tensor/dtype.js';
import type { Recipe } from '../tensor/spec.js';
import { everyInput, isFloat, SUM_WITNESS, uniform } from './regimes.js';
import type { Regime } from './types.js';

/*
 * Input regimes of pooling, upsampling and grid sampling: where implementations of these ops differ. Border windows
 * with padding, ceil_mode, adaptive windows of varying size and non-integer scales are call parameters, swept by the
 * suite's shapes; these are the value regimes.
 */

/**
 * A NaN in about one element in 1024: inside a window it must make the average NaN and be the maximum (a max built
 * on fmaxf drops it). Sparse enough that no window of the suite's max-pooling cases holds two NaNs, so the index of
 * the maximum stays unique and can be judged exactly (a test checks the generated inputs).
 */
export const POOL_NAN: Regime = everyInput('nan', 'a NaN inside a window must make its average NaN and be its maximum, with its index (a max built on fmaxf, or a sum that skips NaN, differs)', () => ({
  kind: 'sprinkle',
  mean: 0,
  std: 1,
  values: ['nan'],
  fraction: 1 / 1024,
}));

/** Precision witnesses for the window sums of average pooling (exact in float32 in every order, see regimes.ts). */
export const POOL_WITNESS: Regime = { ...SUM_WITNESS, why: 'a precision witness: every window sum is exact in float32 (float64 for float64) in every order; a float16 or bfloat16 running sum misses by whole grid steps' };

/**
 * Tied maxima (integers 0..3): PyTorch CPU and CUDA return the first tied index in scan order, which nothing
 * promises; a case can only judge by property (the index holds the maximum), so it applies where each window is one
 * slice of the input (a global pool along one spatial dim).
 */
export const POOL_TIES: Regime = everyInput('ties', 'tied maxima in a window: any tied index is a correct answer (PyTorch does not say which one it returns)', () => ({ kind: 'ties', levels: 4 }));

/** Dense NaN (one in 16) for windows judged by property: several NaNs per window, any of their indices is right. */
export const POOL_NAN_DENSE: Regime = everyInput('nan-dense', 'several NaNs in one window: the maximum is NaN and any index holding a NaN is a correct answer', () => ({
  kind: 'sprinkle',
  mean: 0,
  std: 1,
  values: ['nan'],
  fraction: 1 / 16,
}));

/** Grid sampling: the sampling grid (input 1) reaches beyond [−1, 1], so padding modes and corner masks decide. */
function gridRegime(name: string, why: string, grid: (d: DType) => Recipe): Regime {
  return { name, why, recipe: (d, i) => (!isFloat(d) ? null : i === 1 ? grid(d) : { kind: 'normal', mean: 0, std: 1 }) };
}

export const GRID_REGIMES: Regime[] = [
  gridRegime('out-of-range', 'grid points up to half the image beyond its border: zeros padding reads 0, border clamps, reflection folds back; corners outside the input are masked', () => uniform(-1.5, 1.5)),
  gridRegime('pixel-centres', 'grid points on pixel centres and half-way between them (multiples of 1/8 on an 8- or 16-pixel image): exact weights, and nearest-neighbour ties that round half to even', () => ({
    kind: 'choice',
    values: [-1, -0.875, -0.75, -0.625, -0.5, -0.375, -0.25, -0.125, 0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1],
  })),
];
