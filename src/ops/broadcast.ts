import { contiguousStrides, numel } from '../tensor/tensor.js';

/** `torch.broadcast_shapes`: align trailing dims; a dim of 1 stretches; anything else must agree. */
export function broadcastShapes(...shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const d = s[i] ?? 1;
      const o = rank - s.length + i;
      const cur = out[o] ?? 1;
      if (d === cur || d === 1) continue;
      if (cur === 1) out[o] = d;
      else throw new Error(`shapes [${shapes.map((x) => x.join(',')).join('] and [')}] are not broadcastable`);
    }
  }
  return out;
}

/**
 * For every flat (row-major) index of `outShape`, the flat index of the element of a tensor of shape
 * `inShape` that broadcasting reads there.
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array | Float64Array {
  const n = numel(outShape);
  const map = n < 2 ** 31 ? new Int32Array(n) : new Float64Array(n);
  const offset = outShape.length - inShape.length;
  const inStrides = contiguousStrides(inShape);
  // stride per output dim in the input: 0 where the input is missing the dim or has size 1
  const strides = outShape.map((_, d) => {
    const i = d - offset;
    if (i < 0 || (inShape[i] ?? 1) === 1) return 0;
    return inStrides[i] ?? 0;
  });
  const idx = new Array<number>(outShape.length).fill(0);
  let src = 0;
  for (let k = 0; k < n; k++) {
    map[k] = src;
    // odometer increment, updating the source offset incrementally
    for (let d = outShape.length - 1; d >= 0; d--) {
      const size = outShape[d] ?? 1;
      const st = strides[d] ?? 0;
      const v = (idx[d] ?? 0) + 1;
      if (v < size) {
        idx[d] = v;
        src += st;
        break;
      }
      idx[d] = 0;
      src -= st * (size - 1);
    }
  }
  return map;
}
