import { numel } from '../tensor/tensor.js';
import { wrapDim } from './params.js';

/**
 * The dims a reduction runs over: None or an empty list mean every dim (as sum/mean/amax do),
 * negative dims wrap, duplicates are an error as in PyTorch.
 */
export function reductionDims(dims: readonly number[] | null, rank: number): number[] {
  if (dims === null || dims.length === 0) return Array.from({ length: rank }, (_, i) => i);
  const seen = new Set<number>();
  for (const d of dims) {
    const w = wrapDim(d, rank);
    if (seen.has(w)) throw new Error(`dim ${w} appears multiple times in the list of dims`);
    seen.add(w);
  }
  // a rank-0 tensor accepts dim 0 / −1, which reduce nothing
  return rank === 0 ? [] : [...seen].sort((a, b) => a - b);
}

/** Whether some output element reduces over nothing (a zero-size reduced dim with a non-empty output). */
export function hasEmptySlice(shape: readonly number[], dims: readonly number[]): boolean {
  return numel(shape.filter((_, d) => !dims.includes(d))) > 0 && numel(dims.map((d) => shape[d] ?? 1)) === 0;
}

export function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((s, d) => {
    if (!dims.includes(d)) out.push(s);
    else if (keepdim) out.push(1);
  });
  return out;
}

/**
 * Groups the row-major input elements by the output element they reduce into: `groups[o]` lists the flat input
 * indices of output `o`, in increasing order (the order the argmax reference scans ties in).
 */
export function reductionGroups(shape: readonly number[], dims: readonly number[]): number[][] {
  const keptShape = shape.filter((_, d) => !dims.includes(d));
  const nOut = numel(keptShape);
  const groups: number[][] = Array.from({ length: nOut }, () => []);
  const n = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) {
      if (!dims.includes(d)) o = o * (shape[d] ?? 1) + (idx[d] ?? 0);
    }
    groups[o]?.push(k);
    for (let d = shape.length - 1; d >= 0; d--) {
      const v = (idx[d] ?? 0) + 1;
      if (v < (shape[d] ?? 1)) {
        idx[d] = v;
        break;
      }
      idx[d] = 0;
    }
  }
  return groups;
}
