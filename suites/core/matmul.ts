import { arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { F, kw } from './common.js';

/** The core suite's matmul cases. */
export const MATMUL: CaseGroup[] = [
  CaseGroup.of('aten.mm.default')
    .dtypes(F)
    .shapes({ '17x31x9': [[17, 31], [31, 9]], '8x1024x8': [[8, 1024], [1024, 8]], 'k0': [[3, 0], [0, 4]] })
    .layouts('contiguous', 'transposed')
    .values('small')
    .regimes('witness'),
  CaseGroup.of('aten.bmm.default')
    .dtypes(F)
    .shapes({ '3x9x65x7': [[3, 9, 65], [3, 65, 7]] })
    .layouts('contiguous', 'transposed')
    .values('small')
    .regimes('witness'),
  CaseGroup.of('aten.addmm.default')
    .dtypes(F)
    .shapes({ '12x40x10': [[10], [12, 40], [40, 10]] })
    .values('small'),
  CaseGroup.of('aten.addmm.default')
    .tag('beta-alpha')
    .dtypes(F)
    .shapes({ '12x40x10': [[12, 10], [12, 40], [40, 10]] })
    .values('small')
    .call(kw({ beta: arg.float(0.5), alpha: arg.float(2) })),
  // realistic sizes: K from 513 (odd, past the split-K thresholds) to 4096, 64×64 outputs, batches
  CaseGroup.of('aten.mm.default')
    .dtypes(F)
    .shapes({ '64x4096x64': [[64, 4096], [4096, 64]], '33x513x65': [[33, 513], [513, 65]] })
    .layouts('contiguous', 'transposed')
    .values('small')
    .regimes(),
  CaseGroup.of('aten.bmm.default')
    .dtypes(F)
    .shapes({ '4x64x1024x64': [[4, 64, 1024], [4, 1024, 64]] })
    .layouts('contiguous', 'transposed')
    .values('small')
    .regimes(),
  CaseGroup.of('aten.addmm.default')
    .dtypes(F)
    .shapes({ '64x4096x64': [[64], [64, 4096], [4096, 64]] })
    .values('small')
    .regimes(),

  //
];
