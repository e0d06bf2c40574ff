import { arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { F, ELEMENTWISE_SHAPES, unary, kw, regimes, SQUARE } from './common.js';

/** The core suite's activation cases. */
export const ACTIVATION: CaseGroup[] = [
  unary('aten.relu.default', [...F, 'int64', 'int32', 'int16', 'int8', 'uint8'], 'uniform', 'special', 'subnormal'),
  CaseGroup.of('aten.gelu.default')
    .tag('none')
    .dtypes(F)
    .shapes(ELEMENTWISE_SHAPES)
    .layouts('contiguous', 'transposed')
    .values('uniform', 'special'),
  CaseGroup.of('aten.gelu.default')
    .tag('tanh')
    .dtypes(F)
    .shapes(ELEMENTWISE_SHAPES)
    .layouts('contiguous', 'transposed')
    .values('uniform', 'special')
    .call(kw({ approximate: arg.str('tanh') })),
  regimes('aten.gelu.default', SQUARE).tag('none'),
  regimes('aten.gelu.default', SQUARE).tag('tanh').call(kw({ approximate: arg.str('tanh') })),

  //
];
