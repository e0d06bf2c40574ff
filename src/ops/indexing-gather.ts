import { numel, type RefTensor } from '../tensor/tensor.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { checkIndex, COPY, forEachIndex, offsetOf, shapeText, sizeAt, stridesOf } from './indexing-util.js';
import { input, intParam, meta, tensorListParam, tensorParam, wrapDim } from './params.js';
import type { OpCall, OpDef } from './types.js';

/*
 * Ops that read a tensor at indices and copy what they find: gather, index.Tensor, index_select, nonzero. Every value
 * is a copy (exact, the sign of zero included). Out-of-range indices are an error in PyTorch, never generated; which
 * ops wrap negative indices is PyTorch's: advanced indexing does (x[-1] is the last row), gather and index_select
 * do not.
 */

const outOfBounds = (dim: number, size: number) => (v: number) => `index ${v} is out of bounds for dimension ${dim} with size ${size}`;

// gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor
export const gather: OpDef = {
  name: 'aten.gather.default',
  family: 'indexing',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const sm = meta(call, self);
    const dim = wrapDim(intParam(call, 1, 'dim'), sm.shape.length);
    const index = tensorParam(call, 2, 'index');
    const im = meta(call, index);
    if (im.dtype !== 'int64') throw new Error('gather(): Expected dtype int64 for index');
    // ATen checks shapes only for a non-empty index, and sees a 0-dim tensor as [1] (ensure_nonempty_dim/size)
    if (numel(im.shape) > 0) {
      const rank = Math.max(sm.shape.length, 1);
      if (rank !== Math.max(im.shape.length, 1)) throw new Error('Index tensor must have the same number of dimensions as input tensor');
      for (let d = 0; d < rank; d++) {
        if (d !== dim && sizeAt(im.shape, d) > sizeAt(sm.shape, d)) {
          throw new Error(`Size does not match at dimension ${d} expected index ${shapeText(im.shape)} to be smaller than self ${shapeText(sm.shape)} apart from dimension ${dim}`);
        }
      }
    }
    const shape = [...im.shape];
    return {
      outputs: [{ dtype: sm.dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const s = input(inputs, self);
        const ix = input(inputs, index);
        const strides = stridesOf(s.shape);
        const size = sizeAt(s.shape, dim);
        const values = new Float64Array(numel(shape));
        forEachIndex(shape, (flat, idx) => {
          const at = idx[dim] as number;
          idx[dim] = checkIndex(ix.values[flat] as number, size, false, outOfBounds(dim, size));
          values[flat] = s.values[offsetOf(idx, strides)] as number;
          idx[dim] = at;
        });
        return [{ shape, values }];
      },
    };
  },
};

/**
 * The index tensors of an advanced-indexing call (`Tensor?[] indices`), applied to dims 0..k−1 of self. accelcert's
 * argument list cannot hold a None entry, so the indexed dims are always a prefix; a boolean (or uint8) mask stands
 * for nonzero(mask), whose count depends on the values, which a bound op's output shape cannot.
 */
export function advancedIndices(call: OpCall, selfShape: readonly number[]) {
  const list = tensorListParam(call, 1, 'indices');
  if (list.length === 0) throw new Error('index: at least one index tensor is required');
  for (const i of list) {
    const d = meta(call, i).dtype;
    if (d === 'bool' || d === 'uint8') {
      throw new Error('a boolean or uint8 mask index selects a value-dependent number of elements; accelcert binds output shapes before it sees values');
    }
    // int32 indices: PyTorch 2.x; 1.13 accepts only long, byte and bool
    if (d !== 'int64' && d !== 'int32') throw new Error('tensors used as indices must be long, int, byte or bool tensors');
  }
  if (list.length > selfShape.length) throw new Error(`too many indices for tensor of dimension ${selfShape.length} (got ${list.length})`);
  const shapes = list.map((i) => meta(call, i).shape);
  let batch: number[];
  try {
    batch = broadcastShapes(...shapes);
  } catch {
    throw new Error(`shape mismatch: indexing tensors could not be broadcast together with shapes ${shapes.map(shapeText).join(', ')}`);
  }
  const trailing = selfShape.slice(list.length);
  return { list, batch, trailing, result: [...batch, ...trailing] };
}

/**
 * For every element of the broadcast index batch, the flat offset in self of the first element it selects (the
 * trailing dims follow contiguously); negative indices wrap.
 */
export function advancedOffsets(inputs: readonly RefTensor[], list: readonly number[], selfShape: readonly number[], batch: readonly number[]): Float64Array {
  const strides = stridesOf(selfShape);
  const offsets = new Float64Array(numel(batch));
  list.forEach((t, j) => {
    const ix = input(inputs, t);
    const map = broadcastIndex(ix.shape, batch);
    const size = selfShape[j] as number;
    for (let b = 0; b < offsets.length; b++) {
      const v = checkIndex(ix.values[map[b] as number] as number, size, true, outOfBounds(j, size));
      offsets[b] = (offsets[b] as number) + v * (strides[j] as number);
    }
  });
  return offsets;
}

// index.Tensor(Tensor self, Tensor?[] indices) -> Tensor
export const indexTensor: OpDef = {
  name: 'aten.index.Tensor',
  family: 'indexing',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const sm = meta(call, self);
    const { list, batch, trailing, result } = advancedIndices(call, sm.shape);
    return {
      outputs: [{ dtype: sm.dtype, shape: result, accuracy: COPY }],
      reference(inputs) {
        const s = input(inputs, self);
        const offsets = advancedOffsets(inputs, list, sm.shape, batch);
        const inner = numel(trailing);
        const values = new Float64Array(numel(result));
        offsets.forEach((o, b) => {
          for (let t = 0; t < inner; t++) values[b * inner + t] = s.values[o + t] as number;
        });
        return [{ shape: result, values }];
      },
    };
  },
};

// index_select(Tensor self, int dim, Tensor index) -> Tensor
export const indexSelect: OpDef = {
  name: 'aten.index_select.default',
  family: 'indexing',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const sm = meta(call, self);
    const dim = wrapDim(intParam(call, 1, 'dim'), sm.shape.length);
    const index = tensorParam(call, 2, 'index');
    const im = meta(call, index);
    if (im.dtype !== 'int64' && im.dtype !== 'int32') throw new Error('index_select(): Expected dtype int32 or int64 for index');
    if (im.shape.length > 1) throw new Error('index_select(): Index is supposed to be a vector');
    const count = numel(im.shape);
    // PyTorch 2.x refuses more than one index into a 0-dim tensor (1.13 returned a 0-dim result for any count)
    if (sm.shape.length === 0 && count !== 1) throw new Error(`index_select(): Index to scalar can have only 1 value, got ${count} value(s)`);
    const shape = sm.shape.length === 0 ? [] : sm.shape.map((n, d) => (d === dim ? count : n));
    return {
      outputs: [{ dtype: sm.dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const s = input(inputs, self);
        const ix = input(inputs, index);
        const size = sizeAt(s.shape, dim);
        const strides = stridesOf(s.shape);
        const values = new Float64Array(numel(shape));
        forEachIndex(shape, (flat, idx) => {
          const at = idx[dim] as number;
          idx[dim] = checkIndex(ix.values[at] as number, size, false, () => 'index out of range in self');
          values[flat] = s.values[offsetOf(idx, strides)] as number;
          idx[dim] = at;
        });
        return [{ shape, values }];
      },
    };
  },
};

/**
 * nonzero(Tensor self) -> Tensor: the int64 coordinates of the nonzero elements, one row each, in row-major order
 * (defined: PyTorch returns them sorted). Its row count depends on the values, and a bound op states its output shape
 * before any value exists: the shape bound here is that of an input whose every element is nonzero (NaN counts as
 * nonzero), and the reference refuses any other input. The suites generate exactly such inputs.
 */
export const nonzero: OpDef = {
  name: 'aten.nonzero.default',
  family: 'indexing',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const sm = meta(call, self);
    const n = numel(sm.shape);
    const rank = sm.shape.length;
    const shape = [n, rank];
    return {
      outputs: [{ dtype: 'int64', shape, accuracy: { kind: 'exact' } }],
      reference(inputs) {
        const s = input(inputs, self);
        const zeros = s.values.reduce((k, v) => (v === 0 ? k + 1 : k), 0);
        if (zeros > 0) {
          throw new Error(`nonzero: ${zeros} of ${n} elements are zero, so the result has ${n - zeros} rows; accelcert binds output shapes before it sees values and supports only inputs without zeros`);
        }
        const values = new Float64Array(n * rank);
        forEachIndex(sm.shape, (flat, idx) => {
          for (let d = 0; d < rank; d++) values[flat * rank + d] = idx[d] as number;
        });
        return [{ shape, values }];
      },
    };
  },
};
