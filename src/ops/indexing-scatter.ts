import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { numel, type RefTensor } from '../tensor/tensor.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { advancedIndices, advancedOffsets } from './indexing-gather.js';
import {
  Accumulator,
  accumulationIn,
  checkedScalar,
  checkIndex,
  copyCast,
  COPY,
  forEachIndex,
  offsetOf,
  SCALAR_TYPE_NAME,
  shapeText,
  sizeAt,
  stridesOf,
  Writes,
} from './indexing-util.js';
import { boolParam, input, intParam, meta, optionalIntParam, scalarParam, strParam, tensorParam, wrapDim } from './params.js';
import type { Accuracy, BoundOp, OpCall, OpDef, RefOutput } from './types.js';
import { sliceBounds } from './views.js';

/*
 * Ops that write into a copy of self: index_put, scatter (src, value), scatter_add, scatter_reduce, select_scatter,
 * slice_scatter, masked_scatter. Where two writes land on one element PyTorch leaves the result undefined (index_put
 * without accumulate, scatter): any of the values written there passes (`Writes`, judged by property), and the suites
 * sweep both duplicate-free (`permutation`) and duplicate indices. Where they accumulate (index_put
 * with accumulate, scatter_add, scatter_reduce) duplicates are the point: the result is judged by an order-free
 * accumulation rule, and PyTorch documents these calls as nondeterministic on CUDA (atomics), so floating calls are
 * not required to repeat bit for bit.
 */

// index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor
export const indexPut: OpDef = {
  name: 'aten.index_put.default',
  family: 'indexing',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const sm = meta(call, self);
    const { list, batch, trailing, result } = advancedIndices(call, sm.shape);
    const vals = tensorParam(call, 2, 'values');
    const vm = meta(call, vals);
    const accumulate = boolParam(call, 3, 'accumulate', false);
    if (vm.dtype !== sm.dtype) {
      throw new Error(`Index put requires the source and destination dtypes match, got ${SCALAR_TYPE_NAME[sm.dtype]} for the destination and ${SCALAR_TYPE_NAME[vm.dtype]} for the source.`);
    }
    const fits = (() => {
      try {
        return shapeText(broadcastShapes(vm.shape, result)) === shapeText(result);
      } catch {
        return false;
      }
    })();
    if (!fits) throw new Error(`shape mismatch: value tensor of shape ${shapeText(vm.shape)} cannot be broadcast to indexing result of shape ${shapeText(result)}`);
    const shape = [...sm.shape];
    const float = isFloating(sm.dtype);
    return {
      outputs: [{ dtype: sm.dtype, shape, accuracy: accumulate ? accumulationIn(sm.dtype) : { ...COPY, anyWrite: true } }],
      ...(accumulate && float ? { nondeterministic: true } : {}),
      reference(inputs) {
        const s = input(inputs, self);
        const v = input(inputs, vals);
        const offsets = advancedOffsets(inputs, list, sm.shape, batch);
        const inner = numel(trailing);
        const map = broadcastIndex(v.shape, result);
        if (!accumulate) {
          const w = new Writes(Float64Array.from(s.values));
          offsets.forEach((o, b) => {
            for (let t = 0; t < inner; t++) w.write(o + t, v.values[map[b * inner + t] as number] as number);
          });
          return [w.output(shape)];
        }
        const acc = new Accumulator(sm.dtype, s.values.length);
        s.values.forEach((x, i) => acc.add(i, x));
        offsets.forEach((o, b) => {
          for (let t = 0; t < inner; t++) acc.add(o + t, v.values[map[b * inner + t] as number] as number);
        });
        return [acc.output(shape)];
      },
    };
  },
};

/** What scatter-like ops share: self, the wrapped dim, an int64 index of self's rank, and the optional src. */
interface ScatterCall {
  self: number;
  dim: number;
  index: number;
  src: number | null;
  dtype: DType;
  shape: number[];
}

/** Parses `(self, dim, index[, src])` and makes PyTorch's dtype and shape checks (scatter_gather_dtype_check, scatter_shape_check). */
function scatterCall(call: OpCall, withSrc: boolean): ScatterCall {
  const self = tensorParam(call, 0, 'self');
  const sm = meta(call, self);
  const dim = wrapDim(intParam(call, 1, 'dim'), sm.shape.length);
  const index = tensorParam(call, 2, 'index');
  const im = meta(call, index);
  const src = withSrc ? tensorParam(call, 3, 'src') : null;
  const srcm = src === null ? null : meta(call, src);
  if (im.dtype !== 'int64') throw new Error('scatter(): Expected dtype int64 for index');
  if (srcm && srcm.dtype !== sm.dtype) throw new Error('scatter(): Expected self.dtype to be equal to src.dtype');
  if (numel(im.shape) > 0) {
    const rank = Math.max(sm.shape.length, 1);
    if (rank !== Math.max(im.shape.length, 1)) throw new Error('Index tensor must have the same number of dimensions as self tensor');
    let wrong = false;
    for (let d = 0; d < rank; d++) if (d !== dim && sizeAt(im.shape, d) > sizeAt(sm.shape, d)) wrong = true;
    if (srcm) {
      if (!wrong) for (let d = 0; d < rank; d++) if (sizeAt(im.shape, d) > sizeAt(srcm.shape, d)) wrong = true;
      if (Math.max(srcm.shape.length, 1) !== rank) throw new Error('Index tensor must have the same number of dimensions as src tensor');
      if (wrong) {
        throw new Error(
          `Expected index ${shapeText(im.shape)} to be smaller than self ${shapeText(sm.shape)} apart from dimension ${dim} and to be smaller size than src ${shapeText(srcm.shape)}`,
        );
      }
    } else if (wrong) {
      throw new Error(`Expected index ${shapeText(im.shape)} to be smaller than self ${shapeText(sm.shape)} apart from dimension ${dim}`);
    }
  }
  return { self, dim, index, src, dtype: sm.dtype, shape: [...sm.shape] };
}

/**
 * Visits every element of the index: `write(target, from)` with the flat offset in self it scatters to and the flat
 * offset of the src element it carries (src may be larger than the index; only its leading block is read).
 */
function forEachScatter(sc: ScatterCall, inputs: readonly RefTensor[], write: (target: number, from: number) => void): void {
  const ix = input(inputs, sc.index);
  const selfStrides = stridesOf(sc.shape);
  const srcStrides = sc.src === null ? null : stridesOf(input(inputs, sc.src).shape);
  const size = sizeAt(sc.shape, sc.dim);
  forEachIndex(ix.shape, (flat, idx) => {
    const from = srcStrides ? offsetOf(idx, srcStrides) : 0;
    const at = idx[sc.dim] as number;
    idx[sc.dim] = checkIndex(ix.values[flat] as number, size, false, (v) => `index ${v} is out of bounds for dimension ${sc.dim} with size ${size}`);
    write(offsetOf(idx, selfStrides), from);
    idx[sc.dim] = at;
  });
}

// scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor
export const scatterSrc: OpDef = {
  name: 'aten.scatter.src',
  family: 'indexing',
  bind(call) {
    const sc = scatterCall(call, true);
    return {
      outputs: [{ dtype: sc.dtype, shape: sc.shape, accuracy: { ...COPY, anyWrite: true } }],
      reference(inputs) {
        const w = new Writes(Float64Array.from(input(inputs, sc.self).values));
        const src = input(inputs, sc.src as number).values;
        forEachScatter(sc, inputs, (target, from) => w.write(target, src[from] as number));
        return [w.output(sc.shape)];
      },
    };
  },
};

// scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor
export const scatterValue: OpDef = {
  name: 'aten.scatter.value',
  family: 'indexing',
  bind(call) {
    const sc = scatterCall(call, false);
    // the scalar becomes a value of self's dtype the way c10 converts it (truncation, overflow errors)
    const value = checkedScalar(scalarParam(call, 3, 'value'), sc.dtype);
    return {
      outputs: [{ dtype: sc.dtype, shape: sc.shape, accuracy: COPY }],
      reference(inputs) {
        const values = Float64Array.from(input(inputs, sc.self).values);
        forEachScatter(sc, inputs, (target) => (values[target] = value));
        return [{ shape: sc.shape, values }];
      },
    };
  },
};

/** The accumulating scatters: self's value and every src element that lands on an element, as one accumulation. */
function scatterAccumulate(sc: ScatterCall, inputs: readonly RefTensor[], kind: 'sum' | 'prod', includeSelf: boolean): { acc: Accumulator; touched: Uint8Array } {
  const s = input(inputs, sc.self).values;
  const src = input(inputs, sc.src as number).values;
  const acc = new Accumulator(sc.dtype, s.length, kind);
  const touched = new Uint8Array(s.length);
  forEachScatter(sc, inputs, (target) => (touched[target] = 1));
  // self takes part where include_self says so, and stays as it is wherever nothing lands
  s.forEach((x, i) => {
    if (includeSelf || touched[i] === 0) acc.add(i, x);
  });
  forEachScatter(sc, inputs, (target, from) => acc.add(target, src[from] as number));
  return { acc, touched };
}

// scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor
export const scatterAdd: OpDef = {
  name: 'aten.scatter_add.default',
  family: 'indexing',
  bind(call) {
    const sc = scatterCall(call, true);
    return {
      outputs: [{ dtype: sc.dtype, shape: sc.shape, accuracy: accumulationIn(sc.dtype) }],
      ...(isFloating(sc.dtype) ? { nondeterministic: true } : {}),
      reference: (inputs) => [scatterAccumulate(sc, inputs, 'sum', true).acc.output(sc.shape)],
    };
  },
};

const REDUCTIONS = ['sum', 'prod', 'mean', 'amax', 'amin'] as const;
type Reduction = (typeof REDUCTIONS)[number];

/** amax/amin of every value landing on an element (self's too, where included); NaN wins, as PyTorch propagates it. */
function scatterExtreme(sc: ScatterCall, inputs: readonly RefTensor[], reduce: 'amax' | 'amin', includeSelf: boolean): RefOutput {
  const s = input(inputs, sc.self).values;
  const src = input(inputs, sc.src as number).values;
  const values = new Float64Array(s.length).fill(reduce === 'amax' ? -Infinity : Infinity);
  const seen = new Uint8Array(s.length);
  const take = (i: number, x: number) => {
    const cur = values[i] as number;
    seen[i] = 1;
    if (Number.isNaN(cur)) return;
    if (Number.isNaN(x) || (reduce === 'amax' ? x > cur : x < cur)) values[i] = x;
  };
  const touched = new Uint8Array(s.length);
  forEachScatter(sc, inputs, (target) => (touched[target] = 1));
  s.forEach((x, i) => {
    if (includeSelf || touched[i] === 0) take(i, x);
  });
  forEachScatter(sc, inputs, (target, from) => take(target, src[from] as number));
  return { shape: sc.shape, values };
}

// scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) -> Tensor
export const scatterReduceTwo: OpDef = {
  name: 'aten.scatter_reduce.two',
  family: 'indexing',
  bind(call) {
    const sc = scatterCall(call, true);
    const reduce = strParam(call, 4, 'reduce', null);
    if (!REDUCTIONS.includes(reduce as Reduction)) throw new Error('reduce argument must be either sum, prod, mean, amax or amin.');
    const r = reduce as Reduction;
    const includeSelf = boolParam(call, -1, 'include_self', true);
    if (r === 'mean' && sc.dtype === 'bool') throw new Error('"scatter_gather_tensor_cpu_reduce_mean" not implemented for \'Bool\'');
    const float = isFloating(sc.dtype);
    // amax/amin pick one of the values (either zero of a ±0 tie); sums, means and products accumulate
    const accuracy: Accuracy = r === 'amax' || r === 'amin' ? { kind: 'exact' } : accumulationIn(sc.dtype);
    const bound: BoundOp = {
      outputs: [{ dtype: sc.dtype, shape: sc.shape, accuracy }],
      reference(inputs) {
        if (r === 'amax' || r === 'amin') return [scatterExtreme(sc, inputs, r, includeSelf)];
        const { acc } = scatterAccumulate(sc, inputs, r === 'prod' ? 'prod' : 'sum', includeSelf);
        // a mean divides the sum by the number of values taken (integers: floor division, as PyTorch does)
        const out = acc.output(sc.shape, r === 'mean' ? (i) => Math.max(acc.counts[i] as number, 1) : undefined);
        // the oracle's own float64 product rounds once per term: allow for it where the output is float64
        if (r === 'prod' && sc.dtype === 'float64' && out.terms !== undefined) out.terms *= 2;
        return [out];
      },
    };
    return float && r !== 'amax' && r !== 'amin' ? { ...bound, nondeterministic: true } : bound;
  },
};

/** Copies src into self's positions `target(idx)` for every element of src, converting as `copy_` does. */
function scatterCopy(selfT: RefTensor, srcT: RefTensor, dtype: DType, target: (idx: number[]) => number): Float64Array {
  const values = Float64Array.from(selfT.values);
  const cast = copyCast(srcT.dtype, dtype);
  forEachIndex(srcT.shape, (flat, idx) => (values[target(idx)] = cast(srcT.values[flat] as number)));
  return values;
}

const sliceMismatch = (src: readonly number[], slice: readonly number[]) =>
  `expected src to have a size equal to the slice of self. src size = ${shapeText(src)}, slice size = ${shapeText(slice)}`;

// select_scatter(Tensor self, Tensor src, int dim, SymInt index) -> Tensor
export const selectScatter: OpDef = {
  name: 'aten.select_scatter.default',
  family: 'indexing',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const sm = meta(call, self);
    const src = tensorParam(call, 1, 'src');
    const srcm = meta(call, src);
    if (sm.shape.length === 0) throw new Error('select() cannot be applied to a 0-dim tensor.');
    const dim = wrapDim(intParam(call, 2, 'dim'), sm.shape.length);
    const raw = intParam(call, 3, 'index');
    const size = sm.shape[dim] as number;
    const index = checkIndex(raw, size, true, () => `select(): index ${raw} out of range for tensor of size ${shapeText(sm.shape)} at dimension ${dim}`);
    const slice = sm.shape.filter((_, d) => d !== dim);
    if (shapeText(srcm.shape) !== shapeText(slice)) throw new Error(sliceMismatch(srcm.shape, slice));
    const shape = [...sm.shape];
    const strides = stridesOf(shape);
    return {
      outputs: [{ dtype: sm.dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const values = scatterCopy(input(inputs, self), input(inputs, src), sm.dtype, (idx) => {
          let o = index * (strides[dim] as number);
          for (let d = 0, k = 0; d < shape.length; d++) if (d !== dim) o += (idx[k++] ?? 0) * (strides[d] as number);
          return o;
        });
        return [{ shape, values }];
      },
    };
  },
};

// slice_scatter(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor
export const sliceScatter: OpDef = {
  name: 'aten.slice_scatter.default',
  family: 'indexing',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const sm = meta(call, self);
    const src = tensorParam(call, 1, 'src');
    const srcm = meta(call, src);
    if (sm.shape.length === 0) throw new Error('slice() cannot be applied to a 0-dim tensor.');
    const dim = wrapDim(intParam(call, 2, 'dim', 0), sm.shape.length);
    const step = intParam(call, 5, 'step', 1);
    if (step <= 0) throw new Error('slice step must be positive');
    const size = sm.shape[dim] as number;
    // Python slice bounds, as ATen's slice clamps them
    const [start, end] = sliceBounds(size, optionalIntParam(call, 3, 'start'), optionalIntParam(call, 4, 'end'));
    const slice = sm.shape.map((n, d) => (d === dim ? Math.ceil((end - start) / step) : n));
    if (shapeText(srcm.shape) !== shapeText(slice)) throw new Error(sliceMismatch(srcm.shape, slice));
    const shape = [...sm.shape];
    const strides = stridesOf(shape);
    return {
      outputs: [{ dtype: sm.dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const values = scatterCopy(input(inputs, self), input(inputs, src), sm.dtype, (idx) => {
          let o = 0;
          for (let d = 0; d < shape.length; d++) o += (d === dim ? start + (idx[d] as number) * step : (idx[d] as number)) * (strides[d] as number);
          return o;
        });
        return [{ shape, values }];
      },
    };
  },
};

// masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor
export const maskedScatter: OpDef = {
  name: 'aten.masked_scatter.default',
  family: 'indexing',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const sm = meta(call, self);
    const mask = tensorParam(call, 1, 'mask');
    const mm = meta(call, mask);
    const source = tensorParam(call, 2, 'source');
    const srcm = meta(call, source);
    // uint8 masks: PyTorch 1.13 (deprecated); 2.x takes bool only
    if (mm.dtype !== 'bool' && mm.dtype !== 'uint8') throw new Error(`masked_scatter_ only supports boolean masks, but got mask with dtype ${mm.dtype}`);
    if (srcm.dtype !== sm.dtype) throw new Error(`masked_scatter: expected self and source to have same dtypes but got${SCALAR_TYPE_NAME[sm.dtype]} and ${SCALAR_TYPE_NAME[srcm.dtype]}`);
    let shape: number[];
    try {
      shape = broadcastShapes(sm.shape, mm.shape);
    } catch {
      throw new Error(`masked_scatter: self ${shapeText(sm.shape)} and mask ${shapeText(mm.shape)} are not broadcastable`);
    }
    return {
      outputs: [{ dtype: sm.dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const s = input(inputs, self);
        const m = input(inputs, mask);
        const src = input(inputs, source).values;
        const sMap = broadcastIndex(s.shape, shape);
        const mMap = broadcastIndex(m.shape, shape);
        const values = new Float64Array(numel(shape));
        // the true positions, in row-major order, take the source's elements in its row-major order
        let k = 0;
        for (let i = 0; i < values.length; i++) {
          if ((m.values[mMap[i] as number] as number) !== 0) {
            if (k >= src.length) throw new Error('Number of elements of source < number of ones in mask');
            values[i] = src[k++] as number;
          } else {
            values[i] = s.values[sMap[i] as number] as number;
          }
        }
        return [{ shape, values }];
      },
    };
  },
};
