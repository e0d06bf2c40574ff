import { castFunction } from '../tensor/dtype.js';
import { contiguousStrides, numel } from '../tensor/tensor.js';
import { promoteTypes } from './promotion.js';
import { input, intParam, intsParam, meta, tensorListParam, tensorParam, wrapDim } from './params.js';
import type { OpCall, OpDef } from './types.js';
import { sizeParam } from './creation.js';
import { stridedGather } from './views-common.js';

/** Copies and views move values unchanged: bit-identical, zeros' sign included. */
const COPY = { kind: 'exact', signedZero: true } as const;

// clone(Tensor self, *, MemoryFormat? memory_format=None): the memory format changes strides, never values
export const clone: OpDef = {
  name: 'aten.clone.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    return {
      outputs: [{ dtype: m.dtype, shape: [...m.shape], accuracy: COPY }],
      reference(inputs) {
        const t = input(inputs, self);
        return [{ shape: [...t.shape], values: Float64Array.from(t.values) }];
      },
    };
  },
};

// resize_(Tensor(a!) self, SymInt[] size, *, MemoryFormat? memory_format=None) -> Tensor(a!)
// Keeps the storage and gives self contiguous strides of the new size: the first numel(size) elements of a contiguous
// self, in order. Elements beyond the old size are uninitialised memory, so the suite only shrinks or keeps the size.
export const resizeInPlace: OpDef = {
  name: 'aten.resize_.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const size = sizeParam(call, 1);
    const n = size.reduce((a, b) => a * b, 1);
    const have = m.shape.reduce((a, b) => a * b, 1);
    if (n > have) throw new Error(`resize_ to [${size.join(', ')}] grows the tensor (${have} to ${n} elements): the new elements are uninitialised, and accelcert cannot judge them`);
    return {
      outputs: [{ dtype: m.dtype, shape: [...size], accuracy: COPY }],
      reference(inputs) {
        return [{ shape: [...size], values: input(inputs, self).values.slice(0, n) }];
      },
    };
  },
};

// view(Tensor(a) self, SymInt[] size)
export const view: OpDef = {
  name: 'aten.view.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const size = intsParam(call, 1, 'size') ?? [];
    const n = numel(m.shape);
    const infer = size.filter((s) => s === -1).length;
    if (infer > 1) throw new Error('view: only one dimension can be inferred');
    const known = numel(size.filter((s) => s !== -1));
    let shape = size;
    if (infer === 1) {
      if (known === 0 || n % known !== 0) throw new Error(`view: shape '[${size.join(', ')}]' is invalid for input of size ${n}`);
      shape = size.map((s) => (s === -1 ? n / known : s));
    }
    if (numel(shape) !== n || shape.some((s) => s < 0)) throw new Error(`view: shape '[${size.join(', ')}]' is invalid for input of size ${n}`);
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: COPY }],
      // row-major logical order is what a view of a contiguous tensor keeps
      reference: (inputs) => [{ shape, values: Float64Array.from(input(inputs, self).values) }],
    };
  },
};

// permute(Tensor(a) self, int[] dims)
export const permute: OpDef = {
  name: 'aten.permute.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const raw = intsParam(call, 1, 'dims') ?? [];
    if (raw.length !== m.shape.length) throw new Error(`permute: number of dims don't match (${raw.length} for a ${m.shape.length}-D tensor)`);
    const dims = raw.map((d) => wrapDim(d, m.shape.length));
    if (new Set(dims).size !== dims.length) throw new Error('permute: repeated dim');
    const shape = dims.map((d) => m.shape[d] ?? 1);
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const t = input(inputs, self);
        const inStrides = contiguousStrides(t.shape);
        // a strided view of the input, read in the output's order
        const values = stridedGather(t, shape, dims.map((d) => inStrides[d] ?? 0), 0);
        return [{ shape, values }];
      },
    };
  },
};

// cat(Tensor[] tensors, int dim=0)
function catParse(call: OpCall) {
  const all = tensorListParam(call, 0, 'tensors');
  if (all.length === 0) throw new Error('cat: expected a non-empty list of tensors');
  const dtype = all.map((i) => meta(call, i).dtype).reduce((a, b) => promoteTypes(a, b));
  // PyTorch still skips legacy empty tensors of shape [0] whatever the other tensors' rank
  const parts = all.filter((i) => {
    const s = meta(call, i).shape;
    return !(s.length === 1 && s[0] === 0);
  });
  const first = parts[0] === undefined ? undefined : meta(call, parts[0]).shape;
  if (first === undefined) return { dtype, parts, dim: 0, shape: [0] };
  if (first.length === 0) throw new Error('cat: zero-dimensional tensor cannot be concatenated');
  const dim = wrapDim(intParam(call, 1, 'dim', 0), first.length);
  let total = 0;
  for (const i of parts) {
    const s = meta(call, i).shape;
    if (s.length !== first.length || s.some((v, d) => d !== dim && v !== first[d])) {
      throw new Error(`cat: sizes of tensors must match except in dimension ${dim}: [${first.join(', ')}] vs [${s.join(', ')}]`);
    }
    total += s[dim] ?? 0;
  }
  const shape = first.map((v, d) => (d === dim ? total : v));
  return { dtype, parts, dim, shape };
}

export const cat: OpDef = {
  name: 'aten.cat.default',
  family: 'shape',
  bind(call) {
    const { dtype, parts, dim, shape } = catParse(call);
    return {
      outputs: [{ dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const values = new Float64Array(numel(shape));
        const outer = numel(shape.slice(0, dim));
        const inner = numel(shape.slice(dim + 1));
        const rowOut = (shape[dim] ?? 0) * inner;
        let at = 0;
        const cast = castFunction(dtype);
        for (const i of parts) {
          const t = input(inputs, i);
          const rowIn = (t.shape[dim] ?? 0) * inner;
          for (let o = 0; o < outer; o++) {
            for (let j = 0; j < rowIn; j++) values[o * rowOut + at + j] = cast(t.values[o * rowIn + j] ?? NaN);
          }
          at += rowIn;
        }
        return [{ shape, values }];
      },
    };
  },
};

export const SHAPE_OPS: readonly OpDef[] = [cat, permute, view, clone, resizeInPlace];
