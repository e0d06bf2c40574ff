import { arg, type Arg } from '../src/ops/args.js';
import { CaseGroup } from '../src/suite/builder.js';
import type { SuiteDefinition } from '../src/suite/suite.js';
import type { DType } from '../src/tensor/dtype.js';

/**
 * The core suite: a first slice of Core ATen overloads, each swept over dtypes, shapes (incl. scalar
 * and empty), layouts (transposed, strided, offset, broadcast) and value recipes (incl. special values).
 * Which cases exist lives here; what an op means lives in src/ops.
 */
const F: DType[] = ['float32', 'float64', 'float16', 'bfloat16'];
const I: DType[] = ['int64', 'int32', 'int16', 'int8', 'uint8'];
const ALL: DType[] = [...F, ...I, 'bool'];

const ELEMENTWISE_SHAPES = { '7x13': [[7, 13]], scalar: [[]], empty: [[0, 5]], '3x1x4x5': [[3, 1, 4, 5]] };
const BINARY_SHAPES = {
  '7x13': [[7, 13], [7, 13]],
  'broadcast-4x1x8': [[4, 1, 8], [1, 5, 8]],
  'scalar-tensor': [[6, 5], []],
  empty: [[0, 3], [0, 3]],
};
const ALL_LAYOUTS = ['contiguous', 'transposed', 'strided', 'offset', 'expanded'] as const;

const unary = (op: string, dtypes: DType[], ...more: Parameters<CaseGroup['values']>) =>
  CaseGroup.of(op)
    .dtypes(dtypes)
    .shapes(ELEMENTWISE_SHAPES)
    .layouts(...ALL_LAYOUTS)
    .values(...more);

const binary = (op: string, dtypes: DType[]) =>
  CaseGroup.of(op).dtypes(dtypes).shapes(BINARY_SHAPES).layouts(...ALL_LAYOUTS).values('uniform', 'special', 'subnormal');

const kw = (kwargs: Record<string, Arg>) => (t: Arg[]) => ({ args: t, kwargs });

/** The regions of an op's domain where implementations differ (src/ops/regimes.ts), on inputs large enough to sample them. */
const regimes = (op: string, shapes: Record<string, number[][]>, dtypes: DType[] = F) => CaseGroup.of(op).dtypes(dtypes).shapes(shapes).values().regimes();
const SQUARE = { '64x64': [[64, 64]] };
const SQUARE2 = { '64x64': [[64, 64], [64, 64]] };
const reduceOver = (dims: number[], keepdim = false) => (t: Arg[]) => ({ args: [...t, arg.ints(dims), arg.bool(keepdim)] });

/** Realistic reduction lengths: a power of two, an odd length just past it, and several rows of an odd length. */
const LONG_REDUCTIONS = [
  { name: '65536', shape: [[65536]], dims: [0] },
  { name: '65537', shape: [[65537]], dims: [0] },
  { name: '4x4097', shape: [[4, 4097]], dims: [1] },
];

export const core: SuiteDefinition = {
  name: 'core',
  version: '3',
  description: 'Core ATen operators: elementwise, reductions, matmul, softmax, layer norm, shape ops',
  groups: [
    // ── binary arithmetic ────────────────────────────────────────────────
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

    // ── unary ────────────────────────────────────────────────────────────
    unary('aten.neg.default', [...F, 'int64', 'int32', 'int16', 'int8'], 'uniform', 'special', 'subnormal'),
    unary('aten.abs.default', [...F, ...I], 'uniform', 'special', 'subnormal'),
    unary('aten.exp.default', F, 'uniform', 'special', 'subnormal'),
    unary('aten.log.default', F, 'positive', 'special'),
    unary('aten.sqrt.default', F, 'positive', 'special', 'subnormal'),
    unary('aten.rsqrt.default', F, 'positive', 'special'),
    unary('aten.tanh.default', F, 'uniform', 'special', 'subnormal'),
    unary('aten.sigmoid.default', F, 'uniform', 'special'),
    ...['exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid'].map((name) => regimes(`aten.${name}.default`, SQUARE)),

    // ── activations ──────────────────────────────────────────────────────
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

    // ── comparison and select ────────────────────────────────────────────
    binary('aten.eq.Tensor', [...F, ...I, 'bool']).values('ties', 'special', 'subnormal'),
    binary('aten.lt.Tensor', [...F, ...I]).values('ties', 'special'),
    CaseGroup.of('aten.where.self')
      .dtypes(ALL)
      .shapes({ '7x13': [[7, 13], [7, 13], [7, 13]], 'broadcast-4x1x8': [[4, 1, 8], [1, 5, 8], [4, 5, 1]] })
      .layouts('contiguous', 'transposed', 'strided', 'offset')
      .values('uniform', 'special')
      .inputDtype((d, i) => (i === 0 ? 'bool' : d))
      .inputRecipe((_d, i, r) => (i === 0 ? 'uniform' : r)),

    // ── reductions ───────────────────────────────────────────────────────
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

    // ── matmul ───────────────────────────────────────────────────────────
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

    // ── softmax and normalization ────────────────────────────────────────
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

    // ── shape, view, copy ────────────────────────────────────────────────
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
  ],
};
