import { dtypeInfo } from '../tensor/dtype.js';
import { contiguousStrides, numel } from '../tensor/tensor.js';
import { COL2IM_OPS } from './views-col2im.js';
import { COPY, distinctDims, expandGeometry, perDimGather, showShape, stridedGather, wrapDimTorch } from './views-common.js';
import { CONVERSION_OPS } from './views-copy.js';
import { PAD_OPS } from './pad.js';
import { input, intParam, intsParam, meta, optionalIntParam, tensorParam } from './params.js';
import type { BoundOp, OpCall, OpDef } from './types.js';

/*
 * Views (alias, as_strided, diagonal, expand, select, slice, split_with_sizes, squeeze, unsqueeze) and the copies
 * that rearrange (flip, repeat). Each reference is a gather over the input's logical values; bind raises what
 * PyTorch raises, with its message. A view of a non-contiguous input must still read the right elements: the
 * suite feeds transposed, strided, offset and expanded inputs.
 */

/** A bound op with one output whose values are `gather(values)` of input `self`. */
function oneOutput(call: OpCall, self: number, shape: number[], gather: (t: ReturnType<typeof input>) => Float64Array): BoundOp {
  const m = meta(call, self);
  return {
    outputs: [{ dtype: m.dtype, shape, accuracy: COPY }],
    reference: (inputs) => [{ shape, values: gather(input(inputs, self)) }],
  };
}

/** The ints of a required `int[]`/`SymInt[]` argument. */
function ints(call: OpCall, pos: number, name: string): number[] {
  const v = intsParam(call, pos, name);
  if (v === null) throw new Error(`argument '${name}' must be a list of ints, got nothing`);
  return v;
}

// alias(Tensor(a) self) -> Tensor(a)
export const alias: OpDef = {
  name: 'aten.alias.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    return oneOutput(call, self, [...m.shape], (t) => Float64Array.from(t.values));
  },
};

// as_strided(Tensor(a) self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor(a)
// The view addresses the input's storage. The reference holds only logical values, so it is defined for an input
// whose storage from its own offset on is its logical values (contiguous, with or without a storage offset):
// `storage_offset` None keeps the input's offset, and an explicit offset counts from a storage that starts at the
// input's first element. Cases give explicit offsets only to inputs without one.
export const asStrided: OpDef = {
  name: 'aten.as_strided.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const size = ints(call, 1, 'size');
    const stride = ints(call, 2, 'stride');
    const explicit = optionalIntParam(call, 3, 'storage_offset');
    if (size.length !== stride.length) throw new Error('mismatch in length of strides and shape');
    if (stride.some((s) => s < 0)) throw new Error(`as_strided: Negative strides are not supported at the moment, got strides: ${showShape(stride)}`);
    if (size.some((s) => s < 0)) throw new Error(`Storage size calculation overflowed with sizes=${showShape(size)} and strides=${showShape(stride)}`);
    if (explicit !== null && explicit < 0) throw new Error(`Tensor: invalid storage offset ${explicit}`);
    const offset = explicit ?? 0;
    const extent = numel(size) === 0 ? 0 : 1 + size.reduce((a, s, d) => a + (s - 1) * (stride[d] as number), 0);
    const itemsize = dtypeInfo(m.dtype).itemsize;
    const available = numel(m.shape);
    if (extent > 0 && offset + extent > available) {
      throw new Error(
        `setStorage: sizes ${showShape(size)}, strides ${showShape(stride)}, storage offset ${offset}, and itemsize ${itemsize} requiring a storage size of ${(offset + extent) * itemsize} are out of bounds for storage of size ${available * itemsize}`,
      );
    }
    return oneOutput(call, self, [...size], (t) => stridedGather(t, size, stride, offset));
  },
};

// diagonal(Tensor(a) self, int offset=0, int dim1=0, int dim2=1) -> Tensor(a)
export const diagonal: OpDef = {
  name: 'aten.diagonal.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const offset = intParam(call, 1, 'offset', 0);
    const raw1 = intParam(call, 2, 'dim1', 0);
    const raw2 = intParam(call, 3, 'dim2', 1);
    const rank = m.shape.length;
    const d1 = wrapDimTorch(raw1, rank);
    const d2 = wrapDimTorch(raw2, rank);
    if (d1 === d2) throw new Error(`diagonal dimensions cannot be identical ${raw1}, ${raw2}`);
    const strides = contiguousStrides(m.shape);
    const s1 = m.shape[d1] as number;
    const s2 = m.shape[d2] as number;
    let len: number;
    let start: number;
    if (offset >= 0) {
      len = Math.max(Math.min(s1, s2 - offset), 0);
      start = offset * (strides[d2] as number);
    } else {
      len = Math.max(Math.min(s1 + offset, s2), 0);
      start = -offset * (strides[d1] as number);
    }
    if (len === 0) start = 0;
    const keep = m.shape.map((_, d) => d).filter((d) => d !== d1 && d !== d2);
    const shape = [...keep.map((d) => m.shape[d] as number), len];
    const viewStrides = [...keep.map((d) => strides[d] as number), (strides[d1] as number) + (strides[d2] as number)];
    return oneOutput(call, self, shape, (t) => stridedGather(t, shape, viewStrides, start));
  },
};

// expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)
export const expand: OpDef = {
  name: 'aten.expand.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const g = expandGeometry(m.dtype, m.shape, ints(call, 1, 'size'));
    return oneOutput(call, self, g.shape, (t) => stridedGather(t, g.shape, g.strides, 0));
  },
};

// flip(Tensor self, int[] dims) -> Tensor
export const flip: OpDef = {
  name: 'aten.flip.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const dims = new Set(distinctDims(ints(call, 1, 'dims'), m.shape.length));
    const shape = [...m.shape];
    const maps = shape.map((s, d) => (dims.has(d) ? (o: number) => s - 1 - o : (o: number) => o));
    return oneOutput(call, self, shape, (t) => perDimGather(t, shape, maps));
  },
};

// repeat(Tensor self, SymInt[] repeats) -> Tensor
export const repeat: OpDef = {
  name: 'aten.repeat.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const repeats = ints(call, 1, 'repeats');
    if (repeats.length < m.shape.length) throw new Error('Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor');
    const padded = [...new Array<number>(repeats.length - m.shape.length).fill(1), ...m.shape];
    const shape = padded.map((s, d) => s * (repeats[d] as number));
    const negative = shape.find((s) => s < 0);
    if (negative !== undefined) throw new Error(`Trying to create tensor with negative dimension ${negative}: ${showShape(shape)}`);
    const maps = padded.map((s) => (o: number) => o % s);
    return oneOutput(call, self, shape, (t) => perDimGather({ ...t, shape: padded }, shape, maps));
  },
};

// select.int(Tensor(a) self, int dim, int index) -> Tensor(a)
export const select: OpDef = {
  name: 'aten.select.int',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    if (m.shape.length === 0) throw new Error('select() cannot be applied to a 0-dim tensor.');
    const d = wrapDimTorch(intParam(call, 1, 'dim'), m.shape.length);
    const index = intParam(call, 2, 'index');
    const size = m.shape[d] as number;
    if (index < -size || index >= size) throw new Error(`select(): index ${index} out of range for tensor of size ${showShape(m.shape)} at dimension ${d}`);
    const strides = contiguousStrides(m.shape);
    const start = (index < 0 ? index + size : index) * (strides[d] as number);
    const shape = m.shape.filter((_, k) => k !== d);
    const viewStrides = strides.filter((_, k) => k !== d);
    return oneOutput(call, self, shape, (t) => stridedGather(t, shape, viewStrides, start));
  },
};

/** slice's start and end after PyTorch's wrapping and clamping (end None is INT64_MAX). */
export function sliceBounds(size: number, start: number | null, end: number | null): [number, number] {
  let s = start ?? 0;
  let e = end ?? Infinity;
  if (s < 0) s += size;
  if (e < 0) e += size;
  if (s < 0) s = 0;
  else if (s >= size) s = size;
  if (e < s) e = s;
  else if (e >= size) e = size;
  return [s, e];
}

// slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor(a)
export const slice: OpDef = {
  name: 'aten.slice.Tensor',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    if (m.shape.length === 0) throw new Error('slice() cannot be applied to a 0-dim tensor.');
    const d = wrapDimTorch(intParam(call, 1, 'dim', 0), m.shape.length);
    const step = intParam(call, 4, 'step', 1);
    if (step <= 0) throw new Error('slice step must be positive');
    const [s, e] = sliceBounds(m.shape[d] as number, optionalIntParam(call, 2, 'start'), optionalIntParam(call, 3, 'end'));
    const strides = contiguousStrides(m.shape);
    const shape = m.shape.map((n, k) => (k === d ? Math.ceil((e - s) / step) : n));
    const viewStrides = strides.map((st, k) => (k === d ? st * step : st));
    return oneOutput(call, self, shape, (t) => stridedGather(t, shape, viewStrides, s * (strides[d] as number)));
  },
};

// split_with_sizes(Tensor(a -> *) self, SymInt[] split_sizes, int dim=0) -> Tensor(a)[]
export const splitWithSizes: OpDef = {
  name: 'aten.split_with_sizes.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    if (m.shape.length === 0) throw new Error('split expects at least a 1-dimensional tensor');
    const sizes = ints(call, 1, 'split_sizes');
    const d = wrapDimTorch(intParam(call, 2, 'dim', 0), m.shape.length);
    const total = m.shape[d] as number;
    if (sizes.some((s) => s < 0)) throw new Error(`split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=${showShape(sizes)}`);
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== total) {
      throw new Error(`split_with_sizes expects split_sizes to sum exactly to ${total} (input tensor's size at dimension ${d}), but got split_sizes=${showShape(sizes)}`);
    }
    const strides = contiguousStrides(m.shape);
    const pieces = sizes.map((size, j) => ({
      shape: m.shape.map((n, k) => (k === d ? size : n)),
      start: sizes.slice(0, j).reduce((a, b) => a + b, 0) * (strides[d] as number),
    }));
    return {
      outputs: pieces.map((p) => ({ dtype: m.dtype, shape: p.shape, accuracy: COPY })),
      reference(inputs) {
        const t = input(inputs, self);
        return pieces.map((p) => ({ shape: p.shape, values: stridedGather(t, p.shape, strides, p.start) }));
      },
    };
  },
};

/** A view that keeps the values in order and only changes the shape. */
function reshaped(call: OpCall, self: number, shape: number[]): BoundOp {
  return oneOutput(call, self, shape, (t) => Float64Array.from(t.values));
}

// squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)
export const squeezeDim: OpDef = {
  name: 'aten.squeeze.dim',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const d = wrapDimTorch(intParam(call, 1, 'dim'), m.shape.length);
    return reshaped(call, self, m.shape.filter((n, k) => !(k === d && n === 1)));
  },
};

// squeeze.dims(Tensor(a) self, int[] dim) -> Tensor(a) (PyTorch 2.0 and later)
export const squeezeDims: OpDef = {
  name: 'aten.squeeze.dims',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    // an int[] also binds a single int, as Python does (intsParam)
    const dims = new Set(distinctDims(ints(call, 1, 'dim'), m.shape.length));
    return reshaped(call, self, m.shape.filter((n, k) => !(dims.has(k) && n === 1)));
  },
};

// unsqueeze(Tensor(a) self, int dim) -> Tensor(a)
export const unsqueeze: OpDef = {
  name: 'aten.unsqueeze.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const d = wrapDimTorch(intParam(call, 1, 'dim'), m.shape.length + 1);
    const shape = [...m.shape];
    shape.splice(d, 0, 1);
    return reshaped(call, self, shape);
  },
};

/** The op catalogue's views, copies and pads beyond clone, view, permute and cat. */
export const VIEW_OPS: readonly OpDef[] = [
  alias,
  asStrided,
  diagonal,
  expand,
  flip,
  repeat,
  select,
  slice,
  splitWithSizes,
  squeezeDim,
  squeezeDims,
  unsqueeze,
  ...CONVERSION_OPS,
  ...PAD_OPS,
  ...COL2IM_OPS,
];
