import { arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { F, I, reduceOver, LONG_REDUCTIONS } from './common.js';

/** The core suite's reduction cases. */
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
  ...[
    { name: 'dim1', dim: arg.int(1), keepdim: false },
    { name: 'dim0-keepdim', dim: arg.int(0), keepdim: true },
    { name: 'flat', dim: arg.none(), keepdim: false },
  ].map(({ name, dim, keepdim }) =>
    CaseGroup.of('aten.argmax.default')
      .tag(name)
      .dtypes(F, I)
      .shapes({ '9x17': [[9, 17]] })
      .layouts('contiguous', 'transposed')
      .values('uniform', 'ties', 'special')
      .call((t) => ({ args: [...t, dim, arg.bool(keepdim)] })),
  ),

  // realistic lengths, random data (probabilistic bound), NaN and ±inf inside, precision witnesses
  ...LONG_REDUCTIONS.flatMap(({ name, shape, dims }) => [
    CaseGroup.of('aten.sum.dim_IntList').dtypes(F).shapes({ [name]: shape }).values('uniform', 'special', 'subnormal').regimes().call(reduceOver(dims)),
    CaseGroup.of('aten.sum.dim_IntList').dtypes('int64', 'int32').shapes({ [name]: shape }).values('uniform').regimes().call(reduceOver(dims)),
    CaseGroup.of('aten.mean.dim').dtypes(F).shapes({ [name]: shape }).values('uniform', 'special', 'subnormal').regimes().call(reduceOver(dims)),
  ]),
  CaseGroup.of('aten.sum.dim_IntList').dtypes(F).shapes({ '256x256-strided': [[256, 256]] }).layouts('contiguous', 'transposed').values('uniform').regimes('witness').call(reduceOver([0])),
  CaseGroup.of('aten.amax.default').dtypes(F, I).shapes({ '16x4096': [[16, 4096]] }).values('uniform', 'ties').regimes().call(reduceOver([1])),
  CaseGroup.of('aten.argmax.default').tag('dim1').dtypes(F, I).shapes({ '16x4096': [[16, 4096]] }).values('uniform', 'ties').regimes().call((t) => ({ args: [...t, arg.int(1), arg.bool(false)] })),

  //
];
