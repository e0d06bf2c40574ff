import type { RefTensor } from '../tensor/tensor.js';
import { numel } from '../tensor/tensor.js';
import type { Arg } from './args.js';
import { boolParam, input, intParam, meta, param, tensorParam, wrapDim } from './params.js';
import { reductionGroups } from './reduce.js';
import { SORT_NAN, SORT_SIGNED_ZEROS } from './reduction-regimes.js';
import { cumsum } from './scan.js';
import type { Accuracy, OpCall, OpDef, OutputSpec, RefOutput } from './types.js';

/*
 * sort and topk return (values, indices). The values are determined: sorted ascending (or descending), NaN as the
 * largest value, −0 and +0 equal (so the sign of a zero at a position is free). Which of several equal elements an
 * index names is not (an unstable sort, topk's ties: CPU and CUDA differ, pytorch #127196, #103909), so the indices are
 * judged by property (index-of-values, judge/order.ts): in range, naming an element equal to the value returned beside
 * it, each element once per slice; for a stable sort also in input order among equal elements. topk with sorted=False
 * leaves the order of its values open too: they are judged as a multiset (`unordered`).
 */

/** Ascending order as PyTorch sorts: NaN after everything, −0 equal to +0. */
function ascending(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The slices along `dim` (flat indices of each, in order); a rank-0 tensor is one slice of one element. */
function slicesOf(shape: readonly number[], dim: number): number[][] {
  return shape.length === 0 ? [[0]] : reductionGroups(shape, [dim]);
}

/**
 * Positions of one slice in sorted order, stably (equal elements keep their input order, in either direction): the
 * oracle's own permutation; the judge accepts any other that names equal values.
 */
function sortedOrder(x: Float64Array, g: readonly number[], descending: boolean): number[] {
  const order = g.map((_, j) => j);
  order.sort((i, j) => {
    const c = ascending(x[g[i] ?? 0] ?? NaN, x[g[j] ?? 0] ?? NaN);
    return (descending ? -c : c) || i - j;
  });
  return order;
}

/** The two outputs of a sort-like op over slices along `dim`, keeping the first `k` of each sorted slice. */
function sortLike(self: number, inShape: readonly number[], dim: number, k: number, descending: boolean) {
  const outShape = inShape.length === 0 ? [] : inShape.map((s, d) => (d === dim ? k : s));
  const reference = (inputs: readonly RefTensor[]): RefOutput[] => {
    const t = input(inputs, self);
    const values = new Float64Array(numel(outShape));
    const indices = new Float64Array(numel(outShape));
    const inner = inShape.slice(dim + 1).reduce((a, b) => a * b, 1);
    slicesOf(t.shape, dim).forEach((g, s) => {
      const order = sortedOrder(t.values, g, descending);
      // slice s is (outer a, column b); element j of it sits at (a·k + j)·inner + b in the output
      const a = Math.floor(s / inner);
      const b = s % inner;
      for (let j = 0; j < Math.min(k, order.length); j++) {
        const o = inShape.length === 0 ? 0 : (a * k + j) * inner + b;
        const pick = order[j] ?? 0;
        values[o] = t.values[g[pick] ?? 0] ?? NaN;
        indices[o] = pick;
      }
    });
    return [
      { shape: outShape, values },
      { shape: outShape, values: indices },
    ];
  };
  return { outShape, reference };
}

function sortOutputs(self: number, m: OpCall['inputs'][number], shape: number[], dim: number, stable: boolean, valuesAccuracy: Accuracy): OutputSpec[] {
  return [
    { dtype: m.dtype, shape, accuracy: valuesAccuracy },
    { dtype: 'int64', shape, accuracy: { kind: 'index-of-values', input: self, dim, values: 0, stable } },
  ];
}

function bindSort(call: OpCall, self: number, dimArg: number, descending: boolean, stable: boolean) {
  const m = meta(call, self);
  const dim = wrapDim(dimArg, m.shape.length);
  const n = m.shape.length === 0 ? 1 : (m.shape[dim] ?? 1);
  const { outShape, reference } = sortLike(self, m.shape, dim, n, descending);
  // ±0 tie, so the sign of a zero at a position is free, stable or not
  return { outputs: sortOutputs(self, m, outShape, dim, stable, { kind: 'exact', signedZero: false }), reference };
}

// sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)
export const sortDefault: OpDef = {
  name: 'aten.sort.default',
  family: 'reduction',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    return bindSort(call, self, intParam(call, 1, 'dim', -1), boolParam(call, 2, 'descending', false), false);
  },
  regimes: [SORT_SIGNED_ZEROS, SORT_NAN],
};

/** `bool? stable`: None leaves the sort unstable (PyTorch 2.x reads it as False; 1.13 asserts that it is given). */
function stableOf(a: Arg | undefined): boolean {
  if (a === undefined || a.kind === 'none') return false;
  if (a.kind !== 'bool') throw new Error(`argument 'stable' must be a bool or None, got ${a.kind}`);
  return a.value;
}

// sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)
export const sortStable: OpDef = {
  name: 'aten.sort.stable',
  family: 'reduction',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    return bindSort(call, self, intParam(call, -1, 'dim', -1), boolParam(call, -1, 'descending', false), stableOf(param(call, -1, 'stable')));
  },
  regimes: [SORT_SIGNED_ZEROS, SORT_NAN],
};

// topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor values, Tensor indices)
export const topk: OpDef = {
  name: 'aten.topk.default',
  family: 'reduction',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const k = intParam(call, 1, 'k');
    const dim = wrapDim(intParam(call, 2, 'dim', -1), m.shape.length);
    const largest = boolParam(call, 3, 'largest', true);
    const sorted = boolParam(call, 4, 'sorted', true);
    const n = m.shape.length === 0 ? 1 : (m.shape[dim] ?? 1);
    if (k < 0 || k > n) throw new Error('selected index k out of range');
    // a rank-0 input gives a rank-0 output for k = 0 as for k = 1 (PyTorch 1.13 returns the element itself)
    const { outShape, reference } = sortLike(self, m.shape, dim, m.shape.length === 0 ? 1 : k, largest);
    // sorted=False: the k values in any order (CUDA returns them unordered, so may any backend)
    const values: Accuracy = sorted ? { kind: 'exact', signedZero: false } : { kind: 'unordered', dim };
    return { outputs: sortOutputs(self, m, outShape, dim, false, values), reference };
  },
  regimes: [SORT_SIGNED_ZEROS, SORT_NAN],
};

/** The op catalogue's sort, topk and cumulative ops. */
export const SORT_OPS: readonly OpDef[] = [sortDefault, sortStable, topk, cumsum];
