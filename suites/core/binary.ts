import { arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { F, I, binary, kw, regimes, SQUARE2 } from './common.js';

/** The core suite's binary cases. */
export const BINARY: CaseGroup[] = [
  binary('aten.add.Tensor', [...F, ...I]),
  binary('aten.add.Tensor', F).tag('alpha').values('uniform').call(kw({ alpha: arg.float(0.5) })),
  binary('aten.add.Tensor', I).tag('alpha').values('uniform').call(kw({ alpha: arg.int(3) })),
  // mixed dtypes: type promotion decides the output dtype (filed under that dtype)
  CaseGroup.of('aten.add.Tensor')
    .tag('promote-int32')
    .dtypes('float16', 'float32', 'bfloat16')
    .shapes({ '5x6': [[5, 6], [5, 6]] })
    .inputDtype((d, i) => (i === 0 ? 'int32' : d)),
  CaseGroup.of('aten.add.Tensor')
    .tag('promote-uint8-int8')
    .dtypes('int16')
    .shapes({ '5x6': [[5, 6], [5, 6]] })
    .inputDtype((_d, i) => (i === 0 ? 'uint8' : 'int8')),
  CaseGroup.of('aten.add.Scalar')
    .tag('float-scalar')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]] })
    .layouts('contiguous', 'transposed')
    .values('uniform', 'special')
    .call((t) => ({ args: [...t, arg.float(1.25)] })),
  CaseGroup.of('aten.add.Scalar')
    .tag('int-scalar')
    .dtypes(I)
    .shapes({ '7x13': [[7, 13]] })
    .call((t) => ({ args: [...t, arg.int(7)] })),
  CaseGroup.of('aten.add.Scalar')
    .tag('int-tensor-float-scalar')
    .dtypes('int32', 'int64')
    .fileUnder(() => 'float32')
    .shapes({ '7x13': [[7, 13]] })
    .call((t) => ({ args: [...t, arg.float(0.5)] })),
  binary('aten.sub.Tensor', [...F, ...I]),
  binary('aten.mul.Tensor', [...F, ...I]),
  CaseGroup.of('aten.mul.Scalar')
    .tag('float-scalar')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]] })
    .values('uniform', 'special')
    .call((t) => ({ args: [...t, arg.float(-3.5)] })),
  binary('aten.div.Tensor', F).inputRecipe((_d, i, r) => (i === 1 && r === 'uniform' ? 'nonzero-pos' : r)),
  regimes('aten.add.Tensor', SQUARE2),
  regimes('aten.sub.Tensor', SQUARE2),
  regimes('aten.mul.Tensor', SQUARE2),
  regimes('aten.div.Tensor', SQUARE2),
  CaseGroup.of('aten.div.Tensor')
    .tag('int')
    .dtypes('int32', 'int64')
    .fileUnder(() => 'float32')
    .shapes({ '7x13': [[7, 13], [7, 13]] })
    .inputRecipe((_d, i) => (i === 1 ? 'nonzero-pos' : 'uniform')),
  ...(['floor', 'trunc'] as const).flatMap((mode) =>
    (['nonzero-pos', 'nonzero-neg'] as const).map((divisor) =>
      CaseGroup.of('aten.div.Tensor_mode')
        .tag(`${mode}-by-${divisor === 'nonzero-pos' ? 'pos' : 'neg'}`)
        .dtypes(divisor === 'nonzero-neg' ? [...F, 'int64', 'int32', 'int16', 'int8'] : [...F, ...I])
        .shapes({ '7x13': [[7, 13], [7, 13]], 'broadcast-4x1x8': [[4, 1, 8], [1, 5, 8]] })
        .layouts('contiguous', 'transposed')
        .inputRecipe((_d, i) => (i === 1 ? divisor : 'uniform'))
        .call(kw({ rounding_mode: arg.str(mode) })),
    ),
  ),

  //
];
