import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { F } from './common.js';

/** The core suite's normalization cases. */
export const NORMALIZATION: CaseGroup[] = [
  CaseGroup.of('aten._softmax.default')
    .dtypes(F)
    .shapes({ '6x50': [[6, 50]], '2x3x40': [[2, 3, 40]] })
    .layouts('contiguous', 'transposed')
    .values('normal', 'special')
    .call((t) => ({ args: [...t, arg.int(-1), arg.bool(false)] })),
  CaseGroup.of('aten._softmax.default')
    .tag('dim0')
    .dtypes(F)
    .shapes({ '6x50': [[6, 50]] })
    .values('normal')
    .call((t) => ({ args: [...t, arg.int(0), arg.bool(false)] })),
  CaseGroup.of('aten._softmax.default')
    .dtypes(F)
    .shapes({ '8x4096': [[8, 4096]] })
    .layouts('contiguous', 'transposed')
    .values('normal', 'special')
    .regimes('large-logits', 'constant', 'masked')
    .call((t) => ({ args: [...t, arg.int(-1), arg.bool(false)] })),
  CaseGroup.of('aten._softmax.default')
    .dtypes(F)
    .shapes({ '64x3': [[64, 3]] })
    .values()
    .regimes('mostly-masked')
    .call((t) => ({ args: [...t, arg.int(-1), arg.bool(false)] })),
  CaseGroup.of('aten.native_layer_norm.default')
    .dtypes(F)
    .shapes({ '8x64': [[8, 64], [64], [64]], '2x3x32': [[2, 3, 32], [32], [32]] })
    .layouts('contiguous', 'transposed')
    .values('normal')
    .call((t, _d, shapes) => ({ args: [t[0] as Arg, arg.ints(shapes[1] ?? []), t[1] as Arg, t[2] as Arg, arg.float(1e-5)] })),
  CaseGroup.of('aten.native_layer_norm.default')
    .dtypes(F)
    .shapes({ '16x4096': [[16, 4096], [4096], [4096]] })
    .layouts('contiguous', 'transposed')
    .values('normal')
    .regimes()
    .call((t, _d, shapes) => ({ args: [t[0] as Arg, arg.ints(shapes[1] ?? []), t[1] as Arg, t[2] as Arg, arg.float(1e-5)] })),

  //
];
