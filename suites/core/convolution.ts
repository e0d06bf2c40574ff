import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import { F } from './common.js';

/*
 * Convolution, its backward, and the distances, at the shapes networks use: ResNet-50's 3×3 (stride 1 and 2), 1×1
 * and 7×7 stride-2 stem, MobileNet's depthwise, ResNeXt's grouped, DeepLab's dilated, a Whisper-style conv1d stem,
 * wav2vec2's strided conv1d, a video model's conv3d, and decoders' transposed convolutions with output_padding, on
 * small spatial sizes: each case stays within a few million multiply-adds, which the float64 oracle computes in well
 * under a second. The long-K shapes (K = 4608, 1024) carry the precision witnesses that TF32 operands or a narrow
 * accumulator fail (K ≥ 1000, where no Σ|terms| bound sees TF32 on random data).
 */

interface Conv {
  stride?: number[];
  padding?: number[];
  dilation?: number[];
  transposed?: boolean;
  outputPadding?: number[];
  groups?: number;
  /** whether the shapes list a bias (the third input) */
  bias?: boolean;
}

const none = arg.none();

function convArgs(c: Conv): Arg[] {
  return [
    arg.ints(c.stride ?? [1]),
    arg.ints(c.padding ?? [0]),
    arg.ints(c.dilation ?? [1]),
    arg.bool(c.transposed ?? false),
    arg.ints(c.outputPadding ?? [0]),
    arg.int(c.groups ?? 1),
  ];
}

/** convolution(input, weight, bias?, stride, padding, dilation, transposed, output_padding, groups) */
const conv = (c: Conv) => (t: Arg[]) => ({ args: [t[0] ?? none, t[1] ?? none, c.bias ? (t[2] ?? none) : none, ...convArgs(c)] });

/** convolution_backward(grad_output, input, weight, bias_sizes, …, groups, output_mask); the mask travels as 0/1 */
const backward = (c: Conv, mask: [number, number, number], biasSize: number | null) => (t: Arg[]) => ({
  args: [t[0] ?? none, t[1] ?? none, t[2] ?? none, biasSize === null ? none : arg.ints([biasSize]), ...convArgs(c), arg.ints(mask)],
});

const forward = (c: Conv, shapes: Record<string, number[][]>) => CaseGroup.of('aten.convolution.default').dtypes(F).shapes(shapes).values('small').call(conv(c));

const ALL_LAYOUTS = ['contiguous', 'transposed', 'strided', 'offset'] as const;

const CONV: CaseGroup[] = [
  // ResNet-50: 3×3 stride 1 and 2 with padding 1, the bottleneck's 1×1, the 1×1 stride-2 shortcut, the 7×7 stride-2 stem
  forward({ padding: [1, 1], bias: true }, { '3x3-2x16x12x12-to-32': [[2, 16, 12, 12], [32, 16, 3, 3], [32]] })
    .layouts(...ALL_LAYOUTS)
    .regimes(),
  forward({ stride: [2, 2], padding: [1, 1] }, { '3x3-s2-2x32x15x15-to-32': [[2, 32, 15, 15], [32, 32, 3, 3]] })
    .layouts('contiguous', 'transposed')
    .regimes(),
  forward({}, { '1x1-2x128x7x7-to-32': [[2, 128, 7, 7], [32, 128, 1, 1]] }).layouts('contiguous', 'strided').regimes(),
  forward({ stride: [2, 2] }, { '1x1-s2-2x32x8x8-to-64': [[2, 32, 8, 8], [64, 32, 1, 1]] }),
  forward({ stride: [2, 2], padding: [3, 3] }, { '7x7-s2-p3-1x3x32x32-to-16': [[1, 3, 32, 32], [16, 3, 7, 7]] }).regimes(),
  // MobileNet's depthwise 3×3 (groups = channels), stride 1 and 2; ResNeXt's grouped 3×3
  forward({ padding: [1, 1], groups: 32, bias: true }, { 'depthwise-3x3-2x32x16x16': [[2, 32, 16, 16], [32, 1, 3, 3], [32]] })
    .layouts('contiguous', 'transposed')
    .regimes(),
  forward({ stride: [2, 2], padding: [1, 1], groups: 32 }, { 'depthwise-3x3-s2-2x32x15x15': [[2, 32, 15, 15], [32, 1, 3, 3]] }),
  forward({ padding: [1, 1], groups: 4 }, { 'grouped4-3x3-2x32x8x8-to-32': [[2, 32, 8, 8], [32, 8, 3, 3]] }).regimes(),
  // DeepLab's atrous 3×3 (dilation 2, padding 2); per-dim stride, padding and dilation
  forward({ padding: [2, 2], dilation: [2, 2], bias: true }, { 'dilated2-3x3-1x16x16x16-to-16': [[1, 16, 16, 16], [16, 16, 3, 3], [16]] }).regimes(),
  forward({ stride: [2, 1], padding: [1, 0], dilation: [1, 2] }, { 'mixed-3x2-1x6x11x9-to-4': [[1, 6, 11, 9], [4, 6, 3, 2]] }),
  // edges: an empty batch, padding wider than the kernel (corner outputs see one product), a kernel as large as the input
  forward({ padding: [1, 1], bias: true }, { 'empty-batch-0x4x9x9-to-6': [[0, 4, 9, 9], [6, 4, 3, 3], [6]] }),
  forward({ padding: [3, 3], bias: true }, { 'pad3-3x3-1x2x5x5-to-3': [[1, 2, 5, 5], [3, 2, 3, 3], [3]] }),
  forward({}, { 'full-5x5-2x8x5x5-to-4': [[2, 8, 5, 5], [4, 8, 5, 5]] }),
  // a Whisper-style conv1d stem (80 mel bins, k = 3, padding 1, then stride 2) and wav2vec2's first conv (k = 10, stride 5)
  forward({ padding: [1], bias: true }, { 'conv1d-k3-1x80x100-to-64': [[1, 80, 100], [64, 80, 3], [64]] })
    .layouts('contiguous', 'transposed', 'offset')
    .regimes(),
  forward({ stride: [2], padding: [1], bias: true }, { 'conv1d-k3-s2-1x64x100-to-64': [[1, 64, 100], [64, 64, 3], [64]] }),
  forward({ stride: [5] }, { 'conv1d-k10-s5-2x1x400-to-64': [[2, 1, 400], [64, 1, 10]] }),
  // a video model's 3×3×3 conv3d, spatial stride 2
  forward({ stride: [1, 2, 2], padding: [1], bias: true }, { 'conv3d-3x3x3-1x4x6x10x10-to-8': [[1, 4, 6, 10, 10], [8, 4, 3, 3, 3], [8]] }).regimes(),
  // transposed convolutions: a U-Net/FPN 3×3 stride-2 upsampler with output_padding 1, DCGAN's 4×4 stride 2, HiFi-GAN's
  // conv1d upsampler (k = 16, stride 8), grouped, dilated with output_padding < dilation, and 3-d
  forward({ transposed: true, stride: [2, 2], padding: [1, 1], outputPadding: [1, 1], bias: true }, { 'transposed-3x3-s2-op1-2x16x7x7-to-8': [[2, 16, 7, 7], [16, 8, 3, 3], [8]] })
    .layouts('contiguous', 'transposed', 'strided')
    .regimes(),
  forward({ transposed: true, stride: [2, 2], padding: [1, 1] }, { 'transposed-4x4-s2-2x32x8x8-to-16': [[2, 32, 8, 8], [32, 16, 4, 4]] }).regimes(),
  forward({ transposed: true, stride: [8], padding: [4], bias: true }, { 'transposed-conv1d-k16-s8-1x32x20-to-16': [[1, 32, 20], [32, 16, 16], [16]] }),
  forward({ transposed: true, stride: [2, 2], outputPadding: [1, 1], groups: 2 }, { 'transposed-grouped2-3x3-s2-op1-2x8x5x5-to-4': [[2, 8, 5, 5], [8, 2, 3, 3]] }),
  forward({ transposed: true, dilation: [2, 2], outputPadding: [1, 1] }, { 'transposed-dilated2-op1-1x4x6x6-to-3': [[1, 4, 6, 6], [4, 3, 3, 3]] }),
  forward({ transposed: true, stride: [2], bias: true }, { 'transposed-conv3d-2x2x2-s2-1x4x3x4x4-to-2': [[1, 4, 3, 4, 4], [4, 2, 2, 2, 2], [2]] }),
  // long reductions: K = 512·9 = 4608 and 1024, where only a witness tells TF32 operands or a narrow accumulator apart
  forward({ padding: [1, 1] }, { '3x3-k4608-1x512x4x4-to-8': [[1, 512, 4, 4], [8, 512, 3, 3]] }).regimes('witness'),
  forward({}, { 'conv1d-k1024-1x1024x8-to-8': [[1, 1024, 8], [8, 1024, 1]] }).regimes('witness'),
];

const bw = (c: Conv, mask: [number, number, number], shapes: Record<string, number[][]>, biasSize: number | null = null) =>
  CaseGroup.of('aten.convolution_backward.default')
    .tag(`mask${mask.join('')}`)
    .dtypes(F)
    .shapes(shapes)
    .values('small')
    .call(backward(c, mask, biasSize));

const BACKWARD: CaseGroup[] = [
  bw({ padding: [1, 1] }, [1, 1, 1], { '3x3-2x8x8x8-to-16': [[2, 16, 8, 8], [2, 8, 8, 8], [16, 8, 3, 3]] }, 16)
    .layouts('contiguous', 'transposed', 'strided')
    .regimes(),
  bw({ stride: [2, 2], padding: [1, 1] }, [1, 1, 0], { '3x3-s2-2x8x9x9-to-16': [[2, 16, 5, 5], [2, 8, 9, 9], [16, 8, 3, 3]] }).regimes(),
  bw({ padding: [1, 1], groups: 16 }, [1, 1, 1], { 'depthwise-3x3-2x16x8x8': [[2, 16, 8, 8], [2, 16, 8, 8], [16, 1, 3, 3]] }, 16).regimes(),
  bw({}, [1, 1, 0], { '1x1-2x64x7x7-to-32': [[2, 32, 7, 7], [2, 64, 7, 7], [32, 64, 1, 1]] }),
  bw({ padding: [2, 2], dilation: [2, 2] }, [1, 1, 1], { 'dilated2-3x3-1x8x10x10-to-8': [[1, 8, 10, 10], [1, 8, 10, 10], [8, 8, 3, 3]] }, 8).regimes(),
  // the first layer needs no grad_input: the 7×7 stride-2 stem's weight and bias gradients
  bw({ stride: [2, 2], padding: [3, 3] }, [0, 1, 1], { '7x7-s2-p3-1x3x16x16-to-16': [[1, 16, 8, 8], [1, 3, 16, 16], [16, 3, 7, 7]] }, 16).regimes(),
  // grad_input alone (a frozen layer), grouped
  bw({ padding: [1, 1], groups: 4 }, [1, 0, 0], { 'grouped4-3x3-2x16x6x6-to-16': [[2, 16, 6, 6], [2, 16, 6, 6], [16, 4, 3, 3]] }),
  bw({ stride: [2], padding: [1] }, [1, 1, 1], { 'conv1d-k3-s2-2x32x100-to-32': [[2, 32, 50], [2, 32, 100], [32, 32, 3]] }, 32)
    .layouts('contiguous', 'transposed')
    .regimes(),
  bw({ padding: [1] }, [1, 1, 1], { 'conv3d-3x3x3-1x4x4x4x4-to-4': [[1, 4, 4, 4, 4], [1, 4, 4, 4, 4], [4, 4, 3, 3, 3]] }, 4),
  // transposed: grad_output is the fine side, where im2col pads; NaN there would meet padded zeros, so witnesses only
  bw({ transposed: true, stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] }, [1, 1, 1], { 'transposed-3x3-s2-op1-2x16x7x7-to-8': [[2, 8, 14, 14], [2, 16, 7, 7], [16, 8, 3, 3]] }, 8)
    .layouts('contiguous', 'transposed')
    .regimes('witness'),
  bw({ transposed: true, stride: [2, 2], groups: 2 }, [1, 1, 0], { 'transposed-grouped2-4x4-s2-1x8x5x5-to-4': [[1, 4, 12, 12], [1, 8, 5, 5], [8, 2, 4, 4]] }).regimes('witness'),
  bw({ transposed: true, stride: [4], padding: [2] }, [1, 1, 1], { 'transposed-conv1d-k8-s4-1x16x20-to-8': [[1, 8, 80], [1, 16, 20], [16, 8, 8]] }, 8),
  // long reductions for the weight gradient (k = N·H·W = 1024) and for grad_input (k = 64·9 = 576)
  bw({ padding: [1, 1] }, [1, 1, 1], { '3x3-k1024-4x8x16x16-to-8': [[4, 8, 16, 16], [4, 8, 16, 16], [8, 8, 3, 3]] }, 8).regimes('witness'),
  bw({ padding: [1, 1] }, [1, 0, 0], { '3x3-k576-1x8x6x6-to-64': [[1, 64, 6, 6], [1, 8, 6, 6], [64, 8, 3, 3]] }).regimes('witness'),
];

const cdist = (p: number, mode: number | null) => (t: Arg[]) => ({ args: [t[0] ?? none, t[1] ?? none, arg.float(p), mode === null ? none : arg.int(mode)] });
const pdist = (p: number) => (t: Arg[]) => ({ args: [t[0] ?? none, arg.float(p)] });
const pTag = (p: number) => (p === Infinity ? 'pinf' : `p${String(p).replace('.', '_')}`);

const cd = (p: number, mode: number | null, shapes: Record<string, number[][]>) =>
  CaseGroup.of('aten._cdist_forward.default')
    .tag(`${pTag(p)}-mode${mode ?? 'default'}`)
    .dtypes(F)
    .shapes(shapes)
    .values('normal')
    .call(cdist(p, mode));

const pd = (p: number, shapes: Record<string, number[][]>) => CaseGroup.of('aten._pdist_forward.default').tag(pTag(p)).dtypes(F).shapes(shapes).values('normal').call(pdist(p));

const DISTANCE: CaseGroup[] = [
  // p = 2 by the direct kernel: at most 25 rows in the default mode, or mode 2 ('donot_use_mm_for_euclid_dist')
  cd(2, null, { '10x16-12x16': [[10, 16], [12, 16]] }).layouts('contiguous', 'transposed').regimes(),
  cd(2, 2, { '40x32-30x32': [[40, 32], [30, 32]] }).regimes(),
  // p = 2 by the matrix-product formula PyTorch allows: the default mode beyond 25 rows, and mode 1 always
  cd(2, null, { '32x64-30x64': [[32, 64], [30, 64]], 'batch-2x1x26x8-3x6x8': [[2, 1, 26, 8], [3, 6, 8]] }).regimes('close', 'nan'),
  cd(2, 1, { '8x16-9x16': [[8, 16], [9, 16]] }).regimes('close', 'nan'),
  // the other norms: p = 1, 0 (a count of differing columns: values with ties), ∞, and a general p
  cd(1, null, { 'batch-2x20x16-2x24x16': [[2, 20, 16], [2, 24, 16]] }).layouts('contiguous', 'transposed').regimes(),
  cd(0, null, { '12x16-10x16': [[12, 16], [10, 16]] }).values('ties').regimes('nan', 'nan-inf'),
  cd(Infinity, null, { '12x16-10x16': [[12, 16], [10, 16]] }).regimes('close'),
  cd(3, null, { '12x16-10x16': [[12, 16], [10, 16]] }).regimes(),
  // edges: broadcast batch dims, no rows, no columns
  cd(2, null, { 'broadcast-2x1x5x8-3x6x8': [[2, 1, 5, 8], [3, 6, 8]], 'empty-0x4-5x4': [[0, 4], [5, 4]], 'no-columns-3x0-4x0': [[3, 0], [4, 0]] }),
  pd(2, { '20x16': [[20, 16]], 'one-row-1x4': [[1, 4]] }).regimes(),
  pd(1, { '20x16': [[20, 16]] }).regimes(),
  pd(0, { '20x16': [[20, 16]] }).values('ties').regimes('nan', 'nan-inf'),
  pd(Infinity, { '20x16': [[20, 16]] }).regimes('close'),
  pd(1.5, { '20x16': [[20, 16]] }).regimes(),
];

// _fft_r2c(self, dim, normalization, onesided): spectrogram frames (400 points, Whisper's window), powers of two,
// an odd length, a 2-d transform, a transform over a leading dim, the full (two-sided) spectrum, each normalisation
const fftCall = (dims: number[], normalization: number, onesided: boolean) => (t: Arg[]) => ({ args: [...t, arg.ints(dims), arg.int(normalization), arg.bool(onesided)] });
const FFT: CaseGroup[] = [
  { name: '4x64-dim1', shape: [4, 64], dims: [1], norm: 0, onesided: true },
  { name: '2x400-dim1-frames', shape: [2, 400], dims: [1], norm: 0, onesided: true },
  { name: '3x99-dim1-odd-backward-norm', shape: [3, 99], dims: [1], norm: 2, onesided: true },
  { name: '2x8x16-dims12-ortho', shape: [2, 8, 16], dims: [1, 2], norm: 1, onesided: true },
  { name: '16x6-dim0', shape: [16, 6], dims: [0], norm: 0, onesided: true },
  { name: '3x32-dim1-two-sided', shape: [3, 32], dims: [1], norm: 0, onesided: false },
].map(({ name, shape, dims, norm, onesided }) =>
  CaseGroup.of('aten._fft_r2c.default').dtypes(['float32', 'float64']).shapes({ [name]: [shape] }).layouts('contiguous', 'transposed').call(fftCall(dims, norm, onesided)),
);

/** The core suite's convolution, distance and FFT cases. */
export const CONVOLUTION: CaseGroup[] = [...CONV, ...BACKWARD, ...DISTANCE, ...FFT];
