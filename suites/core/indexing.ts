import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup, type LayoutName, type RecipeName } from '../../src/suite/builder.js';
import { dtypeInfo, floatFormat, type DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import { ALL, ALL_LAYOUTS, F, I } from './common.js';

/*
 * The core suite's indexing, gather and scatter cases. Index tensors are int64 (int32 where PyTorch 1.13 and 2.x both
 * take it: index_select and the embedding ops) and always in range: an out-of-range index is an error in PyTorch, and
 * a device that clamps or wraps them silently is caught through the negative indices PyTorch wraps (advanced
 * indexing, select_scatter) instead. Where two writes could land on one element and PyTorch leaves the winner open
 * (index_put without accumulate, scatter), indices are drawn without duplicates (the `permutation` recipe); where they
 * accumulate (index_put with accumulate, scatter_add, scatter_reduce, embedding_dense_backward), duplicates are drawn
 * on purpose. Layouts apply to a case's first input, so each op also has groups whose first input is its index (or
 * src, mask, source) tensor: a kernel that reads a non-contiguous index as contiguous is caught there.
 */

/** One tensor input of a call, in the op's argument order. */
interface Input {
  shape: number[];
  /** its dtype, from the case dtype (default: the case dtype) */
  dtype?: (d: DType) => DType;
  /** its recipe, from the case dtype and the values axis (default: the named recipe) */
  recipe?: (d: DType, r: RecipeName) => RecipeName | Recipe;
}

interface Variant {
  /** the shape part of the case id */
  name: string;
  inputs: Input[];
  /** the call, given the tensor refs in the op's argument order */
  call: (t: Arg[], d: DType) => { args: Arg[]; kwargs?: Record<string, Arg> };
  dtypes: DType[];
  tag?: string;
  layouts?: LayoutName[];
  values?: RecipeName[];
  /** which input is the case's first (the one the layouts apply to); 0 when absent */
  first?: number;
}

function group(op: string, v: Variant): CaseGroup {
  const first = v.first ?? 0;
  const order = [first, ...v.inputs.map((_, i) => i).filter((i) => i !== first)];
  const at = (k: number) => v.inputs[order[k] as number] as Input;
  let g = CaseGroup.of(op)
    .dtypes(v.dtypes)
    .shapes({ [v.name]: order.map((i) => (v.inputs[i] as Input).shape) })
    .layouts(...(v.layouts ?? ['contiguous']))
    .values(...(v.values ?? ['uniform']))
    .inputDtype((d, k) => at(k).dtype?.(d) ?? d)
    .inputRecipe((d, k, r) => at(k).recipe?.(d, r) ?? r)
    .call((t, d) => v.call(v.inputs.map((_, i) => t[order.indexOf(i)] as Arg), d));
  if (v.tag) g = g.tag(v.tag);
  return g;
}

/** The main variant swept over every layout and the given values, light variants over the contiguous layout. */
const MAIN = { layouts: [...ALL_LAYOUTS], values: ['uniform', 'special'] as RecipeName[] };
/** Groups whose first input is an index (or src, mask) tensor: non-contiguous layouts only, uniform values. */
const NONCONTIG = (first: number, tag: string, layouts: LayoutName[] = ['transposed', 'strided']) => ({ first, tag, layouts, values: [] as RecipeName[] });

const { int, bool, str, none, tensors } = arg;
const refs = (t: Arg[]): number[] => t.map((x) => (x.kind === 'tensor' ? x.index : -1));

// index recipes
const int64 = (): DType => 'int64';
const int32 = (): DType => 'int32';
const between = (low: number, high: number) => (): Recipe => ({ kind: 'int', low, high });
const perm = (n: number, length: number, stride = 1, wrap = 0) => (): Recipe => ({ kind: 'permutation', n, length, stride, ...(wrap > 0 ? { wrap } : {}) });
const index = (recipe: () => Recipe, shape: number[], dtype: (d: DType) => DType = int64): Input => ({ shape, dtype, recipe });
const values = (shape: number[], recipe?: Input['recipe']): Input => (recipe ? { shape, recipe } : { shape });

const isFloat = (d: DType) => dtypeInfo(d).kind === 'float';

/** NaN and ±inf sprinkled into the values of an accumulation: they must reach exactly the elements they land on. */
const nanInf = (d: DType, r: RecipeName): RecipeName | Recipe =>
  isFloat(d) ? { kind: 'sprinkle', mean: 0, std: 1, values: ['nan', 'inf', '-inf'], fraction: 1 / 16 } : r;

/**
 * Values of products of up to ~8 terms that neither overflow nor underflow in any dtype: [0.5, 2) (the `special` axis:
 * zeros, ±inf and NaN among ±1, ±0.5 and 2, so inf·0 makes NaN in every order); small integers, whose products wrap
 * int8 and uint8 as C++ does.
 */
const prodValues = (d: DType, r: RecipeName): Recipe => {
  const k = dtypeInfo(d).kind;
  if (k === 'bool') return { kind: 'bool', p: 0.7 };
  if (k === 'float') return r === 'special' ? { kind: 'choice', values: ['nan', 'inf', '-inf', 0, -0, 1, -1, 0.5, 2] } : { kind: 'uniform', low: 0.5, high: 2 };
  return { kind: 'int', low: k === 'uint' ? 0 : -3, high: 3 };
};

/** The special values without NaN: _embedding_bag's max keeps a NaN only when it comes first in its bag (docs/numerics.md). */
const specialNoNan = (d: DType): Recipe => {
  const f = floatFormat(d);
  return { kind: 'choice', values: ['inf', '-inf', 0, -0, f.maxFinite, -f.maxFinite, 2 ** f.minExponent, -(2 ** f.minExponent), 1.5, -2.5] };
};

// ── gather, index.Tensor, index_select ─────────────────────────────────────────────────────────────────────

const gatherCall = (dim: number) => (t: Arg[]) => ({ args: [t[0] as Arg, int(dim), t[1] as Arg] });
const GATHER: Variant[] = [
  { name: '4x5-dim1', inputs: [values([4, 5]), index(between(0, 4), [4, 3])], call: gatherCall(1), dtypes: ALL, ...MAIN },
  { name: '4x5-dim0', inputs: [values([4, 5]), index(between(0, 3), [6, 5])], call: gatherCall(0), dtypes: ALL },
  { name: '2x3x4-dim-1', inputs: [values([2, 3, 4]), index(between(0, 3), [2, 2, 7])], call: gatherCall(-1), dtypes: ALL, layouts: ['contiguous', 'transposed'] },
  { name: 'scalar', inputs: [values([]), index(between(0, 0), [])], call: gatherCall(0), dtypes: ALL, values: ['uniform', 'special'] },
  { name: 'empty-index', inputs: [values([4, 5]), index(between(0, 4), [4, 0])], call: gatherCall(1), dtypes: ALL },
  { name: '4x5-dim1', inputs: [values([4, 5]), index(between(0, 4), [4, 3])], call: gatherCall(1), dtypes: ALL, ...NONCONTIG(1, 'index', ['transposed', 'strided', 'offset', 'expanded']) },
];

const indexCall = (k: number) => (t: Arg[]) => ({ args: [t[0] as Arg, tensors(refs(t.slice(1, 1 + k)))] });
const INDEX: Variant[] = [
  // negative indices wrap in advanced indexing: x[-1] is the last row
  { name: '5x6-rows', inputs: [values([5, 6]), index(between(-5, 4), [4])], call: indexCall(1), dtypes: ALL, ...MAIN },
  { name: '5x6-points', inputs: [values([5, 6]), index(between(-5, 4), [3, 1]), index(between(-6, 5), [4])], call: indexCall(2), dtypes: ALL },
  { name: '4x5x6-2d-index', inputs: [values([4, 5, 6]), index(between(-4, 3), [2, 3])], call: indexCall(1), dtypes: ALL, layouts: ['contiguous', 'transposed'] },
  { name: '5x6-scalar-index', inputs: [values([5, 6]), index(between(-5, 4), [])], call: indexCall(1), dtypes: ALL },
  { name: '5x6-empty-index', inputs: [values([5, 6]), index(between(0, 4), [0])], call: indexCall(1), dtypes: ALL },
  { name: '5x6-3x4-index', inputs: [values([5, 6]), index(between(-5, 4), [3, 4])], call: indexCall(1), dtypes: ALL, ...NONCONTIG(1, 'index', ['transposed', 'strided', 'expanded']) },
];

const selectCall = (dim: number) => (t: Arg[]) => ({ args: [t[0] as Arg, int(dim), t[1] as Arg] });
const INDEX_SELECT: Variant[] = [
  // index_select does not wrap negative indices (an error in PyTorch); duplicates are fine
  { name: '5x6-dim0', inputs: [values([5, 6]), index(between(0, 4), [7])], call: selectCall(0), dtypes: ALL, ...MAIN },
  { name: '5x6-dim1', inputs: [values([5, 6]), index(between(0, 5), [4])], call: selectCall(1), dtypes: ALL },
  { name: '5x6-scalar-index', inputs: [values([5, 6]), index(between(0, 5), [])], call: selectCall(1), dtypes: ALL },
  { name: 'scalar', inputs: [values([]), index(between(0, 0), [1])], call: selectCall(0), dtypes: ALL, values: ['uniform', 'special'] },
  { name: '5x6-empty-index', inputs: [values([5, 6]), index(between(0, 4), [0])], call: selectCall(0), dtypes: ALL },
  { name: '5x6-dim0', inputs: [values([5, 6]), index(between(0, 4), [7])], call: selectCall(0), dtypes: ALL, ...NONCONTIG(1, 'index', ['strided', 'offset', 'expanded']) },
  { name: '5x6-dim1', tag: 'int32', inputs: [values([5, 6]), index(between(0, 5), [4], int32)], call: selectCall(1), dtypes: ALL, values: ['uniform', 'special'] },
  { name: '5x6-dim1', inputs: [values([5, 6]), index(between(0, 5), [4], int32)], call: selectCall(1), dtypes: ALL, ...NONCONTIG(1, 'int32-index', ['strided']) },
];

// ── index_put ───────────────────────────────────────────────────────────────────────────────────────────────

const putCall = (k: number, accumulate: boolean) => (t: Arg[]) => ({ args: [t[0] as Arg, tensors(refs(t.slice(1, 1 + k))), t[1 + k] as Arg, bool(accumulate)] });
const INDEX_PUT: Variant[] = [
  // without accumulate: no index repeats (a permutation prefix per call; some written as the negative index that wraps there)
  { name: '6x5-rows', inputs: [values([6, 5]), index(perm(6, 4, 1, 0.3), [4]), values([4, 5])], call: putCall(1, false), dtypes: ALL, ...MAIN },
  { name: '6x5-points', inputs: [values([6, 5]), index(perm(6, 4, 1, 0.3), [4]), index(between(-5, 4), [4]), values([4])], call: putCall(2, false), dtypes: ALL },
  { name: '6x5-broadcast-values', inputs: [values([6, 5]), index(perm(6, 3), [3]), values([5])], call: putCall(1, false), dtypes: ALL },
  { name: '6x2x3-2d-index', inputs: [values([6, 2, 3]), index(perm(6, 4), [2, 2]), values([2, 2, 2, 3])], call: putCall(1, false), dtypes: ALL },
  { name: '6x5-empty-index', inputs: [values([6, 5]), index(perm(6, 1), [0]), values([0, 5])], call: putCall(1, false), dtypes: ALL },
  { name: '6x5-2x3-index', inputs: [values([6, 5]), index(perm(6, 6, 1, 0.3), [2, 3]), values([2, 3, 5])], call: putCall(1, false), dtypes: ALL, ...NONCONTIG(1, 'index') },
  { name: '6x5-rows', inputs: [values([6, 5]), index(perm(6, 4), [4]), values([4, 5])], call: putCall(1, false), dtypes: ALL, ...NONCONTIG(2, 'values') },
  // duplicate indices without accumulate: which write stays is PyTorch's to leave open, any of them passes
  { name: '6x5-rows-duplicates', inputs: [values([6, 5]), index(between(-6, 5), [10]), values([10, 5])], call: putCall(1, false), dtypes: ALL },
  { name: '6x5-points-duplicates', inputs: [values([6, 5]), index(between(0, 2), [12]), index(between(0, 1), [12]), values([12])], call: putCall(2, false), dtypes: ALL },
  // with accumulate: 12 or 16 indices into 4 rows, so most rows receive several contributions
  { name: '4x5-rows', tag: 'accumulate', inputs: [values([4, 5]), index(between(-4, 3), [12]), values([12, 5])], call: putCall(1, true), dtypes: ALL, layouts: ['contiguous', 'transposed'], values: ['uniform', 'ties'] },
  { name: '4x5-points', tag: 'accumulate', inputs: [values([4, 5]), index(between(-4, 3), [16]), index(between(0, 4), [16]), values([16])], call: putCall(2, true), dtypes: ALL, values: ['uniform', 'ties'] },
  { name: '4x5-rows-nan-inf', tag: 'accumulate', inputs: [values([4, 5], nanInf), index(between(-4, 3), [12]), values([12, 5], nanInf)], call: putCall(1, true), dtypes: F },
  { name: '4x5-empty-index', tag: 'accumulate', inputs: [values([4, 5]), index(between(0, 3), [0]), values([0, 5])], call: putCall(1, true), dtypes: ALL },
  { name: '4x5-rows', inputs: [values([4, 5]), index(between(-4, 3), [12]), values([12, 5])], call: putCall(1, true), dtypes: ALL, ...NONCONTIG(2, 'accumulate-values') },
];

// ── scatter, scatter_add, scatter_reduce ────────────────────────────────────────────────────────────────────

const scatterCall = (dim: number, tail: Arg[] = [], kwargs: Record<string, Arg> = {}) => (t: Arg[]) => ({ args: [t[0] as Arg, int(dim), ...t.slice(1), ...tail], kwargs });
/** scatter.src: rows of the index distinct along the dim (no element written twice), and one case with duplicates. */
const SCATTER_SRC: Variant[] = [
  { name: '4x6-dim1', inputs: [values([4, 6]), index(perm(6, 3), [4, 3]), values([4, 5])], call: scatterCall(1), dtypes: ALL, ...MAIN },
  { name: '5x3-dim0', inputs: [values([5, 3]), index(perm(5, 4, 3), [4, 3]), values([4, 3])], call: scatterCall(0), dtypes: ALL },
  { name: 'scalar', inputs: [values([]), index(between(0, 0), []), values([])], call: scatterCall(0), dtypes: ALL },
  { name: '4x6-empty-index', inputs: [values([4, 6]), index(between(0, 5), [4, 0]), values([4, 6])], call: scatterCall(1), dtypes: ALL },
  { name: '4x6-dim1', inputs: [values([4, 6]), index(perm(6, 3), [4, 3]), values([4, 5])], call: scatterCall(1), dtypes: ALL, ...NONCONTIG(1, 'index', ['transposed', 'strided', 'offset']) },
  { name: '4x6-dim1', inputs: [values([4, 6]), index(perm(6, 3), [4, 3]), values([4, 5])], call: scatterCall(1), dtypes: ALL, ...NONCONTIG(2, 'src') },
  // duplicate indices along the dim: any of the writes may stay
  { name: '4x6-dim1-duplicates', inputs: [values([4, 6]), index(between(0, 2), [4, 5]), values([4, 5])], call: scatterCall(1), dtypes: ALL },
];

/** A scatter.value scalar per dtype: a fraction for floats, which truncates toward zero into integers (2.75 → 2). */
const fractionValue = (d: DType): Arg => (dtypeInfo(d).kind === 'bool' ? bool(true) : arg.float(2.75));
const valueCall = (dim: number, value: (d: DType) => Arg) => (t: Arg[], d: DType) => ({ args: [t[0] as Arg, int(dim), t[1] as Arg, value(d)] });
const SCATTER_VALUE: Variant[] = [
  { name: '4x6-dim1', inputs: [values([4, 6]), index(perm(6, 3), [4, 3])], call: valueCall(1, fractionValue), dtypes: ALL, ...MAIN },
  // an int scalar: −3 wraps to 253 in uint8 and is true in bool
  { name: '4x6-dim1', tag: 'int-value', inputs: [values([4, 6]), index(perm(6, 3), [4, 3])], call: valueCall(1, () => int(-3)), dtypes: ALL },
  { name: '4x6-dim1', tag: 'nan', inputs: [values([4, 6]), index(perm(6, 3), [4, 3])], call: valueCall(1, () => arg.float(NaN)), dtypes: F },
  { name: '4x6-dim1', tag: 'minus-inf', inputs: [values([4, 6]), index(perm(6, 3), [4, 3])], call: valueCall(1, () => arg.float(-Infinity)), dtypes: F },
  { name: '5x3-dim0', inputs: [values([5, 3]), index(perm(5, 4, 3), [4, 3])], call: valueCall(0, fractionValue), dtypes: ALL },
  { name: 'scalar', inputs: [values([]), index(between(0, 0), [])], call: valueCall(0, fractionValue), dtypes: ALL },
  { name: '4x6-dim1', inputs: [values([4, 6]), index(perm(6, 3), [4, 3])], call: valueCall(1, fractionValue), dtypes: ALL, ...NONCONTIG(1, 'index', ['transposed', 'strided']) },
];

/** scatter_add: 12 src elements per row into 5 slots (dim 1), 9 rows into 3 (dim 0): duplicates accumulate. */
const SCATTER_ADD: Variant[] = [
  { name: '4x5-dim1', inputs: [values([4, 5]), index(between(0, 4), [4, 12]), values([4, 12])], call: scatterCall(1), dtypes: ALL, layouts: [...ALL_LAYOUTS], values: ['uniform', 'ties'] },
  { name: '3x4-dim0', inputs: [values([3, 4]), index(between(0, 2), [9, 4]), values([9, 5])], call: scatterCall(0), dtypes: ALL, values: ['uniform', 'ties'] },
  { name: '4x5-dim1-nan-inf', inputs: [values([4, 5], nanInf), index(between(0, 4), [4, 12]), values([4, 12], nanInf)], call: scatterCall(1), dtypes: F },
  { name: 'scalar', inputs: [values([]), index(between(0, 0), [3]), values([3])], call: scatterCall(0), dtypes: ALL },
  { name: '4x5-empty-index', inputs: [values([4, 5]), index(between(0, 4), [4, 0]), values([4, 12])], call: scatterCall(1), dtypes: ALL },
  { name: '4x5-dim1', inputs: [values([4, 5]), index(between(0, 4), [4, 12]), values([4, 12])], call: scatterCall(1), dtypes: ALL, ...NONCONTIG(1, 'index') },
  { name: '4x5-dim1', inputs: [values([4, 5]), index(between(0, 4), [4, 12]), values([4, 12])], call: scatterCall(1), dtypes: ALL, ...NONCONTIG(2, 'src') },
];

const REDUCTIONS = ['sum', 'prod', 'mean', 'amax', 'amin'] as const;
const SCATTER_REDUCE: Variant[] = REDUCTIONS.flatMap((reduce) =>
  [true, false].flatMap((includeSelf): Variant[] => {
    const tag = includeSelf ? reduce : `${reduce}-exclude-self`;
    const call = scatterCall(1, [str(reduce)], includeSelf ? {} : { include_self: bool(false) });
    const v = reduce === 'prod' ? prodValues : undefined;
    const dtypes = reduce === 'mean' ? [...F, ...I] : ALL;
    const recipes: RecipeName[] = reduce === 'amax' || reduce === 'amin' ? ['uniform', 'special', 'ties'] : reduce === 'prod' ? ['uniform', 'special'] : ['uniform', 'ties'];
    const main = { name: '4x5-dim1', tag, inputs: [values([4, 5], v), index(between(0, 4), [4, 10]), values([4, 10], v)], call, dtypes };
    const out: Variant[] = [{ ...main, values: recipes, layouts: includeSelf ? ['contiguous', 'transposed'] : ['contiguous'] }];
    if (reduce === 'sum' || reduce === 'mean') out.push({ ...main, name: '4x5-dim1-nan-inf', inputs: [values([4, 5], nanInf), main.inputs[1] as Input, values([4, 10], nanInf)], dtypes: F });
    if (includeSelf) out.push({ ...main, ...NONCONTIG(1, `${tag}-index`, ['transposed']) });
    if (includeSelf && reduce === 'sum') {
      out.push({ ...main, name: 'scalar', inputs: [values([]), index(between(0, 0), [3]), values([3])], call: scatterCall(0, [str(reduce)]) });
      out.push({ ...main, name: '4x5-empty-index', inputs: [values([4, 5]), index(between(0, 4), [4, 0]), values([4, 10])] });
    }
    return out;
  }),
);

// ── select_scatter, slice_scatter, masked_scatter ───────────────────────────────────────────────────────────

const sliceCall = (tail: Arg[]) => (t: Arg[]) => ({ args: [t[0] as Arg, t[1] as Arg, ...tail] });
const SELECT_SCATTER: Variant[] = [
  { name: '4x5-dim0-last', inputs: [values([4, 5]), values([5])], call: sliceCall([int(0), int(-1)]), dtypes: ALL, ...MAIN },
  { name: '4x5-dim1', inputs: [values([4, 5]), values([4])], call: sliceCall([int(1), int(2)]), dtypes: ALL },
  { name: '2x3x4-dim1', inputs: [values([2, 3, 4]), values([2, 4])], call: sliceCall([int(1), int(1)]), dtypes: ALL },
  { name: '5-scalar-src', inputs: [values([5]), values([])], call: sliceCall([int(0), int(3)]), dtypes: ALL, values: ['uniform', 'special'] },
  { name: '0x5-empty', inputs: [values([0, 5]), values([0])], call: sliceCall([int(1), int(-5)]), dtypes: ALL },
  { name: '2x3x4-dim1', inputs: [values([2, 3, 4]), values([2, 4])], call: sliceCall([int(1), int(1)]), dtypes: ALL, ...NONCONTIG(1, 'src') },
];

const SLICE_SCATTER: Variant[] = [
  { name: '6x5-dim0-step2', inputs: [values([6, 5]), values([3, 5])], call: sliceCall([int(0), int(1), int(6), int(2)]), dtypes: ALL, ...MAIN },
  { name: '6x5-dim1-whole', inputs: [values([6, 5]), values([6, 5])], call: sliceCall([int(1), none(), none()]), dtypes: ALL },
  { name: '6x5-negative-start', inputs: [values([6, 5]), values([6, 3])], call: sliceCall([int(-1), int(-3)]), dtypes: ALL },
  { name: '6x5-end-past-size', inputs: [values([6, 5]), values([6, 3])], call: sliceCall([int(1), int(2), int(100)]), dtypes: ALL },
  { name: '6x5-empty-slice', inputs: [values([6, 5]), values([6, 0])], call: sliceCall([int(1), int(4), int(2)]), dtypes: ALL },
  { name: '6x5-dim0-step2', inputs: [values([6, 5]), values([3, 5])], call: sliceCall([int(0), int(1), int(6), int(2)]), dtypes: ALL, ...NONCONTIG(1, 'src') },
];

const mask = (shape: number[]): Input => ({ shape, dtype: () => 'bool', recipe: () => ({ kind: 'bool', p: 0.5 }) });
const maskedCall = (t: Arg[]) => ({ args: t });
const MASKED_SCATTER: Variant[] = [
  { name: '4x5', inputs: [values([4, 5]), mask([4, 5]), values([20])], call: maskedCall, dtypes: ALL, ...MAIN },
  { name: '4x5-mask-broadcast', inputs: [values([4, 5]), mask([5]), values([4, 5])], call: maskedCall, dtypes: ALL },
  { name: '5-self-broadcast', inputs: [values([5]), mask([4, 5]), values([24])], call: maskedCall, dtypes: ALL },
  { name: 'scalar', inputs: [values([]), mask([]), values([1])], call: maskedCall, dtypes: ALL },
  { name: '0x5-empty', inputs: [values([0, 5]), mask([0, 5]), values([3])], call: maskedCall, dtypes: ALL },
  { name: '4x5', inputs: [values([4, 5]), mask([4, 5]), values([20])], call: maskedCall, dtypes: ALL, ...NONCONTIG(1, 'mask', ['transposed', 'strided', 'expanded']) },
  { name: '4x5', inputs: [values([4, 5]), mask([4, 5]), values([4, 5])], call: maskedCall, dtypes: ALL, ...NONCONTIG(2, 'source') },
];

// ── nonzero ─────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Inputs without a zero (the bound output shape assumes it, see src/ops/indexing-gather.ts): nonzero-pos/neg, and the
 * special values less zero (NaN and ±inf count as nonzero).
 */
const noZeros = (d: DType, r: RecipeName): RecipeName | Recipe => {
  const info = dtypeInfo(d);
  if (info.kind === 'bool') return { kind: 'bool', p: 1 };
  if (r !== 'special') return r;
  if (info.kind === 'float') {
    const f = floatFormat(d);
    return { kind: 'choice', values: ['nan', 'inf', '-inf', f.maxFinite, -f.maxFinite, 2 ** f.minExponent, -(2 ** f.minExponent), 0.5, -2.5] };
  }
  return { kind: 'choice', values: info.kind === 'uint' ? [1, 2, 254, 255] : [-1, 1, 127, -128] };
};
const NONZERO: Variant[] = [
  { name: '4x5', inputs: [values([4, 5], noZeros)], call: (t) => ({ args: t }), dtypes: ALL, layouts: [...ALL_LAYOUTS], values: ['nonzero-pos', 'nonzero-neg', 'special'] },
  ...[
    ['7', [7]],
    ['2x3x4', [2, 3, 4]],
    ['scalar', []],
    ['0x3-empty', [0, 3]],
  ].map(([name, shape]): Variant => ({ name: name as string, inputs: [values(shape as number[], noZeros)], call: (t) => ({ args: t }), dtypes: ALL, values: ['nonzero-pos', 'special'] })),
];

// ── embedding, embedding_dense_backward, _embedding_bag ─────────────────────────────────────────────────────

const EMBEDDING: Variant[] = [
  { name: '10x4-3x5', inputs: [values([10, 4]), index(between(0, 9), [3, 5])], call: (t) => ({ args: t }), dtypes: ALL, ...MAIN },
  { name: '10x4-scalar-index', inputs: [values([10, 4]), index(between(0, 9), [])], call: (t) => ({ args: t }), dtypes: ALL },
  { name: '10x4-empty-index', inputs: [values([10, 4]), index(between(0, 9), [0])], call: (t) => ({ args: t }), dtypes: ALL },
  { name: '10x4-3x5', tag: 'int32', inputs: [values([10, 4]), index(between(0, 9), [3, 5], int32)], call: (t) => ({ args: t }), dtypes: ALL, values: ['uniform', 'special'] },
  { name: '10x4-3x5', inputs: [values([10, 4]), index(between(0, 9), [3, 5])], call: (t) => ({ args: t }), dtypes: ALL, ...NONCONTIG(1, 'index', ['transposed', 'strided', 'expanded']) },
];

/** embedding_dense_backward: 15 indices into 8 rows accumulate; padding_idx 2 receives nothing. */
const backwardCall = (padding: number, scale: boolean) => (t: Arg[]) => ({ args: [t[0] as Arg, t[1] as Arg, int(8), int(padding), bool(scale)] });
const BACKWARD_DTYPES: DType[] = [...F, 'int64', 'int32'];
const EMBEDDING_BACKWARD: Variant[] = [
  { name: '3x5x4', inputs: [values([3, 5, 4]), index(between(0, 7), [3, 5])], call: backwardCall(-1, false), dtypes: BACKWARD_DTYPES, layouts: ['contiguous', 'transposed', 'strided'], values: ['uniform', 'ties'] },
  { name: '3x5x4-padding2', inputs: [values([3, 5, 4]), index(between(0, 7), [3, 5])], call: backwardCall(2, false), dtypes: BACKWARD_DTYPES },
  // scale_grad_by_freq divides by a float 1/count: floating gradients only (an integer factor truncates to 0)
  { name: '3x5x4-scale-by-freq', inputs: [values([3, 5, 4]), index(between(0, 7), [3, 5])], call: backwardCall(-1, true), dtypes: F, values: ['uniform', 'ties'] },
  { name: '3x5x4-scale-by-freq-padding2', inputs: [values([3, 5, 4]), index(between(0, 7), [3, 5])], call: backwardCall(2, true), dtypes: F },
  { name: '3x5x4-nan-inf', inputs: [values([3, 5, 4], nanInf), index(between(0, 7), [3, 5])], call: backwardCall(-1, false), dtypes: F },
  { name: '0x4-empty', inputs: [values([0, 4]), index(between(0, 7), [0])], call: backwardCall(-1, false), dtypes: BACKWARD_DTYPES },
  { name: '3x5x4', tag: 'int32', inputs: [values([3, 5, 4]), index(between(0, 7), [3, 5], int32)], call: backwardCall(-1, false), dtypes: F },
  { name: '3x5x4', inputs: [values([3, 5, 4]), index(between(0, 7), [3, 5])], call: backwardCall(-1, false), dtypes: F, ...NONCONTIG(1, 'index') },
];

/** _embedding_bag over an [8, 5] table: 12 indices in bags of 3 (offsets 0, 3, 6, 9, and 12 as the last offset). */
interface Bag {
  name: string;
  mode: number;
  padding?: number;
  includeLast?: boolean;
  weighted?: boolean;
  offsets?: Input;
}
const offsetsBy3 = (count: number, dtype: (d: DType) => DType = int64): Input => ({ shape: [count], dtype, recipe: () => ({ kind: 'arange', start: 0, step: 3 }) });
function bagVariant(b: Bag, extra: Partial<Variant> = {}, dtype: (d: DType) => DType = int64): Variant {
  const inputs = [values([8, 5], b.mode === 2 ? (d, r) => (r === 'special' ? specialNoNan(d) : r) : undefined), index(between(0, 7), [12], dtype), b.offsets ?? offsetsBy3(b.includeLast ? 5 : 4, dtype)];
  if (b.weighted) inputs.push(values([12]));
  return {
    name: b.name,
    inputs,
    call: (t) => ({
      args: [t[0] as Arg, t[1] as Arg, t[2] as Arg, bool(false), int(b.mode), bool(false), b.weighted ? (t[3] as Arg) : none(), bool(b.includeLast ?? false), int(b.padding ?? -1)],
    }),
    dtypes: F,
    ...extra,
  };
}
const BAGS: Bag[] = [
  { name: 'sum', mode: 0 },
  { name: 'sum-include-last-offset', mode: 0, includeLast: true },
  { name: 'sum-padding2', mode: 0, padding: 2 },
  { name: 'sum-per-sample-weights', mode: 0, weighted: true },
  { name: 'mean', mode: 1 },
  { name: 'mean-padding2', mode: 1, padding: 2 },
  // offsets all 0: every bag but the last is empty (an empty bag is 0)
  { name: 'mean-empty-bags', mode: 1, offsets: { shape: [3], dtype: int64, recipe: between(0, 0) } },
  { name: 'max', mode: 2 },
  { name: 'max-padding2', mode: 2, padding: 2 },
  { name: 'max-include-last-offset', mode: 2, includeLast: true },
];
const EMBEDDING_BAG: Variant[] = [
  ...BAGS.map((b) =>
    // weight layouts: only `offset` keeps the rows contiguous, which decides the CPU kernel's path and the shape of its offset2bag output
    bagVariant(b, { layouts: ['contiguous', 'offset'], values: b.mode === 2 ? ['uniform', 'special'] : ['uniform', 'ties'] }),
  ),
  bagVariant({ name: 'sum-nan-inf', mode: 0 }, { inputs: [values([8, 5], nanInf), index(between(0, 7), [12]), offsetsBy3(4)] }),
  bagVariant({ name: 'mean-nan-inf', mode: 1 }, { inputs: [values([8, 5], nanInf), index(between(0, 7), [12]), offsetsBy3(4)] }),
  bagVariant({ name: 'sum', mode: 0 }, { tag: 'int32' }, int32),
  bagVariant({ name: 'mean', mode: 1 }, { tag: 'int32' }, int32),
  bagVariant({ name: 'sum', mode: 0 }, NONCONTIG(1, 'indices', ['offset'])),
  // PyTorch 1.13's _embedding_bag reads non-contiguous indices as contiguous (its public caller, embedding_bag, makes
  // them contiguous first): these cases fail there, a finding (docs/numerics.md), kept out of inference-fp32
  bagVariant({ name: 'sum', mode: 0 }, { ...NONCONTIG(1, 'indices', ['strided']), dtypes: ['float64', 'float16', 'bfloat16'] }),
  bagVariant({ name: 'max', mode: 2 }, { ...NONCONTIG(1, 'indices', ['strided']), dtypes: ['float64', 'float16', 'bfloat16'] }),
];

const FAMILY: [string, Variant[]][] = [
  ['aten.gather.default', GATHER],
  ['aten.index.Tensor', INDEX],
  ['aten.index_put.default', INDEX_PUT],
  ['aten.index_select.default', INDEX_SELECT],
  ['aten.scatter.src', SCATTER_SRC],
  ['aten.scatter.value', SCATTER_VALUE],
  ['aten.scatter_add.default', SCATTER_ADD],
  ['aten.scatter_reduce.two', SCATTER_REDUCE],
  ['aten.select_scatter.default', SELECT_SCATTER],
  ['aten.slice_scatter.default', SLICE_SCATTER],
  ['aten.masked_scatter.default', MASKED_SCATTER],
  ['aten.nonzero.default', NONZERO],
  ['aten.embedding.default', EMBEDDING],
  ['aten.embedding_dense_backward.default', EMBEDDING_BACKWARD],
  ['aten._embedding_bag.default', EMBEDDING_BAG],
];

/** The core suite's indexing, gather and scatter cases. */
export const INDEXING: CaseGroup[] = FAMILY.flatMap(([op, variants]) => variants.map((v) => group(op, v)));
