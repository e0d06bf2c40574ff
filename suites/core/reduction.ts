import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup, type RecipeName } from '../../src/suite/builder.js';
import { isFloating, type DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import { ALL, F, I, reduceOver, LONG_REDUCTIONS } from './common.js';

/** The short reductions every reducing op sweeps: one dim, a kept leading dim, two dims of three, a long row. */
const SHORT = [
  { name: 'dim1', shape: [[16, 33]], dims: [1], keepdim: false },
  { name: 'dim0-keepdim', shape: [[16, 33]], dims: [0], keepdim: true },
  { name: 'dims02', shape: [[4, 5, 6]], dims: [0, 2], keepdim: false },
  { name: 'long-4096', shape: [[2, 4096]], dims: [1], keepdim: false },
];

/** One-dim reductions (`int dim, bool keepdim`): max.dim, min.dim, any.dim, prod.dim_int. */
const ONE_DIM = [
  { name: 'dim1', shape: [[9, 17]], dim: 1, keepdim: false },
  { name: 'dim0-keepdim', shape: [[9, 17]], dim: 0, keepdim: true },
  { name: '3d-dim-2', shape: [[4, 5, 6]], dim: -2, keepdim: false },
];

/** Scalar and empty inputs, with a dim that binds: a rank-0 tensor takes dim 0; reducing [0, 5] over dim 1 leaves nothing. */
const EDGE_ONE_DIM = { scalar: { shape: [[]], dim: 0 }, 'empty-0x5': { shape: [[0, 5]], dim: 1 } };

const oneDim = (dim: number, keepdim: boolean) => (t: Arg[]) => ({ args: [...t, arg.int(dim), arg.bool(keepdim)] });

/** prod's ordinary float data: magnitudes in [0.5, 2), so no order of the k multiplications overflows or underflows. */
const nearOneFloats = (dtype: DType, _i: number, recipe: RecipeName): RecipeName | Recipe =>
  isFloating(dtype) && recipe === 'uniform' ? { kind: 'uniform', low: 0.5, high: 2 } : recipe;

/** The core suite's reduction cases. */
/** argmax/argmin over a dim, with keepdim, and flattened: ties and NaN sweep the index-of-extreme rule. */
const argExtreme = (op: string) =>
  [
    { name: 'dim1', dim: arg.int(1), keepdim: false },
    { name: 'dim0-keepdim', dim: arg.int(0), keepdim: true },
    { name: 'flat', dim: arg.none(), keepdim: false },
  ].map(({ name, dim, keepdim }) =>
    CaseGroup.of(op)
      .tag(name)
      .dtypes(F, I)
      .shapes({ '9x17': [[9, 17]] })
      .layouts('contiguous', 'transposed')
      .values('uniform', 'ties', 'special')
      .call((t) => ({ args: [...t, dim, arg.bool(keepdim)] })),
  );

export const REDUCTION: CaseGroup[] = [
  ...[
    { name: 'dim1', shape: [[16, 33]], dims: [1], keepdim: false },
    { name: 'dim0-keepdim', shape: [[16, 33]], dims: [0], keepdim: true },
    { name: 'dims02', shape: [[4, 5, 6]], dims: [0, 2], keepdim: false },
    { name: 'long-4096', shape: [[2, 4096]], dims: [1], keepdim: false },
  ].flatMap(({ name, shape, dims, keepdim }) => [
    CaseGroup.of('aten.sum.dim_IntList')
      .dtypes(F, 'int64', 'int32', 'int8', 'uint8', 'bool')
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed', 'strided')
      .values('uniform', 'subnormal')
      .regimes('witness')
      .call((t) => ({ args: [...t, arg.ints(dims), arg.bool(keepdim)] })),
    CaseGroup.of('aten.mean.dim')
      .dtypes(F)
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed')
      .values('uniform', 'subnormal')
      .call((t) => ({ args: [...t, arg.ints(dims), arg.bool(keepdim)] })),
    CaseGroup.of('aten.amax.default')
      .dtypes(F, I)
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed')
      .values('uniform', 'special', 'ties')
      .call((t) => ({ args: [...t, arg.ints(dims), arg.bool(keepdim)] })),
  ]),
  ...argExtreme('aten.argmax.default'),

  // realistic lengths, random data (probabilistic bound), NaN and ±inf inside, precision witnesses
  ...LONG_REDUCTIONS.flatMap(({ name, shape, dims }) => [
    CaseGroup.of('aten.sum.dim_IntList').dtypes(F).shapes({ [name]: shape }).values('uniform', 'special', 'subnormal').regimes().call(reduceOver(dims)),
    CaseGroup.of('aten.sum.dim_IntList').dtypes('int64', 'int32').shapes({ [name]: shape }).values('uniform').regimes().call(reduceOver(dims)),
    CaseGroup.of('aten.mean.dim').dtypes(F).shapes({ [name]: shape }).values('uniform', 'special', 'subnormal').regimes().call(reduceOver(dims)),
  ]),
  CaseGroup.of('aten.sum.dim_IntList').dtypes(F).shapes({ '256x256-strided': [[256, 256]] }).layouts('contiguous', 'transposed').values('uniform').regimes('witness').call(reduceOver([0])),
  CaseGroup.of('aten.amax.default').dtypes(F, I).shapes({ '16x4096': [[16, 4096]] }).values('uniform', 'ties').regimes().call(reduceOver([1])),
  CaseGroup.of('aten.argmax.default').tag('dim1').dtypes(F, I).shapes({ '16x4096': [[16, 4096]] }).values('uniform', 'ties').regimes().call((t) => ({ args: [...t, arg.int(1), arg.bool(false)] })),


  // amin: as amax; the sign of a zero is free, NaN propagates
  ...SHORT.map(({ name, shape, dims, keepdim }) =>
    CaseGroup.of('aten.amin.default')
      .dtypes(F, I, 'bool')
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed')
      .values('uniform', 'special', 'ties')
      .call(reduceOver(dims, keepdim)),
  ),
  CaseGroup.of('aten.amin.default').tag('all').dtypes(F, I, 'bool').shapes({ '7x13': [[7, 13]], scalar: [[]] }).values('uniform', 'special').call((t) => ({ args: t })),
  CaseGroup.of('aten.amin.default').dtypes(F, I, 'bool').shapes({ 'empty-0x5': [[0, 5]] }).call(reduceOver([1])),
  CaseGroup.of('aten.amin.default').dtypes(F, I).shapes({ '16x4096': [[16, 4096]] }).values('uniform', 'ties').regimes().call(reduceOver([1])),

  // argmin: any index holding the minimum passes (ties are PyTorch's free choice); NaN is the extreme
  ...argExtreme('aten.argmin.default'),
  CaseGroup.of('aten.argmin.default').tag('flat').dtypes(F, I).shapes({ scalar: [[]] }).values('uniform').call((t) => ({ args: t })),
  CaseGroup.of('aten.argmin.default').tag('dim1').dtypes(F, I).shapes({ 'empty-0x5': [[0, 5]] }).call((t) => ({ args: [...t, arg.int(1)] })),
  CaseGroup.of('aten.argmin.default').tag('dim1').dtypes(F, I).shapes({ '16x4096': [[16, 4096]] }).values('uniform', 'ties').regimes().call((t) => ({ args: [...t, arg.int(1), arg.bool(false)] })),

  // max.dim and min.dim: values exactly, indices by the index-of-extreme property
  ...(['aten.max.dim', 'aten.min.dim'] as const).flatMap((op) => [
    ...ONE_DIM.map(({ name, shape, dim, keepdim }) =>
      CaseGroup.of(op)
        .dtypes(F, I, 'bool')
        .shapes({ [name]: shape })
        .layouts('contiguous', 'transposed')
        .values('uniform', 'ties', 'special')
        .call(oneDim(dim, keepdim)),
    ),
    ...Object.entries(EDGE_ONE_DIM).map(([name, { shape, dim }]) => CaseGroup.of(op).dtypes(F, I, 'bool').shapes({ [name]: shape }).call(oneDim(dim, false))),
    CaseGroup.of(op).dtypes(F, I).shapes({ '16x4096': [[16, 4096]] }).values('uniform', 'ties').regimes().call(oneDim(1, false)),
  ]),

  // any: bool out (uint8 for uint8), NaN is true, −0 is false; sparse slices decide on one element
  CaseGroup.of('aten.any.default')
    .dtypes(ALL)
    .shapes({ '7x13': [[7, 13]], scalar: [[]], empty: [[0, 5]] })
    .layouts('contiguous', 'transposed', 'strided')
    .values('uniform', 'special')
    .call((t) => ({ args: t })),
  CaseGroup.of('aten.any.default').dtypes(ALL).shapes({ '9': [[9]], '3x3': [[3, 3]], '65537': [[65537]] }).values().regimes().call((t) => ({ args: t })),
  ...[...ONE_DIM, { name: '64x9', shape: [[64, 9]], dim: 1, keepdim: false }].map(({ name, shape, dim, keepdim }) =>
    CaseGroup.of('aten.any.dim').dtypes(ALL).shapes({ [name]: shape }).layouts('contiguous', 'transposed').values('uniform', 'special').call(oneDim(dim, keepdim)),
  ),
  ...Object.entries({ ...EDGE_ONE_DIM, 'empty-5x0': { shape: [[5, 0]], dim: 1 } }).map(([name, { shape, dim }]) =>
    CaseGroup.of('aten.any.dim').dtypes(ALL).shapes({ [name]: shape }).call(oneDim(dim, false)),
  ),
  CaseGroup.of('aten.any.dim').dtypes(ALL).shapes({ '64x9': [[64, 9]], '9x64': [[9, 64]] }).values().regimes().call((t) => ({ args: [...t, arg.int(-1), arg.bool(false)] })),
  ...[
    { name: 'dims02', shape: [[4, 5, 6]], dim: arg.ints([0, 2]), keepdim: false },
    { name: 'dims1-keepdim', shape: [[4, 5, 6]], dim: arg.ints([1]), keepdim: true },
    { name: 'all', shape: [[7, 13]], dim: arg.none(), keepdim: false },
    { name: 'all-keepdim', shape: [[7, 13]], dim: arg.none(), keepdim: true },
    { name: 'scalar', shape: [[]], dim: arg.none(), keepdim: false },
    { name: 'empty-5x0', shape: [[5, 0]], dim: arg.ints([1]), keepdim: false },
  ].map(({ name, shape, dim, keepdim }) =>
    CaseGroup.of('aten.any.dims').dtypes(ALL).shapes({ [name]: shape }).layouts('contiguous', 'transposed').values('uniform', 'special').call((t) => ({ args: [...t, dim, arg.bool(keepdim)] })),
  ),
  CaseGroup.of('aten.any.dims').dtypes(ALL).shapes({ '64x9': [[64, 9]] }).values().regimes().call((t) => ({ args: [...t, arg.ints([1]), arg.bool(false)] })),

  // mean of every element: the same rule as mean.dim, realistic lengths, witnesses, NaN and ±inf inside
  CaseGroup.of('aten.mean.default')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]], scalar: [[]], empty: [[0, 5]], '4x5x6': [[4, 5, 6]] })
    .layouts('contiguous', 'transposed', 'strided')
    .values('uniform', 'special', 'subnormal')
    .call((t) => ({ args: t })),
  ...LONG_REDUCTIONS.map(({ name, shape }) =>
    CaseGroup.of('aten.mean.default').dtypes(F).shapes({ [name]: shape }).values('uniform', 'special', 'subnormal').regimes().call((t) => ({ args: t })),
  ),
  CaseGroup.of('aten.mean.default').tag('to-float32').dtypes('int32', 'int64').shapes({ '7x13': [[7, 13]] }).call((t) => ({ args: t, kwargs: { dtype: { kind: 'dtype', value: 'float32' } } })),
  CaseGroup.of('aten.mean.default').tag('to-float64').dtypes('float32').shapes({ '4x4097': [[4, 4097]] }).call((t) => ({ args: t, kwargs: { dtype: { kind: 'dtype', value: 'float64' } } })),

  // prod: k − 1 roundings in the output dtype, relative; integers wrap in int64; witnesses; NaN, ±inf and zeros
  ...[...ONE_DIM, { name: '16x33', shape: [[16, 33]], dim: 1, keepdim: false }].map(({ name, shape, dim, keepdim }) =>
    CaseGroup.of('aten.prod.dim_int')
      .dtypes(F, I, 'bool')
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed')
      .values('uniform')
      .inputRecipe(nearOneFloats)
      .call(oneDim(dim, keepdim)),
  ),
  ...Object.entries({ ...EDGE_ONE_DIM, 'empty-0x5-dim0': { shape: [[0, 5]], dim: 0 } }).map(([name, { shape, dim }]) =>
    CaseGroup.of('aten.prod.dim_int').dtypes(F, I, 'bool').shapes({ [name]: shape }).inputRecipe(nearOneFloats).call(oneDim(dim, false)),
  ),
  CaseGroup.of('aten.prod.dim_int').dtypes(F, I).shapes({ '16x33': [[16, 33]] }).values().regimes('witness', 'nan-inf-zero', 'wrap').call(oneDim(1, false)),
  CaseGroup.of('aten.prod.dim_int').dtypes(F).shapes({ '4x4097': [[4, 4097]] }).values().regimes('near-one').call(oneDim(1, false)),
  CaseGroup.of('aten.prod.dim_int').dtypes(F).shapes({ '4096x2-dim0': [[4096, 2]] }).values().regimes('near-one').call(oneDim(0, false)),
  CaseGroup.of('aten.prod.dim_int').tag('to-int32').dtypes('int32', 'int8').shapes({ '16x33': [[16, 33]] }).values().regimes('wrap').call((t) => ({ args: [...t, arg.int(1)], kwargs: { dtype: { kind: 'dtype', value: 'int32' } } })),
  CaseGroup.of('aten.prod.dim_int').tag('to-float64').dtypes('float32').shapes({ '16x33': [[16, 33]] }).inputRecipe(nearOneFloats).call((t) => ({ args: [...t, arg.int(1)], kwargs: { dtype: { kind: 'dtype', value: 'float64' } } })),
  CaseGroup.of('aten.prod.default')
    .dtypes(F, I, 'bool')
    .shapes({ '5x7': [[5, 7]], scalar: [[]], empty: [[0, 5]] })
    .layouts('contiguous', 'transposed')
    .inputRecipe(nearOneFloats)
    .call((t) => ({ args: t })),
  CaseGroup.of('aten.prod.default').dtypes(F, I).shapes({ '3x11': [[3, 11]] }).values().regimes('witness', 'nan-inf-zero', 'wrap').call((t) => ({ args: t })),
  CaseGroup.of('aten.prod.default').dtypes(F).shapes({ '4096': [[4096]], '2x2048': [[2, 2048]] }).values().regimes('near-one').call((t) => ({ args: t })),


  // var: the Welford/two-pass bound (never one-pass E[x²] − μ²), with the correction PyTorch applies
  ...[
    { name: 'dim1', shape: [[16, 33]], dim: arg.ints([1]), correction: arg.int(1), keepdim: false },
    { name: 'dim0-keepdim-c0', shape: [[16, 33]], dim: arg.ints([0]), correction: arg.int(0), keepdim: true },
    { name: 'dims02-c2', shape: [[4, 5, 6]], dim: arg.ints([0, 2]), correction: arg.int(2), keepdim: false },
    { name: 'all', shape: [[7, 13]], dim: arg.none(), correction: arg.none(), keepdim: false },
    { name: 'all-empty-list', shape: [[7, 13]], dim: arg.ints([]), correction: arg.int(1), keepdim: true },
    { name: 'cneg1', shape: [[9, 17]], dim: arg.ints([1]), correction: arg.int(-1), keepdim: false },
  ].map(({ name, shape, dim, correction, keepdim }) =>
    CaseGroup.of('aten.var.correction')
      .dtypes(F)
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed')
      .values('normal', 'uniform')
      .call((t) => ({ args: [...t, dim], kwargs: { correction, keepdim: arg.bool(keepdim) } })),
  ),
  // a rank-0 input; nothing to reduce (NaN); a divisor max(0, N − correction) of 0 (inf, or NaN for one element)
  ...[
    { name: 'scalar-c0', shape: [[]], dim: arg.none(), correction: 0 },
    { name: 'scalar-c1', shape: [[]], dim: arg.none(), correction: 1 },
    { name: 'empty-0x5', shape: [[0, 5]], dim: arg.ints([0]), correction: 1 },
    { name: '3x4-c3', shape: [[3, 4]], dim: arg.ints([0]), correction: 3 },
    { name: '3x4-c5', shape: [[3, 4]], dim: arg.ints([0]), correction: 5 },
  ].map(({ name, shape, dim, correction }) =>
    CaseGroup.of('aten.var.correction').dtypes(F).shapes({ [name]: shape }).values('normal').call((t) => ({ args: [...t, dim], kwargs: { correction: arg.int(correction) } })),
  ),
  ...LONG_REDUCTIONS.map(({ name, shape, dims }) =>
    CaseGroup.of('aten.var.correction')
      .dtypes(F)
      .shapes({ [name]: shape })
      .values('normal')
      .regimes('large-mean', 'nan-inf')
      .call((t) => ({ args: [...t, arg.ints(dims)], kwargs: { correction: arg.int(1) } })),
  ),
  CaseGroup.of('aten.var.correction')
    .dtypes(F)
    .shapes({ '16x33': [[16, 33]], '2x4096': [[2, 4096]] })
    .values()
    .regimes('offset-grid')
    .call((t) => ({ args: [...t, arg.ints([1])], kwargs: { correction: arg.int(1) } })),
  ...[
    { name: 'dim1', shape: [[16, 33]], dim: arg.ints([1]), unbiased: true, keepdim: false },
    { name: 'dim0-keepdim-biased', shape: [[16, 33]], dim: arg.ints([0]), unbiased: false, keepdim: true },
    { name: 'all', shape: [[7, 13]], dim: arg.none(), unbiased: true, keepdim: false },
  ].map(({ name, shape, dim, unbiased, keepdim }) =>
    CaseGroup.of('aten.var.dim')
      .dtypes(F)
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed')
      .values('normal')
      .call((t) => ({ args: [...t, dim, arg.bool(unbiased), arg.bool(keepdim)] })),
  ),
  CaseGroup.of('aten.var.dim').dtypes(F).shapes({ '4x4097': [[4, 4097]] }).values('normal').regimes('large-mean', 'nan-inf').call((t) => ({ args: [...t, arg.ints([1])] })),
  CaseGroup.of('aten.var.dim').dtypes(F).shapes({ '16x33': [[16, 33]] }).values().regimes('offset-grid').call((t) => ({ args: [...t, arg.ints([1]), arg.bool(false)] })),

  //
];
