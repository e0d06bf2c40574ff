import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import { F } from './common.js';

/*
 * Pooling, upsampling and grid sampling at the sizes networks use them: N = 2, C = 8–64, 7×7 to 56×56 planes;
 * ResNet's 3×3 stride-2 max pool and its global average pool, VGG's 2×2 pools, GoogLeNet's ceil_mode, Inception's
 * 3×3 stride-1 average pool without padding counted, DenseNet's 2×2 average pool, FPN's ×2 upsampling, YOLO's
 * SPP max pool (13×13, stride 1), a spatial transformer's grid sampling. Border windows with padding, ceil_mode
 * windows that end past the padding, adaptive windows of varying size and non-integer scales are in the shapes.
 */

const ints = (v: number[]): Arg => arg.ints(v);
const first = (t: Arg[]): Arg => t[0] ?? arg.none();

/** Floating dtypes whose general max-pooling windows can be drawn without tied maxima (see pooling-max.ts). */
const TIE_FREE: DType[] = ['float32', 'float64'];

// avg_pool2d / avg_pool3d(self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
const avgCall =
  (k: number[], s: number[], p: number[], ceil = false, includePad = true, divisor: number | null = null) =>
  (t: Arg[]) => ({ args: [first(t), ints(k), ints(s), ints(p), arg.bool(ceil), arg.bool(includePad), divisor === null ? arg.none() : arg.int(divisor)] });

// avg_pool2d_backward(grad_output, self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
const avgBackwardCall =
  (k: number[], s: number[], p: number[], ceil = false, includePad = true, divisor: number | null = null) =>
  (t: Arg[]) => ({ args: [first(t), t[1] ?? arg.none(), ints(k), ints(s), ints(p), arg.bool(ceil), arg.bool(includePad), divisor === null ? arg.none() : arg.int(divisor)] });

// max_pool2d_with_indices / max_pool3d_with_indices(self, kernel_size, stride, padding, dilation, ceil_mode)
const maxCall = (k: number[], s: number[], p: number[], d: number[], ceil = false) => (t: Arg[]) => ({ args: [first(t), ints(k), ints(s), ints(p), ints(d), arg.bool(ceil)] });

// _adaptive_avg_pool2d / _adaptive_avg_pool3d / adaptive_avg_pool1d(self, output_size)
const adaptiveCall = (out: number[]) => (t: Arg[]) => ({ args: [first(t), ints(out)] });

// upsample_bilinear2d.vec(input, output_size, align_corners, scale_factors)
const bilinearCall = (size: number[] | null, align: boolean, scales: number[] | null) => (t: Arg[]) => ({
  args: [first(t), size === null ? arg.none() : ints(size), arg.bool(align), scales === null ? arg.none() : ints(scales)],
});
// upsample_nearest2d.vec(input, output_size, scale_factors)
const nearestCall = (size: number[] | null, scales: number[] | null) => (t: Arg[]) => ({
  args: [first(t), size === null ? arg.none() : ints(size), scales === null ? arg.none() : ints(scales)],
});

/** The positions of a 10×10 plane that every window of a 13×13, stride 1, padding 6 max pool holds (rows and columns 3–6). */
const SPP_COMMON = [3, 4, 5, 6].flatMap((r) => [3, 4, 5, 6].map((c) => r * 10 + c));

const AVG_POOL_2D = [
  // ResNet-D's and DenseNet's average pools, with borders padded and counted
  { name: 'k3s2p1-2x16x56x56', shape: [2, 16, 56, 56], call: avgCall([3, 3], [2, 2], [1, 1]), full: true },
  { name: 'k2s2-2x32x28x28', shape: [2, 32, 28, 28], call: avgCall([2, 2], [2, 2], [0, 0]) },
  // padding not counted: border windows divide by the elements they hold
  { name: 'k3s2p1-nopad-2x16x28x28', shape: [2, 16, 28, 28], call: avgCall([3, 3], [2, 2], [1, 1], false, false) },
  // ceil_mode: the last window ends past the right padding, where even count_include_pad stops counting
  { name: 'k3s2p1-ceil-2x8x27x27', shape: [2, 8, 27, 27], call: avgCall([3, 3], [2, 2], [1, 1], true, true) },
  { name: 'k3s2p1-ceil-nopad-2x8x27x27', shape: [2, 8, 27, 27], call: avgCall([3, 3], [2, 2], [1, 1], true, false) },
  // Inception's branch pool: 3×3, stride 1, padding 1 not counted
  { name: 'k3s1p1-nopad-2x32x17x17', shape: [2, 32, 17, 17], call: avgCall([3, 3], [1, 1], [1, 1], false, false) },
  { name: 'k2s2-div3-2x8x28x28', shape: [2, 8, 28, 28], call: avgCall([2, 2], [2, 2], [0, 0], false, true, 3) },
  { name: 'k3x2s2x1p1x0-ceil-div7-2x8x15x16', shape: [2, 8, 15, 16], call: avgCall([3, 2], [2, 1], [1, 0], true, false, 7) },
  { name: 'k3s2p1-unbatched-8x15x15', shape: [8, 15, 15], call: avgCall([3, 3], [2, 2], [1, 1]) },
  { name: 'k7-global-2x64x7x7', shape: [2, 64, 7, 7], call: avgCall([7, 7], [7, 7], [0, 0]), regimes: true },
  { name: 'empty-batch-0x8x28x28', shape: [0, 8, 28, 28], call: avgCall([3, 3], [2, 2], [1, 1]) },
];

const AVG_POOL_3D = [
  { name: 'k3s2p1-2x8x8x14x14', shape: [2, 8, 8, 14, 14], call: avgCall([3, 3, 3], [2, 2, 2], [1, 1, 1]), full: true },
  { name: 'k2s2-2x8x8x14x14', shape: [2, 8, 8, 14, 14], call: avgCall([2, 2, 2], [2, 2, 2], [0, 0, 0]) },
  { name: 'k3s2p1-ceil-nopad-2x4x7x9x9', shape: [2, 4, 7, 9, 9], call: avgCall([3, 3, 3], [2, 2, 2], [1, 1, 1], true, false) },
  { name: 'k1x3x3s1p0x1x1-div5-2x4x4x10x10', shape: [2, 4, 4, 10, 10], call: avgCall([1, 3, 3], [1, 1, 1], [0, 1, 1], false, true, 5) },
  { name: 'k3s2-unbatched-8x5x9x9', shape: [8, 5, 9, 9], call: avgCall([3, 3, 3], [2, 2, 2], [0, 0, 0]) },
];

const AVG_POOL_1D = [
  { name: 'k3s2p1-2x32x50', shape: [2, 32, 50], args: [[3], [2], [1], false, true] as const, full: true },
  { name: 'k3s2p1-ceil-nopad-2x32x49', shape: [2, 32, 49], args: [[3], [2], [1], true, false] as const },
  { name: 'k4s3p2-ceil-unbatched-16x30', shape: [16, 30], args: [[4], [3], [2], true, true] as const },
  { name: 'k2-2x16x64', shape: [2, 16, 64], args: [[2], [], [0], false, true] as const },
];

const MAX_POOL_2D = [
  // ResNet's stem pool
  { name: 'k3s2p1-2x16x56x56', shape: [2, 16, 56, 56], call: maxCall([3, 3], [2, 2], [1, 1], [1, 1]), full: true },
  // VGG's
  { name: 'k2s2-2x32x28x28', shape: [2, 32, 28, 28], call: maxCall([2, 2], [2, 2], [0, 0], [1, 1]) },
  // GoogLeNet's ceil_mode pools
  { name: 'k3s2-ceil-2x8x27x27', shape: [2, 8, 27, 27], call: maxCall([3, 3], [2, 2], [0, 0], [1, 1], true) },
  { name: 'k3s2p1-ceil-2x8x28x28', shape: [2, 8, 28, 28], call: maxCall([3, 3], [2, 2], [1, 1], [1, 1], true) },
  { name: 'k3s1p1d2-2x8x28x28', shape: [2, 8, 28, 28], call: maxCall([3, 3], [1, 1], [1, 1], [2, 2]) },
  // YOLO's SPP: 13×13, stride 1, every window overlaps every other
  { name: 'k13s1p6-spp-2x32x10x10', shape: [2, 32, 10, 10], call: maxCall([13, 13], [1, 1], [6, 6], [1, 1]) },
  { name: 'k3s2p1-ceil-unbatched-8x15x15', shape: [8, 15, 15], call: maxCall([3, 3], [2, 2], [1, 1], [1, 1], true) },
  { name: 'empty-batch-0x8x28x28', shape: [0, 8, 28, 28], call: maxCall([3, 3], [2, 2], [1, 1], [1, 1]) },
];

/**
 * Global max pools along one dim (PointNet's max over points, a max over time): each window is one slice of the
 * input, so the index is judged by property and ties and repeated NaNs are fair game, in every dtype.
 */
const MAX_POOL_2D_SLICES = [
  { name: 'global-w-2x64x1x49', shape: [2, 64, 1, 49], call: maxCall([1, 49], [1, 49], [0, 0], [1, 1]) },
  { name: 'global-h-2x32x16x1', shape: [2, 32, 16, 1], call: maxCall([16, 1], [1, 1], [0, 0], [1, 1]) },
  { name: 'global-w-unbatched-16x1x25', shape: [16, 1, 25], call: maxCall([1, 25], [1, 1], [0, 0], [1, 1]) },
];

/** Grid sampling modes: interpolation 0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection. */
const INTERPOLATION = [
  ['bilinear', 0],
  ['nearest', 1],
  ['bicubic', 2],
] as const;
const PADDING = [
  ['zeros', 0],
  ['border', 1],
  ['reflection', 2],
] as const;

/** A grid mostly inside [−1, 1] with some points just outside (10 %): where padding starts to matter. */
const GRID: Recipe = { kind: 'uniform', low: -1.1, high: 1.1 };

/** The core suite's pooling, upsampling and sampling cases. */
export const POOLING: CaseGroup[] = [
  // ── average pooling ──
  ...AVG_POOL_2D.map(({ name, shape, call, full, regimes }) => {
    const g = CaseGroup.of('aten.avg_pool2d.default').dtypes(F).shapes({ [name]: [shape] }).call(call);
    if (full) return g.layouts('contiguous', 'transposed', 'strided', 'offset').values('uniform', 'special', 'subnormal').regimes();
    return regimes ? g.values('uniform').regimes() : g;
  }),
  ...AVG_POOL_3D.map(({ name, shape, call, full }) => {
    const g = CaseGroup.of('aten.avg_pool3d.default').dtypes(F).shapes({ [name]: [shape] }).call(call);
    return full ? g.layouts('contiguous', 'transposed').values('uniform', 'special').regimes() : g;
  }),
  ...AVG_POOL_1D.map(({ name, shape, args, full }) => {
    const [k, s, p, ceil, includePad] = args;
    const g = CaseGroup.of('aten.avg_pool1d.default')
      .dtypes(F)
      .shapes({ [name]: [shape] })
      .call((t) => ({ args: [first(t), ints([...k]), ints([...s]), ints([...p]), arg.bool(ceil), arg.bool(includePad)] }));
    return full ? g.layouts('contiguous', 'strided').values('uniform', 'special').regimes() : g;
  }),
  ...[
    { name: 'k3s2p1-2x16x28x28', shapes: [[2, 16, 14, 14], [2, 16, 28, 28]], call: avgBackwardCall([3, 3], [2, 2], [1, 1]) },
    { name: 'k3s2p1-ceil-nopad-2x8x27x27', shapes: [[2, 8, 14, 14], [2, 8, 27, 27]], call: avgBackwardCall([3, 3], [2, 2], [1, 1], true, false) },
    // every input element in nine windows
    { name: 'k3s1p1-nopad-2x32x17x17', shapes: [[2, 32, 17, 17], [2, 32, 17, 17]], call: avgBackwardCall([3, 3], [1, 1], [1, 1], false, false) },
    { name: 'k2s2-div3-2x8x28x28', shapes: [[2, 8, 14, 14], [2, 8, 28, 28]], call: avgBackwardCall([2, 2], [2, 2], [0, 0], false, true, 3) },
  ].map(({ name, shapes, call }) => CaseGroup.of('aten.avg_pool2d_backward.default').dtypes(F).shapes({ [name]: shapes }).values('uniform', 'special').call(call)),

  // ── adaptive average pooling ──
  CaseGroup.of('aten._adaptive_avg_pool2d.default')
    .dtypes(F)
    .shapes({ 'resnet-2x64x7x7-to-1x1': [[2, 64, 7, 7]] })
    .layouts('contiguous', 'transposed', 'strided', 'offset')
    .values('uniform', 'special', 'subnormal')
    .regimes()
    .call(adaptiveCall([1, 1])),
  ...[
    { name: '2x16x28x28-to-7x7', shape: [2, 16, 28, 28], out: [7, 7] },
    // 30/7 is not an integer: windows of 5 and 6 rows that overlap
    { name: '2x16x30x30-to-7x7', shape: [2, 16, 30, 30], out: [7, 7], regimes: true },
    // more outputs than inputs: windows repeat
    { name: '2x8x5x5-to-7x7', shape: [2, 8, 5, 5], out: [7, 7] },
    { name: '2x8x10x14-to-3x5', shape: [2, 8, 10, 14], out: [3, 5] },
    { name: 'unbatched-8x14x14-to-3x3', shape: [8, 14, 14], out: [3, 3] },
    { name: 'empty-batch-0x8x7x7-to-1x1', shape: [0, 8, 7, 7], out: [1, 1] },
  ].map(({ name, shape, out, regimes }) => {
    const g = CaseGroup.of('aten._adaptive_avg_pool2d.default').dtypes(F).shapes({ [name]: [shape] }).call(adaptiveCall(out));
    return regimes ? g.values('uniform', 'special').regimes() : g;
  }),
  ...[
    { name: 'resnet-2x64x1x1-to-7x7', shapes: [[2, 64, 1, 1], [2, 64, 7, 7]] },
    { name: '2x16x7x7-to-28x28', shapes: [[2, 16, 7, 7], [2, 16, 28, 28]] },
    { name: '2x16x7x7-to-30x30', shapes: [[2, 16, 7, 7], [2, 16, 30, 30]] },
    { name: '2x8x7x7-to-5x5', shapes: [[2, 8, 7, 7], [2, 8, 5, 5]] },
  ].map(({ name, shapes }) => CaseGroup.of('aten._adaptive_avg_pool2d_backward.default').dtypes(F).shapes({ [name]: shapes }).values('uniform', 'special')),
  ...[
    { name: '2x8x4x7x7-to-1x1x1', shape: [2, 8, 4, 7, 7], out: [1, 1, 1], full: true },
    { name: '2x8x8x14x14-to-2x3x3', shape: [2, 8, 8, 14, 14], out: [2, 3, 3] },
    { name: '2x4x5x9x10-to-3x4x6', shape: [2, 4, 5, 9, 10], out: [3, 4, 6] },
    { name: 'unbatched-8x4x7x7-to-2x2x2', shape: [8, 4, 7, 7], out: [2, 2, 2] },
  ].map(({ name, shape, out, full }) => {
    const g = CaseGroup.of('aten._adaptive_avg_pool3d.default').dtypes(F).shapes({ [name]: [shape] }).call(adaptiveCall(out));
    return full ? g.layouts('contiguous', 'transposed').values('uniform', 'special').regimes() : g;
  }),
  ...[
    { name: '2x32x50-to-7', shape: [2, 32, 50], out: [7], full: true },
    // output 1 is a mean over the dim
    { name: '2x64x49-to-1', shape: [2, 64, 49], out: [1], full: true },
    { name: 'unbatched-16x30-to-8', shape: [16, 30], out: [8] },
    { name: '2x8x5-to-7', shape: [2, 8, 5], out: [7] },
  ].map(({ name, shape, out, full }) => {
    const g = CaseGroup.of('aten.adaptive_avg_pool1d.default').dtypes(F).shapes({ [name]: [shape] }).call(adaptiveCall(out));
    return full ? g.layouts('contiguous', 'strided').values('uniform', 'special').regimes() : g;
  }),

  // ── max pooling: exact indices on tie-free draws; by property where windows are slices ──
  ...MAX_POOL_2D.map(({ name, shape, call, full }) => {
    const g = CaseGroup.of('aten.max_pool2d_with_indices.default').dtypes(TIE_FREE).shapes({ [name]: [shape] }).call(call);
    return full ? g.layouts('contiguous', 'transposed', 'strided', 'offset').values('uniform').regimes('nan') : g;
  }),
  ...MAX_POOL_2D_SLICES.map(({ name, shape, call }) =>
    CaseGroup.of('aten.max_pool2d_with_indices.default').dtypes(F).shapes({ [name]: [shape] }).layouts('contiguous', 'transposed').values('uniform', 'special', 'subnormal').regimes().call(call),
  ),
  CaseGroup.of('aten.max_pool3d_with_indices.default')
    .dtypes(TIE_FREE)
    .shapes({ 'k3s2p1-2x8x8x14x14': [[2, 8, 8, 14, 14]] })
    .layouts('contiguous', 'transposed')
    .values('uniform')
    .regimes('nan')
    .call(maxCall([3, 3, 3], [2, 2, 2], [1, 1, 1], [1, 1, 1])),
  CaseGroup.of('aten.max_pool3d_with_indices.default').dtypes(TIE_FREE).shapes({ 'k2s2-ceil-2x4x7x9x9': [[2, 4, 7, 9, 9]] }).call(maxCall([2, 2, 2], [2, 2, 2], [0, 0, 0], [1, 1, 1], true)),
  CaseGroup.of('aten.max_pool3d_with_indices.default')
    .dtypes(F)
    .shapes({ 'global-w-2x16x1x1x27': [[2, 16, 1, 1, 27]] })
    .values('uniform', 'special')
    .regimes()
    .call(maxCall([1, 1, 27], [1, 1, 1], [0, 0, 0], [1, 1, 1])),
  // the gradients of overlapping windows that share a maximum accumulate (SPP: indices drawn from the positions every
  // window holds); a global pool sends each gradient to one element
  CaseGroup.of('aten.max_pool2d_with_indices_backward.default')
    .dtypes(F)
    .shapes({ 'k13s1p6-spp-2x32x10x10': [[2, 32, 10, 10], [2, 32, 10, 10], [2, 32, 10, 10]] })
    .inputDtype((d, i) => (i === 2 ? 'int64' : d))
    .inputRecipe((_d, i, r) => (i === 2 ? { kind: 'choice', values: SPP_COMMON } : r))
    .values('uniform', 'special')
    .call((t) => ({ args: [first(t), t[1] ?? arg.none(), ints([13, 13]), ints([1, 1]), ints([6, 6]), ints([1, 1]), arg.bool(false), t[2] ?? arg.none()] })),
  CaseGroup.of('aten.max_pool2d_with_indices_backward.default')
    .dtypes(F)
    .shapes({ 'k7-global-2x64x7x7': [[2, 64, 1, 1], [2, 64, 7, 7], [2, 64, 1, 1]] })
    .inputDtype((d, i) => (i === 2 ? 'int64' : d))
    .inputRecipe((_d, i, r) => (i === 2 ? { kind: 'int', low: 0, high: 48 } : r))
    .call((t) => ({ args: [first(t), t[1] ?? arg.none(), ints([7, 7]), ints([7, 7]), ints([0, 0]), ints([1, 1]), arg.bool(false), t[2] ?? arg.none()] })),

  // ── upsampling ──
  CaseGroup.of('aten.upsample_bilinear2d.vec')
    .dtypes(F)
    .shapes({ 'x2-2x16x28x28': [[2, 16, 28, 28]] })
    .layouts('contiguous', 'transposed', 'strided', 'offset')
    .values('uniform', 'special')
    .call(bilinearCall(null, false, [2, 2])),
  ...[
    // output sizes whose ratio to the input is not an integer: the float32 scale and source index decide the weights
    { name: 'to-45x45-2x16x28x28', shape: [2, 16, 28, 28], size: [45, 45] },
    { name: 'to-50x45-2x8x7x7', shape: [2, 8, 7, 7], size: [50, 45] },
    { name: 'down-to-28x20-2x8x56x56', shape: [2, 8, 56, 56], size: [28, 20] },
    { name: 'same-2x8x28x28', shape: [2, 8, 28, 28], size: [28, 28] },
  ].flatMap(({ name, shape, size }) =>
    [false, true].map((align) =>
      CaseGroup.of('aten.upsample_bilinear2d.vec')
        .tag(align ? 'align' : 'half-pixel')
        .dtypes(F)
        .shapes({ [name]: [shape] })
        .call(bilinearCall(size, align, null)),
    ),
  ),
  // FPN's top-down path: ×2 with align_corners; ×3 by scale factor
  CaseGroup.of('aten.upsample_bilinear2d.vec').tag('align').dtypes(F).shapes({ 'x2-2x8x14x14': [[2, 8, 14, 14]] }).call(bilinearCall(null, true, [2, 2])),
  CaseGroup.of('aten.upsample_bilinear2d.vec').tag('half-pixel').dtypes(F).shapes({ 'x3-2x4x9x11': [[2, 4, 9, 11]] }).call(bilinearCall(null, false, [3, 3])),
  CaseGroup.of('aten.upsample_nearest2d.vec')
    .dtypes(F, 'uint8')
    .shapes({ 'x2-2x16x28x28': [[2, 16, 28, 28]] })
    .layouts('contiguous', 'transposed', 'strided', 'offset')
    .values('uniform', 'special', 'subnormal')
    .call(nearestCall(null, [2, 2])),
  ...[
    // 28 → 46: float32's o·fl(28/46) falls below an integer where the exact o·28/46 is one (o = 23 reads row 13, not 14)
    { name: 'to-46x46-2x16x28x28', shape: [2, 16, 28, 28], size: [46, 46] },
    { name: 'to-45x50-2x8x28x28', shape: [2, 8, 28, 28], size: [45, 50] },
    { name: 'down-to-28x20-2x8x56x56', shape: [2, 8, 56, 56], size: [28, 20] },
    { name: 'same-2x8x28x28', shape: [2, 8, 28, 28], size: [28, 28] },
  ].map(({ name, shape, size }) => CaseGroup.of('aten.upsample_nearest2d.vec').dtypes(F, 'uint8').shapes({ [name]: [shape] }).call(nearestCall(size, null))),
  CaseGroup.of('aten.upsample_nearest2d.vec').dtypes(F, 'uint8').shapes({ 'x3-2x4x9x11': [[2, 4, 9, 11]] }).call(nearestCall(null, [3, 3])),

  // ── grid sampling: every interpolation × padding × align_corners ──
  ...INTERPOLATION.flatMap(([mode, m]) =>
    PADDING.flatMap(([padding, p]) =>
      [false, true].map((align) =>
        CaseGroup.of('aten.grid_sampler_2d.default')
          .tag(`${mode}-${padding}${align ? '-align' : ''}`)
          .dtypes(F)
          .shapes({ 'in2x8x16x16-grid2x12x12': [[2, 8, 16, 16], [2, 12, 12, 2]] })
          .inputRecipe((_d, i, r) => (i === 1 ? GRID : r))
          .values('uniform')
          .regimes()
          .call((t) => ({ args: [first(t), t[1] ?? arg.none(), arg.int(m), arg.int(p), arg.bool(align)] })),
      ),
    ),
  ),
  // a spatial transformer's sampler at its usual size (bilinear, zeros, align_corners=False: F.grid_sample's defaults)
  CaseGroup.of('aten.grid_sampler_2d.default')
    .tag('bilinear-zeros')
    .dtypes(F)
    .shapes({ 'stn-in2x16x28x28-grid2x28x28': [[2, 16, 28, 28], [2, 28, 28, 2]] })
    .layouts('contiguous', 'transposed')
    .inputRecipe((_d, i, r) => (i === 1 ? GRID : r))
    .call((t) => ({ args: [first(t), t[1] ?? arg.none(), arg.int(0), arg.int(0), arg.bool(false)] })),
];
