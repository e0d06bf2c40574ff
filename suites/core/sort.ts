import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { ALL, F, I, LONG_REDUCTIONS } from './common.js';

const kw = (args: Arg[], kwargs: Record<string, Arg>) => ({ args, kwargs });

/** Slices of every kind: along the last dim, along the first, in the middle of three, a scalar and an empty tensor. */
const SORT_SHAPES = [
  { name: '7x13', shape: [[7, 13]], dim: -1 },
  { name: '7x13-dim0', shape: [[7, 13]], dim: 0 },
  { name: '4x5x6-dim1', shape: [[4, 5, 6]], dim: 1 },
  { name: 'scalar', shape: [[]], dim: 0 },
  { name: 'empty-0x5', shape: [[0, 5]], dim: -1 },
];

/** The core suite's sort, topk and cumulative cases. */
export const SORT: CaseGroup[] = [
  // cumsum: each prefix an accumulation of its own length; integers and bool accumulate in int64
  ...SORT_SHAPES.map(({ name, shape, dim }) =>
    CaseGroup.of('aten.cumsum.default')
      .dtypes(ALL)
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed', 'strided', 'offset')
      .values('uniform', 'special', 'subnormal')
      .call((t) => ({ args: [...t, arg.int(dim)] })),
  ),
  ...[...LONG_REDUCTIONS, { name: '4097x4-dim0', shape: [[4097, 4]], dims: [0] }].map(({ name, shape, dims }) =>
    CaseGroup.of('aten.cumsum.default')
      .dtypes(F, I)
      .shapes({ [name]: shape })
      .values('uniform')
      .regimes()
      .call((t) => ({ args: [...t, arg.int(dims[0] ?? 0)] })),
  ),
  CaseGroup.of('aten.cumsum.default').tag('to-int32').dtypes('int32', 'int8').shapes({ '4x4097': [[4, 4097]] }).values().regimes('large').call((t) => kw([...t, arg.int(1)], { dtype: { kind: 'dtype', value: 'int32' } })),
  CaseGroup.of('aten.cumsum.default').tag('to-float64').dtypes('float32').shapes({ '4x4097': [[4, 4097]] }).call((t) => kw([...t, arg.int(1)], { dtype: { kind: 'dtype', value: 'float64' } })),

  // sort: values exactly; indices by property (unstable: any permutation naming equal values; stable: in input order)
  ...SORT_SHAPES.flatMap(({ name, shape, dim }) => [
    CaseGroup.of('aten.sort.default')
      .dtypes(ALL)
      .shapes({ [name]: shape })
      .layouts('contiguous', 'transposed', 'strided')
      .values('uniform', 'ties', 'special')
      .call((t) => ({ args: [...t, arg.int(dim)] })),
    CaseGroup.of('aten.sort.default')
      .tag('descending')
      .dtypes(ALL)
      .shapes({ [name]: shape })
      .values('ties', 'special')
      .call((t) => ({ args: [...t, arg.int(dim), arg.bool(true)] })),
  ]),
  CaseGroup.of('aten.sort.default').dtypes(F, I).shapes({ '2x4097': [[2, 4097]] }).values('uniform', 'ties').regimes().call((t) => ({ args: t })),
  ...[
    { tag: 'stable', stable: true, descending: false },
    { tag: 'stable-descending', stable: true, descending: true },
    { tag: 'unstable', stable: false, descending: false },
  ].flatMap(({ tag, stable, descending }) => [
    CaseGroup.of('aten.sort.stable')
      .tag(tag)
      .dtypes(ALL)
      .shapes({ '7x13': [[7, 13]], '4x5x6': [[4, 5, 6]], scalar: [[]], 'empty-0x5': [[0, 5]] })
      .layouts('contiguous', 'transposed')
      .values('ties', 'special', 'uniform')
      .call((t) => kw(t, { stable: arg.bool(stable), dim: arg.int(-1), descending: arg.bool(descending) })),
    CaseGroup.of('aten.sort.stable')
      .tag(tag)
      .dtypes(F, I)
      .shapes({ '2x4097': [[2, 4097]] })
      .values('ties')
      .regimes()
      .call((t) => kw(t, { stable: arg.bool(stable), dim: arg.int(-1), descending: arg.bool(descending) })),
  ]),

  // topk: the k largest (or smallest) values exactly, sorted or as a multiset; indices by property
  ...[
    { tag: 'k3', k: 3, dim: -1, largest: true, sorted: true },
    { tag: 'k3-smallest', k: 3, dim: -1, largest: false, sorted: true },
    { tag: 'k3-unsorted', k: 3, dim: -1, largest: true, sorted: false },
    { tag: 'k7-dim0', k: 7, dim: 0, largest: true, sorted: true },
    { tag: 'k0', k: 0, dim: -1, largest: true, sorted: true },
  ].map(({ tag, k, dim, largest, sorted }) =>
    CaseGroup.of('aten.topk.default')
      .tag(tag)
      .dtypes(F, I)
      .shapes({ '7x13': [[7, 13]] })
      .layouts('contiguous', 'transposed', 'strided')
      .values('uniform', 'ties', 'special')
      .call((t) => ({ args: [...t, arg.int(k), arg.int(dim), arg.bool(largest), arg.bool(sorted)] })),
  ),
  CaseGroup.of('aten.topk.default').tag('k1').dtypes(F, I).shapes({ scalar: [[]] }).call((t) => ({ args: [...t, arg.int(1)] })),
  CaseGroup.of('aten.topk.default').tag('k2').dtypes(F, I).shapes({ 'empty-0x5': [[0, 5]] }).call((t) => ({ args: [...t, arg.int(2)] })),
  ...[
    { tag: 'k16', largest: true, sorted: true },
    { tag: 'k16-smallest', largest: false, sorted: true },
    { tag: 'k16-unsorted', largest: true, sorted: false },
  ].map(({ tag, largest, sorted }) =>
    CaseGroup.of('aten.topk.default')
      .tag(tag)
      .dtypes(F, I)
      .shapes({ '2x4097': [[2, 4097]] })
      .values('uniform', 'ties')
      .regimes()
      .call((t) => ({ args: [...t, arg.int(16), arg.int(-1), arg.bool(largest), arg.bool(sorted)] })),
  ),
  // past the sizes where kernels switch: k > 16 (MPS returned zeros there), 512 slices with NaN (XPU returned index −1)
  CaseGroup.of('aten.topk.default').tag('k32').dtypes(F, I).shapes({ '2x4097': [[2, 4097]] }).values('uniform', 'ties').call((t) => ({ args: [...t, arg.int(32)] })),
  CaseGroup.of('aten.topk.default')
    .tag('k4-unsorted')
    .dtypes(F, I)
    .shapes({ '512x32': [[512, 32]] })
    .values('uniform')
    .regimes('nan')
    .call((t) => ({ args: [...t, arg.int(4), arg.int(-1), arg.bool(true), arg.bool(false)] })),

  //
];
