import { decodeValues, encodeValues } from './codec.js';
import { DTYPES, dtypeInfo, type DType } from './dtype.js';
import { drawValues, recipeProblem } from './recipes.js';
import type { InputSpec, Layout } from './spec.js';
import { contiguousStrides, numel, type RefTensor, type TensorData } from './tensor.js';

/*
 * Turning an input spec into device bytes (materialize), and reading any view back as logical float64 values.
 * Device outputs come through the same readers, so `validateView` must accept nothing that would make them
 * read outside the storage.
 */

/** The value that fills storage a view does not cover: reading it instead of a real element gives a wrong answer. */
function poisonOf(dtype: DType): number {
  const info = dtypeInfo(dtype);
  if (info.kind === 'float') return NaN;
  if (info.kind === 'bool') return 1;
  // int64's max as a number is 2^63, which the codec saturates to the real int64 max.
  return info.max as number;
}

/** Why a layout cannot be applied to a shape, or null when it can. */
export function layoutProblem(shape: readonly number[], layout: Layout): string | null {
  switch (layout.kind) {
    case 'contiguous':
    case 'offset':
      return null;
    case 'transposed':
      return shape.length >= 2 ? null : `a transposed layout needs rank ≥ 2, shape is [${shape.join(', ')}]`;
    case 'strided':
      return shape.length >= 1 ? null : 'a strided layout needs rank ≥ 1';
    case 'expanded': {
      const { from } = layout;
      if (from.length > shape.length) return `cannot expand [${from.join(', ')}] to the smaller rank of [${shape.join(', ')}]`;
      const lead = shape.length - from.length;
      for (let d = 0; d < from.length; d++) {
        const f = from[d] as number;
        const s = shape[lead + d] as number;
        if (f !== s && f !== 1) return `cannot expand [${from.join(', ')}] to [${shape.join(', ')}]: dim ${lead + d} is ${f}, not 1 or ${s}`;
      }
      return null;
    }
  }
}

/**
 * Why an input spec cannot be materialised (layout vs shape, recipe vs dtype, a `values` recipe whose count is not the
 * number of elements drawn), or null when it can.
 */
export function inputSpecProblem(spec: InputSpec): string | null {
  const problem = layoutProblem(spec.shape, spec.layout) ?? recipeProblem(spec.recipe, spec.dtype);
  if (problem !== null || spec.recipe.kind !== 'values') return problem;
  const drawn = place(spec.shape, spec.layout).drawn;
  const n = spec.recipe.values.length;
  return n === drawn ? null : `recipe 'values' holds ${n} values, but the input has ${drawn} elements ([${spec.shape.join(', ')}]${spec.layout.kind === 'expanded' ? ` expanded from [${spec.layout.from.join(', ')}]` : ''})`;
}

/** Where the view's logical elements sit in storage, in row-major order (no bounds checks: views are trusted or validated). */
function forEachPosition(shape: readonly number[], strides: readonly number[], offset: number, visit: (logical: number, pos: number) => void): void {
  const n = numel(shape);
  if (n === 0) return;
  const rank = shape.length;
  if (rank === 0) {
    visit(0, offset);
    return;
  }
  const idx = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const lastSize = shape[last] as number;
  const lastStride = strides[last] as number;
  let base = offset;
  for (let logical = 0; logical < n; ) {
    for (let j = 0, pos = base; j < lastSize; j++, pos += lastStride) visit(logical++, pos);
    // Odometer carry over the outer dims.
    for (let d = last - 1; d >= 0; d--) {
      const i = (idx[d] as number) + 1;
      if (i < (shape[d] as number)) {
        idx[d] = i;
        base += strides[d] as number;
        break;
      }
      idx[d] = 0;
      base -= (i - 1) * (strides[d] as number);
    }
  }
}

interface Placement {
  strides: number[];
  offset: number;
  storageElements: number;
  /** number of values drawn (for expanded: the small shape's) */
  drawn: number;
}

function place(shape: readonly number[], layout: Layout): Placement {
  const n = numel(shape);
  const rank = shape.length;
  switch (layout.kind) {
    case 'contiguous':
      return { strides: contiguousStrides(shape), offset: 0, storageElements: n, drawn: n };
    case 'offset':
      return { strides: contiguousStrides(shape), offset: layout.offset, storageElements: layout.offset + n, drawn: n };
    case 'transposed': {
      // Storage is the contiguous tensor with the last two dims swapped; the view swaps them back.
      const base = shape.slice();
      base[rank - 2] = shape[rank - 1] as number;
      base[rank - 1] = shape[rank - 2] as number;
      const strides = contiguousStrides(base);
      const t = strides[rank - 2] as number;
      strides[rank - 2] = strides[rank - 1] as number;
      strides[rank - 1] = t;
      return { strides, offset: 0, storageElements: n, drawn: n };
    }
    case 'strided': {
      // Storage is a tensor whose last dim is `step` times longer; the view is its [..., ::step] slice.
      const base = shape.slice();
      base[rank - 1] = (shape[rank - 1] as number) * layout.step;
      const strides = contiguousStrides(base);
      strides[rank - 1] = layout.step;
      return { strides, offset: 0, storageElements: numel(base), drawn: n };
    }
    case 'expanded': {
      const { from } = layout;
      const lead = rank - from.length;
      const small = contiguousStrides(from);
      const strides = shape.map((s, d) => {
        if (d < lead) return 0;
        const f = from[d - lead] as number;
        return f === 1 && s !== 1 ? 0 : (small[d - lead] as number);
      });
      const m = numel(from);
      return { strides, offset: 0, storageElements: m, drawn: m };
    }
  }
}

/**
 * Generates input `inputIndex` of a case: values from the spec's recipe (seeded by the case seed and the
 * input index), laid out as the spec's layout says, with poison (NaN for floats, the dtype's max for
 * integers, 1 for bool) wherever the storage is not part of the view. Deterministic, bit for bit.
 */
export function materialize(spec: InputSpec, seed: string, inputIndex: number): TensorData {
  const problem = inputSpecProblem(spec);
  if (problem !== null) throw new Error(problem);
  const { dtype, shape, layout } = spec;
  const p = place(shape, layout);
  const values = drawValues(spec.recipe, dtype, p.drawn, seed, inputIndex);
  let storageValues: Float64Array;
  if (layout.kind === 'contiguous' || layout.kind === 'expanded') {
    storageValues = values;
  } else if (layout.kind === 'offset') {
    storageValues = new Float64Array(p.storageElements).fill(poisonOf(dtype));
    storageValues.set(values, p.offset);
  } else {
    storageValues = new Float64Array(p.storageElements).fill(poisonOf(dtype));
    forEachPosition(shape, p.strides, p.offset, (logical, pos) => {
      storageValues[pos] = values[logical] as number;
    });
  }
  return { dtype, shape: shape.slice(), strides: p.strides, offset: p.offset, storage: encodeValues(dtype, storageValues) };
}

/**
 * A large input whose storage is one block of `block` drawn values repeated: random, never zeros, and cheap to make at
 * the sizes benchmarks need (a gigabyte drawn value by value would take the harness minutes). For inputs whose values
 * only have to be realistic, not independent (benchmarks); a layout that leaves storage outside the view is refused.
 * Bit for bit the same for the same spec, seed and index; an input no larger than a block is `materialize`'s own.
 */
export function materializeTiled(spec: InputSpec, seed: string, inputIndex: number, block: number): TensorData {
  const p = place(spec.shape, spec.layout);
  if (p.storageElements <= block) return materialize(spec, seed, inputIndex);
  if (spec.layout.kind !== 'contiguous' && spec.layout.kind !== 'transposed') {
    throw new Error(`a tiled input must be contiguous or transposed, not ${spec.layout.kind}`);
  }
  const drawn = materialize({ ...spec, shape: [block], layout: { kind: 'contiguous' } }, seed, inputIndex).storage;
  const storage = new Uint8Array(p.storageElements * (drawn.length / block));
  for (let at = 0; at < storage.length; at += drawn.length) storage.set(drawn.subarray(0, Math.min(drawn.length, storage.length - at)), at);
  return { dtype: spec.dtype, shape: spec.shape.slice(), strides: p.strides, offset: p.offset, storage };
}

/** A contiguous tensor holding `values` (rounded to the dtype as `encodeValues` does). */
export function fromValues(dtype: DType, shape: readonly number[], values: ArrayLike<number>): TensorData {
  const n = numel(shape);
  if (values.length !== n) throw new Error(`${values.length} values for shape [${shape.join(', ')}] (${n} elements)`);
  return { dtype, shape: shape.slice(), strides: contiguousStrides(shape), offset: 0, storage: encodeValues(dtype, values) };
}

/**
 * Row-major contiguous in PyTorch's sense (`Tensor.is_contiguous()`): strides of size-1 dims do not matter,
 * an empty tensor is contiguous, and the storage offset is not considered.
 */
export function isContiguous(t: TensorData): boolean {
  if (numel(t.shape) === 0) return true;
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    const size = t.shape[d] as number;
    if (size === 1) continue;
    if (t.strides[d] !== expected) return false;
    expected *= size;
  }
  return true;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Checks that a view is well formed and reads only inside its storage; returns what is wrong, for the user,
 * or null. Device outputs are untrusted: run this before reading them.
 */
export function validateView(t: TensorData): string | null {
  if (!(DTYPES as readonly string[]).includes(t.dtype)) return `unknown dtype '${String(t.dtype)}'`;
  if (!(t.storage instanceof Uint8Array)) return 'storage is not a byte array';
  if (!Array.isArray(t.shape) || !t.shape.every(isCount)) return `shape [${String(t.shape)}] is not a list of non-negative integers`;
  if (!Array.isArray(t.strides) || !t.strides.every(isCount)) return `strides [${String(t.strides)}] are not non-negative integers`;
  if (t.strides.length !== t.shape.length) return `${t.strides.length} strides for a ${t.shape.length}-dim shape`;
  if (!isCount(t.offset)) return `storage offset ${String(t.offset)} is not a non-negative integer`;
  const itemsize = dtypeInfo(t.dtype).itemsize;
  if (t.storage.length % itemsize !== 0) return `storage of ${t.storage.length} bytes is not a whole number of ${t.dtype} elements`;
  const elements = t.storage.length / itemsize;
  let n = 1;
  let last = t.offset;
  for (let d = 0; d < t.shape.length; d++) {
    const size = t.shape[d] as number;
    n *= size;
    if (size > 0) last += (size - 1) * (t.strides[d] as number);
  }
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(last)) return `view [${t.shape.join(', ')}] is too large`;
  if (n === 0) return t.offset <= elements ? null : `storage offset ${t.offset} is past the end of ${elements} elements`;
  if (last >= elements) {
    return `view [${t.shape.join(', ')}] with strides [${t.strides.join(', ')}] and offset ${t.offset} reaches element ${last}, but the storage holds ${elements} ${t.dtype} elements`;
  }
  return null;
}

function assertValid(t: TensorData): void {
  const problem = validateView(t);
  if (problem !== null) throw new Error(`invalid tensor view: ${problem}`);
}

/** The last storage element the view reads, plus one (0 for an empty view). */
function viewEnd(t: TensorData): number {
  if (numel(t.shape) === 0) return t.offset;
  let last = t.offset;
  for (let d = 0; d < t.shape.length; d++) last += ((t.shape[d] as number) - 1) * (t.strides[d] as number);
  return last + 1;
}

/** The view's logical values, row-major, decoded exactly to float64. Throws on a view that `validateView` rejects. */
export function readLogical(t: TensorData): Float64Array {
  assertValid(t);
  const itemsize = dtypeInfo(t.dtype).itemsize;
  const n = numel(t.shape);
  if (isContiguous(t)) return decodeValues(t.dtype, t.storage.subarray(t.offset * itemsize, (t.offset + n) * itemsize));
  // Decode only the span the view reaches, then gather.
  const span = decodeValues(t.dtype, t.storage.subarray(t.offset * itemsize, viewEnd(t) * itemsize));
  const out = new Float64Array(n);
  forEachPosition(t.shape, t.strides, 0, (logical, pos) => {
    out[logical] = span[pos] as number;
  });
  return out;
}

export function toRef(t: TensorData): RefTensor {
  return { dtype: t.dtype, shape: t.shape.slice(), values: readLogical(t) };
}

/** The raw bytes of the view's logical elements, row-major and contiguous (what an output digest hashes). */
export function contiguousBytes(t: TensorData): Uint8Array {
  assertValid(t);
  const itemsize = dtypeInfo(t.dtype).itemsize;
  const n = numel(t.shape);
  if (isContiguous(t)) return t.storage.slice(t.offset * itemsize, (t.offset + n) * itemsize);
  const out = new Uint8Array(n * itemsize);
  const src = t.storage;
  forEachPosition(t.shape, t.strides, t.offset, (logical, pos) => {
    const from = pos * itemsize;
    const to = logical * itemsize;
    for (let k = 0; k < itemsize; k++) out[to + k] = src[from + k] as number;
  });
  return out;
}
