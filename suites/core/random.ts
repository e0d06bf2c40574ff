import { arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import { dtypeArg, F, noInputs } from './common.js';

/*
 * The core suite's random cases, judged by distribution (judge/distribution.ts): 65,536 draws make the
 * Kolmogorov–Smirnov band ±0.013 at a false-failure probability of 1e-9, enough to see a 2% bias; small, scalar and
 * empty shapes check shape and range alone. randperm sweeps n from 0 to 20,000 in the dtypes that hold the indices.
 * Dropout sweeps p from 0 (keep all) to 1 (drop all) on a 256×256 input, in training and in evaluation.
 */

const SIZES: Record<string, number[]> = { '256x256': [256, 256], '3x5': [3, 5], scalar: [], 'empty-0x4': [0, 4] };

const law = (op: string) => Object.entries(SIZES).map(([name, size]) => noInputs(op, name, F, (d) => ({ args: [arg.ints(size)], kwargs: { dtype: dtypeArg(d) } })));

const PERM_DTYPES: DType[] = ['int64', 'int32', 'float32', 'float64'];

export const RANDOM: CaseGroup[] = [
  ...law('aten.rand.default'),
  ...law('aten.randn.default'),
  ...[0, 1, 7, 5000, 20000].map((n) => noInputs('aten.randperm.default', `n${n}`, PERM_DTYPES, (d) => ({ args: [arg.int(n)], kwargs: { dtype: dtypeArg(d) } }))),
  ...[0, 0.1, 0.5, 1].map((p) =>
    CaseGroup.of('aten.native_dropout.default')
      .tag(`p${p}`)
      .dtypes(F)
      .shapes({ '256x256': [[256, 256]] })
      .values('uniform')
      .call((t) => ({ args: [...t, arg.float(p), arg.bool(true)] })),
  ),
  CaseGroup.of('aten.native_dropout.default')
    .tag('p0.5')
    .dtypes(['float32'])
    .shapes({ '64x96': [[64, 96]] })
    .layouts('transposed', 'strided')
    .values('uniform')
    .call((t) => ({ args: [...t, arg.float(0.5), arg.bool(true)] })),
  CaseGroup.of('aten.native_dropout.default')
    .tag('eval')
    .dtypes(F)
    .shapes({ '7x13': [[7, 13]] })
    .values('uniform', 'special')
    .call((t) => ({ args: [...t, arg.float(0.5), arg.bool(false)] })),
];
