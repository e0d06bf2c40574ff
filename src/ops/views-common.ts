import type { DType } from '../tensor/dtype.js';
import { dtypeInfo } from '../tensor/dtype.js';
import { contiguousStrides, numel, type RefTensor } from '../tensor/tensor.js';
import type { Accuracy } from './types.js';
import { SCALAR_TYPE_NAMES } from '../tensor/dtype.js';

/*
 * What the view, copy and pad ops share: the exact rule, PyTorch's own dim-wrapping message, and gathers that read
 * a tensor's logical values through a strided view or a per-dim index map. A view's values are what the device must
 * return (the worker hands back a contiguous copy of whatever the op returns), so every reference here is a gather.
 */

/** Views, copies and pads move values unchanged: bit-identical, zeros' sign included. */
export const COPY: Accuracy = { kind: 'exact', signedZero: true };

/**
 * `maybe_wrap_dim` with PyTorch's IndexError text: a dim in [−r, r) wraps, r = max(rank, 1) (a 0-dim tensor takes
 * 0 and −1). unsqueeze passes rank + 1.
 */
export function wrapDimTorch(dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) throw new Error(`Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`);
  return dim < 0 ? dim + r : dim;
}

/** Wrapped dims that must be distinct (flip, squeeze.dims), with PyTorch's message for a repeat. */
export function distinctDims(dims: readonly number[], rank: number): number[] {
  const out = dims.map((d) => wrapDimTorch(d, rank));
  const seen = new Set<number>();
  for (const d of out) {
    if (seen.has(d)) throw new Error(`dim ${d} appears multiple times in the list of dims`);
    seen.add(d);
  }
  return out;
}

/** PyTorch's spelling of a shape in messages: `[2, 3]`. */
export const showShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * The values of a strided view over `t`'s logical row-major values: element idx of the result reads flat index
 * offset + Σ idx[d]·strides[d]. Strides may be 0 (broadcast) or negative (flip); the caller keeps them in range.
 */
export function stridedGather(t: RefTensor, shape: readonly number[], strides: readonly number[], offset: number): Float64Array {
  const n = numel(shape);
  const out = new Float64Array(n);
  if (n === 0) return out;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = offset;
  for (let k = 0; k < n; k++) {
    out[k] = t.values[src] as number;
    // odometer over the output, moving the source position by the strides
    for (let d = rank - 1; d >= 0; d--) {
      const v = (idx[d] as number) + 1;
      if (v < (shape[d] as number)) {
        idx[d] = v;
        src += strides[d] as number;
        break;
      }
      idx[d] = 0;
      src -= (strides[d] as number) * ((shape[d] as number) - 1);
    }
  }
  return out;
}

/**
 * A gather where each output dim d reads input index maps[d](o) along the same dim (pads, repeat, flip); a map
 * that returns −1 leaves `fill` there (constant padding).
 */
export function perDimGather(t: RefTensor, outShape: readonly number[], maps: readonly ((o: number) => number)[], fill = 0): Float64Array {
  const n = numel(outShape);
  const out = new Float64Array(n);
  if (n === 0) return out;
  const inStrides = contiguousStrides(t.shape);
  const rank = outShape.length;
  // per dim, the input offset of every output index (or −1)
  const tables = outShape.map((size, d) => {
    const map = maps[d] as (o: number) => number;
    return Int32Array.from({ length: size }, (_, o) => {
      const i = map(o);
      return i < 0 ? -1 : i * (inStrides[d] as number);
    });
  });
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    let hole = false;
    for (let d = 0; d < rank; d++) {
      const o = (tables[d] as Int32Array)[idx[d] as number] as number;
      if (o < 0) hole = true;
      src += o;
    }
    out[k] = hole ? fill : (t.values[src] as number);
    for (let d = rank - 1; d >= 0; d--) {
      const v = (idx[d] as number) + 1;
      if (v < (outShape[d] as number)) {
        idx[d] = v;
        break;
      }
      idx[d] = 0;
    }
  }
  return out;
}

/** The name c10 gives a dtype in its overflow message ("value cannot be converted to type at::Half …"). */
const C10_TYPE_NAMES: Record<DType, string> = {
  float64: 'double',
  float32: 'float',
  float16: 'at::Half',
  bfloat16: 'at::BFloat16',
  float8_e4m3fn: 'c10::Float8_e4m3fn',
  float8_e5m2: 'c10::Float8_e5m2',
  int64: 'int64_t',
  int32: 'int',
  int16: 'int16_t',
  int8: 'int8_t',
  uint8: 'uint8_t',
  bool: 'bool',
};

/**
 * A Python scalar converted to a tensor dtype the way `fill_` converts it (`Scalar::to<T>`, c10's checked_convert):
 * an out-of-range value raises rather than wraps or saturates, except that infinities fill a float tensor, a
 * negative int wraps into uint8 down to −255, and anything fills a bool tensor as `value != 0` (NaN is true).
 * Returns the value before rounding to the dtype; the caller rounds it as PyTorch does (through float32 for the
 * narrow floats).
 */
export function checkedScalar(dtype: DType, value: number, kind: 'bool' | 'int' | 'float'): number {
  const info = dtypeInfo(dtype);
  const overflow = (): never => {
    throw new Error(`value cannot be converted to type ${C10_TYPE_NAMES[dtype]} without overflow`);
  };
  if (info.kind === 'bool') return value !== 0 ? 1 : 0;
  if (info.kind === 'float') {
    if (value !== value || value === Infinity || value === -Infinity) return value;
    const max = info.float?.maxFinite ?? Infinity;
    if (value < -max || value > max) overflow();
    return value;
  }
  const min = info.min ?? 0;
  const max = info.max ?? 0;
  if (kind === 'float') {
    // a double is in range when it lies between the limits themselves, not when its truncation does
    if (!(value >= min && value <= max)) overflow();
    return Math.trunc(value) + 0;
  }
  if (info.kind === 'uint' && value < 0) {
    if (-value > max) overflow();
    return value + max + 1;
  }
  if (value < min || value > max) overflow();
  return value;
}

/** PyTorch's legacy type name of a CPU tensor, as `expand` prints it (`torch.FloatTensor`). */
const LEGACY_NAMES = SCALAR_TYPE_NAMES;

/**
 * The shape and strides (over a contiguous `shape`) of `expand(size)`, with PyTorch's errors: −1 keeps a dim, a
 * dim of 1 stretches with stride 0, new leading dims have stride 0.
 */
export function expandGeometry(dtype: DType, shape: readonly number[], size: readonly number[]): { shape: number[]; strides: number[] } {
  const rank = shape.length;
  const n = size.length;
  if (n < rank) {
    throw new Error(
      `expand(torch.${LEGACY_NAMES[dtype]}Tensor{${showShape(shape)}}, size=${showShape(size)}): the number of sizes provided (${n}) must be greater or equal to the number of dimensions in the tensor (${rank})`,
    );
  }
  const inStrides = contiguousStrides(shape);
  const outShape = new Array<number>(n);
  const outStrides = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const dim = i - (n - rank);
    let target = size[i] as number;
    if (dim < 0) {
      if (target < 0) throw new Error(`The expanded size of the tensor (${target}) isn't allowed in a leading, non-existing dimension ${i}`);
      outShape[i] = target;
      outStrides[i] = 0;
      continue;
    }
    const cur = shape[dim] as number;
    if (target === -1) target = cur;
    if (cur !== target) {
      if (cur !== 1) {
        throw new Error(
          `The expanded size of the tensor (${target}) must match the existing size (${cur}) at non-singleton dimension ${i}.  Target sizes: ${showShape(size)}.  Tensor sizes: ${showShape(shape)}`,
        );
      }
      if (target < 0) throw new Error('numel: integer multiplication overflow');
      outShape[i] = target;
      outStrides[i] = 0;
    } else {
      outShape[i] = cur;
      outStrides[i] = inStrides[dim] as number;
    }
  }
  return { shape: outShape, strides: outStrides };
}
