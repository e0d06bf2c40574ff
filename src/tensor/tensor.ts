import type { DType } from './dtype.js';

/**
 * A tensor as it travels between harness and device: a storage buffer (little-endian element bytes)
 * viewed through shape, strides and a storage offset, all counted in elements, as in PyTorch.
 */
export interface TensorData {
  dtype: DType;
  shape: number[];
  strides: number[];
  offset: number;
  storage: Uint8Array;
}

/** A tensor's logical values decoded exactly to float64, in row-major order (what the oracle and judge read). */
export interface RefTensor {
  dtype: DType;
  shape: number[];
  values: Float64Array;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= Math.max(shape[i] ?? 1, 1);
  }
  return strides;
}

/** Row-major multi-index of a flat logical index. */
export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] ?? 1;
    idx[d] = flat % n;
    flat = Math.floor(flat / n);
  }
  return idx;
}
