import { arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { ALL } from './common.js';

/** The core suite's shape cases. */
export const SHAPE: CaseGroup[] = [
  CaseGroup.of('aten.cat.default')
    .dtypes(ALL)
    .shapes({ '3-tensors-dim0': [[2, 5], [3, 5], [1, 5]], 'with-empty': [[2, 5], [0, 5], [4, 5]] })
    .layouts('contiguous', 'transposed', 'strided')
    .values('uniform', 'special')
    .call((t) => ({ args: [arg.tensors(t.map((x) => (x.kind === 'tensor' ? x.index : 0))), arg.int(0)] })),
  CaseGroup.of('aten.permute.default')
    .dtypes(ALL)
    .shapes({ '2x3x4': [[2, 3, 4]] })
    .layouts('contiguous', 'transposed', 'strided')
    .values('uniform', 'special')
    .call((t) => ({ args: [...t, arg.ints([2, 0, 1])] })),
  CaseGroup.of('aten.view.default')
    .dtypes(ALL)
    .shapes({ '4x6-to-2x12': [[4, 6]] })
    .layouts('contiguous', 'offset')
    .values('uniform', 'special')
    .call((t) => ({ args: [...t, arg.ints([2, 12])] })),
  CaseGroup.of('aten.clone.default')
    .dtypes(ALL)
    .shapes({ '5x7': [[5, 7]], scalar: [[]] })
    .layouts('contiguous', 'transposed', 'strided', 'offset', 'expanded')
    .values('uniform', 'special', 'subnormal'),
  // resize_ keeps the storage: shrinking, same size, to a scalar and to empty (growing leaves uninitialised memory)
  ...[
    { name: '4x6-to-3x5', shape: [4, 6], size: [3, 5] },
    { name: '4x6-to-24', shape: [4, 6], size: [24] },
    { name: '4x6-to-2x3x4', shape: [4, 6], size: [2, 3, 4] },
    { name: '5x7-to-scalar', shape: [5, 7], size: [] },
    { name: '5x7-to-0x3', shape: [5, 7], size: [0, 3] },
  ].map(({ name, shape, size }) =>
    CaseGroup.of('aten.resize_.default')
      .dtypes(ALL)
      .shapes({ [name]: [shape] })
      .values('uniform', 'special')
      .call((t) => ({ args: [...t, arg.ints(size)] })),
  ),
];
