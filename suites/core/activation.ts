import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { isFloating } from '../../src/tensor/dtype.js';
import { F, I, ELEMENTWISE_SHAPES, unary, kw, regimes, SQUARE } from './common.js';

/** _log_softmax(self, dim, half_to_float=False) */
const logSoftmaxOver = (dim: number) => (t: Arg[]) => ({ args: [...t, arg.int(dim), arg.bool(false)] });

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

  // hardtanh: the default bounds (−1, 1), relu6's (0, 6) positionally (uint8 too), keyword bounds, integer inputs with
  // fractional bounds (truncated: −2.5 → −2, 3.7 → 3), and min above max (clamp gives max everywhere)
  unary('aten.hardtanh.default', [...F, 'int64', 'int32', 'int16', 'int8'], 'uniform', 'special', 'subnormal'),
  CaseGroup.of('aten.hardtanh.default')
    .tag('0-6')
    .dtypes([...F, ...I])
    .shapes({ '7x13': [[7, 13]], '3x1x4x5': [[3, 1, 4, 5]] })
    .layouts('contiguous', 'transposed')
    .values('uniform', 'special')
    .inputRecipe((d, _i, name) => (name === 'uniform' && isFloating(d) ? { kind: 'uniform', low: -8, high: 8 } : name))
    .call((t) => ({ args: [...t, arg.float(0), arg.float(6)] })),
  CaseGroup.of('aten.hardtanh.default')
    .tag('kw')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]] })
    .values('uniform', 'special')
    .call(kw({ min_val: arg.float(-0.5), max_val: arg.float(2) })),
  CaseGroup.of('aten.hardtanh.default')
    .tag('fractional-bounds')
    .dtypes(['int64', 'int32', 'int16', 'int8'])
    .shapes({ '7x13': [[7, 13]] })
    .values('small', 'special')
    .call((t) => ({ args: [...t, arg.float(-2.5), arg.float(3.7)] })),
  CaseGroup.of('aten.hardtanh.default')
    .tag('min-above-max')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]] })
    .values('uniform')
    .call((t) => ({ args: [...t, arg.float(1), arg.float(-1)] })),

  // leaky_relu: the default slope 0.01 (not exact in any float dtype), slopes given positionally, by keyword, negative
  // and as an int
  unary('aten.leaky_relu.default', F, 'uniform', 'special', 'subnormal'),
  CaseGroup.of('aten.leaky_relu.default')
    .tag('slope0.2')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]], '3x1x4x5': [[3, 1, 4, 5]] })
    .layouts('contiguous', 'transposed')
    .values('uniform', 'special')
    .call((t) => ({ args: [...t, arg.float(0.2)] })),
  CaseGroup.of('aten.leaky_relu.default')
    .tag('slope-neg')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]] })
    .values('uniform', 'special')
    .call(kw({ negative_slope: arg.float(-0.5) })),
  CaseGroup.of('aten.leaky_relu.default')
    .tag('slope-int')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]] })
    .values('uniform', 'subnormal')
    .call((t) => ({ args: [...t, arg.int(3)] })),

  // _log_softmax, as _softmax's cases (suites/core/normalization.ts), plus a rank-0 and an empty input, and large logits
  // and a large offset on short rows, where x − (max + log Σ) (instead of (x − max) − log Σ) loses the result to max
  CaseGroup.of('aten._log_softmax.default')
    .dtypes(F)
    .shapes({ '6x50': [[6, 50]], '2x3x40': [[2, 3, 40]], scalar: [[]], empty: [[0, 5]] })
    .layouts('contiguous', 'transposed')
    .values('normal', 'special')
    .call(logSoftmaxOver(-1)),
  CaseGroup.of('aten._log_softmax.default').tag('dim0').dtypes(F).shapes({ '6x50': [[6, 50]] }).values('normal').call(logSoftmaxOver(0)),
  CaseGroup.of('aten._log_softmax.default')
    .dtypes(F)
    .shapes({ '8x4096': [[8, 4096]] })
    .layouts('contiguous', 'transposed')
    .values('normal', 'special')
    .regimes('large-logits', 'constant', 'masked')
    .call(logSoftmaxOver(-1)),
  CaseGroup.of('aten._log_softmax.default').dtypes(F).shapes({ '16x64': [[16, 64]] }).values().regimes('large-logits', 'large-offset').call(logSoftmaxOver(-1)),
  CaseGroup.of('aten._log_softmax.default').dtypes(F).shapes({ '64x3': [[64, 3]] }).values().regimes('mostly-masked').call(logSoftmaxOver(-1)),
];
