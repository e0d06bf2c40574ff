import type { DType } from '../tensor/dtype.js';
import { castTo, isFloating } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { Accumulator, accumulationIn, checkIndex, COPY, legacyTypeName } from './indexing-util.js';
import { boolParam, input, intParam, meta, optionalTensorParam, tensorParam } from './params.js';
import type { Accuracy, OpCall, OpDef } from './types.js';

/*
 * Embedding lookups and their accumulating relatives: embedding (a row gather), embedding_dense_backward (rows of
 * the gradient added into the rows their indices name: an accumulation over duplicate indices) and _embedding_bag
 * (per bag a sum, mean or max of rows). Indices are int64 or int32 in every one of them.
 */

function checkIndexDtype(call: OpCall, at: number, argNo: number, op: string): void {
  const d = meta(call, at).dtype;
  if (d !== 'int64' && d !== 'int32') {
    throw new Error(`Expected tensor for argument #${argNo} 'indices' to have one of the following scalar types: Long, Int; but got ${legacyTypeName(d)} instead (while checking arguments for ${op})`);
  }
}

// embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor
export const embedding: OpDef = {
  name: 'aten.embedding.default',
  family: 'indexing',
  bind(call) {
    const weight = tensorParam(call, 0, 'weight');
    const wm = meta(call, weight);
    const indices = tensorParam(call, 1, 'indices');
    checkIndexDtype(call, indices, 1, 'embedding');
    if (wm.shape.length !== 2) throw new Error("'weight' must be 2-D");
    const [rows, width] = wm.shape as [number, number];
    const shape = [...meta(call, indices).shape, width];
    return {
      // padding_idx only zeroes the gradient: the forward is a plain gather of rows
      outputs: [{ dtype: wm.dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const w = input(inputs, weight).values;
        const ix = input(inputs, indices).values;
        const values = new Float64Array(numel(shape));
        ix.forEach((v, i) => {
          const r = checkIndex(v, rows, false, () => 'index out of range in self');
          for (let c = 0; c < width; c++) values[i * width + c] = w[r * width + c] as number;
        });
        return [{ shape, values }];
      },
    };
  },
};

// embedding_dense_backward(Tensor grad_output, Tensor indices, SymInt num_weights, SymInt padding_idx, bool scale_grad_by_freq) -> Tensor
export const embeddingDenseBackward: OpDef = {
  name: 'aten.embedding_dense_backward.default',
  family: 'indexing',
  bind(call) {
    const grad = tensorParam(call, 0, 'grad_output');
    const gm = meta(call, grad);
    const indices = tensorParam(call, 1, 'indices');
    checkIndexDtype(call, indices, 2, 'embedding_backward');
    const numWeights = intParam(call, 2, 'num_weights');
    const paddingIdx = intParam(call, 3, 'padding_idx');
    const scale = boolParam(call, 4, 'scale_grad_by_freq', false);
    if (gm.shape.length === 0) throw new Error('dimension specified as -1 but tensor has no dimensions');
    const width = gm.shape[gm.shape.length - 1] as number;
    const n = numel(meta(call, indices).shape);
    // ATen views the gradient as [numel(indices), width]
    if (numel(gm.shape) !== n * width) throw new Error(`shape '[${n}, ${width}]' is invalid for input of size ${numel(gm.shape)}`);
    if (numWeights < 0) throw new Error(`Trying to create tensor with negative dimension ${numWeights}: [${numWeights}, ${width}]`);
    const shape = [numWeights, width];
    const dtype = gm.dtype;
    const float = isFloating(dtype);
    return {
      outputs: [{ dtype, shape, accuracy: accumulationIn(dtype) }],
      reference(inputs) {
        const g = input(inputs, grad).values;
        const ix = input(inputs, indices).values;
        const rowOf = (v: number) => checkIndex(v, numWeights, false, () => `index ${v} is out of range for ${numWeights} embeddings`);
        const counts = new Int32Array(numWeights);
        if (scale) {
          for (const v of ix) {
            if (v === paddingIdx) continue;
            const r = rowOf(v);
            counts[r] = (counts[r] as number) + 1;
          }
        }
        const acc = new Accumulator(dtype, numWeights * width);
        ix.forEach((v, i) => {
          // the padding row receives nothing
          if (v === paddingIdx) return;
          const r = rowOf(v);
          // scale_grad_by_freq divides by the index's frequency: exactly for floats (the bound allows the rounded
          // 1/count); for integers PyTorch converts the factor 1/count to the dtype, which truncates it to 0 or 1
          const c = counts[r] as number;
          const f = !scale ? 1 : float ? 1 / c : castTo(dtype, 1 / c);
          for (let k = 0; k < width; k++) acc.add(r * width + k, (g[i * width + k] as number) * f);
        });
        const out = acc.output(shape);
        // the factor 1/count is rounded, and so is each product: two more roundings per term
        if (scale && out.terms !== undefined) out.terms += 2;
        return [out];
      },
    };
  },
};

const EMBEDDING_BAG_DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];

/**
 * _embedding_bag(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq=False, int mode=0,
 * bool sparse=False, Tensor? per_sample_weights=None, bool include_last_offset=False, int padding_idx=-1)
 * -> (Tensor, Tensor, Tensor, Tensor)
 *
 * Output 0 is the documented result: per bag the sum (mode 0, each row times its per-sample weight), mean (1) or
 * elementwise max (2) of the rows its indices name, rows equal to padding_idx left out, 0 for an empty bag. Outputs
 * 1–3 (offset2bag, bag_size, max_indices) are what the backward pass needs, and their contents are implementation
 * details (PyTorch's CPU kernel leaves offset2bag empty on its fast sum path and fills bag_size only where it needs
 * it): their values are unspecified. Their shapes are those of PyTorch's CPU kernel (1.13 and the 2.x meta function),
 * offset2bag [0] on the fast path (mode sum, float32/float16/bfloat16, no padding_idx) else [numel(indices)]; the
 * CUDA kernel shapes them differently (see docs/numerics.md).
 */
export const embeddingBag: OpDef = {
  name: 'aten._embedding_bag.default',
  family: 'indexing',
  bind(call) {
    const weight = tensorParam(call, 0, 'weight');
    const wm = meta(call, weight);
    const indices = tensorParam(call, 1, 'indices');
    const offsets = tensorParam(call, 2, 'offsets');
    const mode = intParam(call, 4, 'mode', 0);
    const psw = optionalTensorParam(call, 6, 'per_sample_weights');
    const includeLast = boolParam(call, 7, 'include_last_offset', false);
    const paddingIdx = intParam(call, 8, 'padding_idx', -1);
    checkIndexDtype(call, indices, 2, 'embedding_bag');
    checkIndexDtype(call, offsets, 3, 'embedding_bag');
    // bfloat16: PyTorch 2.x (1.13's CPU kernel takes Half, Float and Double only)
    if (!EMBEDDING_BAG_DTYPES.includes(wm.dtype)) {
      throw new Error(`Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, Float, Double; but got ${legacyTypeName(wm.dtype)} instead (while checking arguments for embedding_bag)`);
    }
    if (wm.shape.length !== 2) throw new Error('embedding_bag: weight has to be a 2-D tensor');
    const im = meta(call, indices);
    const om = meta(call, offsets);
    // the 2-D form of indices (fixed-size bags) is the Python wrapper's; the ATen op takes 1-D indices and offsets
    if (im.shape.length !== 1 || om.shape.length !== 1) throw new Error('embedding_bag: indices and offsets must be 1-D tensors');
    if (mode !== 0 && mode !== 1 && mode !== 2) throw new Error('embedding_bag: mode has to be 0 (sum), 1 (mean) or 2 (max)');
    if (psw !== undefined) {
      if (mode !== 0) throw new Error("embedding_bag: per_sample_weights only supported with mode='sum'");
      const pm = meta(call, psw);
      if (pm.dtype !== wm.dtype) {
        throw new Error(`Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 'per_sample_weights'; but type ${legacyTypeName(wm.dtype)} does not equal ${legacyTypeName(pm.dtype)} (while checking arguments for embedding_bag)`);
      }
      if (pm.shape.length !== 1 || numel(pm.shape) !== numel(im.shape)) throw new Error('embedding_bag: per_sample_weights must be 1-D with one weight per index');
    }
    const nOffsets = om.shape[0] as number;
    if (includeLast && nOffsets < 1) throw new Error('include_last_offset: number of offset should be at least 1');
    const bags = nOffsets - (includeLast ? 1 : 0);
    const [rows, width] = wm.shape as [number, number];
    const n = im.shape[0] as number;
    const indexDtype: DType = im.dtype === om.dtype ? im.dtype : 'int64';
    const fastPath = mode === 0 && paddingIdx < 0 && wm.dtype !== 'float64';
    const unspecified: Accuracy = { kind: 'unspecified' };
    const shapes = [[bags, width], [fastPath ? 0 : n], [bags], mode === 2 ? [bags, width] : [bags]];
    return {
      outputs: [
        // a max picks one of the values (either zero of a ±0 tie); sums and means accumulate
        { dtype: wm.dtype, shape: shapes[0] as number[], accuracy: mode === 2 ? { kind: 'exact' } : accumulationIn(wm.dtype) },
        ...shapes.slice(1).map((shape) => ({ dtype: indexDtype, shape, accuracy: unspecified })),
      ],
      reference(inputs) {
        const w = input(inputs, weight).values;
        const ix = input(inputs, indices).values;
        const off = input(inputs, offsets).values;
        const weights = psw === undefined ? null : input(inputs, psw).values;
        if (nOffsets > 0 && off[0] !== 0) {
          throw new Error(`offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${off[0]}`);
        }
        const acc = new Accumulator(wm.dtype, bags * width);
        const max = new Float64Array(bags * width);
        const taken = new Int32Array(bags);
        for (let b = 0; b < bags; b++) {
          const from = off[b] as number;
          const to = b + 1 < nOffsets ? (off[b + 1] as number) : n;
          if (!(from <= to && to <= n)) throw new Error(`embedding_bag: offsets must be non-decreasing and at most ${n}, got ${from} then ${to}`);
          for (let j = from; j < to; j++) {
            const v = ix[j] as number;
            if (v === paddingIdx) continue;
            const r = checkIndex(v, rows, false, () => `embedding_bag: index ${v} is out of range for ${rows} embeddings`);
            const first = taken[b] === 0;
            taken[b] = (taken[b] as number) + 1;
            for (let k = 0; k < width; k++) {
              const x = w[r * width + k] as number;
              const o = b * width + k;
              if (mode === 2) {
                // the elementwise max over the bag's rows; cases keep NaN out (see docs/numerics.md)
                if (first || x > (max[o] as number)) max[o] = x;
              } else {
                acc.add(o, weights ? x * (weights[j] as number) : x);
              }
            }
          }
        }
        const zeros = (shape: number[]) => ({ shape, values: new Float64Array(numel(shape)) });
        const aux = shapes.slice(1).map(zeros);
        if (mode === 2) return [{ shape: shapes[0] as number[], values: max }, ...aux];
        const out = acc.output(shapes[0] as number[], mode === 1 ? (o) => Math.max(taken[Math.floor(o / width)] as number, 1) : undefined);
        // per-sample weights: each product is rounded once more
        if (weights && out.terms !== undefined) out.terms += 1;
        return [out, ...aux];
      },
    };
  },
};
