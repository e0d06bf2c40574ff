import { CaseGroup } from '../../src/suite/builder.js';
import { F, I, ALL, binary } from './common.js';

/** The core suite's comparison cases. */
export const COMPARISON: CaseGroup[] = [
  binary('aten.eq.Tensor', [...F, ...I, 'bool']).values('ties', 'special', 'subnormal'),
  binary('aten.lt.Tensor', [...F, ...I]).values('ties', 'special'),
  CaseGroup.of('aten.where.self')
    .dtypes(ALL)
    .shapes({ '7x13': [[7, 13], [7, 13], [7, 13]], 'broadcast-4x1x8': [[4, 1, 8], [1, 5, 8], [4, 5, 1]] })
    .layouts('contiguous', 'transposed', 'strided', 'offset')
    .values('uniform', 'special')
    .inputDtype((d, i) => (i === 0 ? 'bool' : d))
    .inputRecipe((_d, i, r) => (i === 0 ? 'uniform' : r)),

  //
];
