import { arg } from '../../src/ops/args.js';
import { benchCase, randn, type BenchDefinition } from '../../src/suite/bench-builder.js';
import { dtypeInfo, type DType } from '../../src/tensor/dtype.js';
import type { BenchScale } from '../../src/workload/bench.js';
import type { BenchCase } from '../../src/workload/case.js';

const FLOATS: DType[] = ['float32', 'bfloat16', 'float16'];
const t = arg.tensor;
const bytesOf = (dtype: DType, elements: number): number => elements * dtypeInfo(dtype).itemsize;
const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const dims = (shape: number[]): string => shape.join('x');

/** The sizes of each scale: small runs on a CPU in seconds, full sizes a datacenter accelerator. */
interface Sizes {
  squares: number[];
  /** LLM GEMMs, M×K×N: a prefill over many tokens, a decode step of one token (a GEMV, bound by memory) */
  prefill: [number, number, number];
  decode: [number, number, number];
  /** elements streamed by copy and add: well past the last-level cache */
  stream: number;
  /** rows × columns of softmax and layer_norm */
  rows: [number, number];
  /** batch, heads, sequence, head dim of causal attention */
  attention: [number, number, number, number];
  /** images per ResNet-50 convolution */
  batch: number;
}

export const SIZES: Readonly<Record<BenchScale, Sizes>> = {
  small: { squares: [256, 1024], prefill: [128, 1024, 2816], decode: [1, 1024, 2816], stream: 1 << 24, rows: [4096, 1024], attention: [1, 8, 512, 64], batch: 1 },
  // Llama-2-7B's MLP up-projection (4096 → 11008) over 4096 tokens and for one; 512 MiB streams; 16k rows of 4096
  full: { squares: [4096, 8192], prefill: [4096, 4096, 11008], decode: [1, 4096, 11008], stream: 1 << 27, rows: [16384, 4096], attention: [4, 32, 4096, 128], batch: 64 },
};

function mm(name: string, dtype: DType, [m, k, n]: [number, number, number], extra: Partial<BenchDefinition> = {}): BenchDefinition {
  return {
    family: 'matmul',
    name: `${name}-${m}x${k}x${n}`,
    dtype,
    inputs: [randn(dtype, [m, k]), randn(dtype, [k, n])],
    workload: { kind: 'op', op: 'aten.mm.default', args: [t(0), t(1)], kwargs: {} },
    work: { flops: 2 * m * k * n, bytes: bytesOf(dtype, m * k + k * n + m * n), items: null },
    bound: m === 1 ? 'memory' : 'compute',
    ...extra,
  };
}

/**
 * float8 GEMM as PyTorch runs it: `_scaled_mm` of an e4m3 row-major A and a column-major B with float32 scales,
 * bfloat16 out. A device (or a PyTorch) without it says unsupported, and the benchmark is not applicable there.
 */
function scaledMm(size: number): BenchDefinition {
  const scale = { dtype: 'float32' as const, shape: [], layout: { kind: 'contiguous' as const }, recipe: { kind: 'uniform' as const, low: 0.5, high: 1 } };
  return {
    family: 'matmul',
    name: `scaled-mm-${size}x${size}x${size}`,
    dtype: 'float8_e4m3fn',
    inputs: [randn('float8_e4m3fn', [size, size]), { ...randn('float8_e4m3fn', [size, size]), layout: { kind: 'transposed' } }, scale, scale],
    workload: { kind: 'op', op: 'aten._scaled_mm.default', args: [t(0), t(1), t(2), t(3)], kwargs: { out_dtype: { kind: 'dtype', value: 'bfloat16' } } },
    work: { flops: 2 * size ** 3, bytes: 2 * size * size + 2 * size * size, items: null },
    bound: 'compute',
  };
}

function matmul(s: Sizes): BenchDefinition[] {
  const squares = s.squares.flatMap((n) => [
    mm('mm', 'float32', [n, n, n]),
    mm('mm', 'float32', [n, n, n], { math: 'tf32' }),
    mm('mm', 'bfloat16', [n, n, n]),
    mm('mm', 'float16', [n, n, n]),
    scaledMm(n),
  ]);
  const smallest = s.squares[0] as number;
  const cold = mm('mm', 'float32', [smallest, smallest, smallest], { cache: 'cold' });
  const llm = FLOATS.flatMap((d) => [mm('prefill-mm', d, s.prefill), mm('decode-mm', d, s.decode)]);
  return [...squares, cold, ...llm];
}

/** Memory bandwidth: copy (read + write) and add (two reads, one write) into preallocated outputs. */
function memory(s: Sizes): BenchDefinition[] {
  const n = s.stream;
  const copy: BenchDefinition = {
    family: 'memory',
    name: `copy-${n}`,
    dtype: 'float32',
    inputs: [randn('float32', [n]), randn('float32', [n])],
    workload: { kind: 'op', op: 'aten.copy_.default', args: [t(0), t(1)], kwargs: {} },
    work: { flops: null, bytes: bytesOf('float32', 2 * n), items: null },
    bound: 'memory',
  };
  const add = (cache: 'hot' | 'cold'): BenchDefinition => ({
    family: 'memory',
    name: `add-${n}`,
    dtype: 'float32',
    inputs: [randn('float32', [n]), randn('float32', [n]), randn('float32', [n])],
    workload: { kind: 'op', op: 'aten.add.out', args: [t(0), t(1)], kwargs: { out: t(2) } },
    work: { flops: n, bytes: bytesOf('float32', 3 * n), items: null },
    bound: 'memory',
    cache,
  });
  return [copy, add('hot'), add('cold')];
}

function normalization(s: Sizes): BenchDefinition[] {
  const shape = [...s.rows];
  const n = numel(shape);
  const cols = s.rows[1];
  return FLOATS.flatMap((d): BenchDefinition[] => [
    {
      family: 'normalization',
      name: `softmax-${dims(shape)}`,
      dtype: d,
      inputs: [randn(d, shape)],
      workload: { kind: 'op', op: 'aten._softmax.default', args: [t(0), arg.int(-1), arg.bool(false)], kwargs: {} },
      work: { flops: 5 * n, bytes: bytesOf(d, 2 * n), items: null },
      bound: 'memory',
    },
    {
      family: 'normalization',
      name: `layer-norm-${dims(shape)}`,
      dtype: d,
      inputs: [randn(d, shape), randn(d, [cols]), randn(d, [cols])],
      workload: { kind: 'op', op: 'aten.native_layer_norm.default', args: [t(0), arg.ints([cols]), t(1), t(2), arg.float(1e-5)], kwargs: {} },
      work: { flops: 8 * n, bytes: bytesOf(d, 2 * n), items: null },
      bound: 'memory',
    },
  ]);
}

/** Causal scaled-dot-product attention (PyTorch ≥ 2.0): QKᵀ and PV, half of each under the causal mask. */
function attention(s: Sizes): BenchDefinition[] {
  const [b, h, l, e] = s.attention;
  const shape = [b, h, l, e];
  return FLOATS.map((d) => ({
    family: 'attention',
    name: `sdpa-causal-${dims(shape)}`,
    dtype: d,
    inputs: [randn(d, shape), randn(d, shape), randn(d, shape)],
    workload: { kind: 'op', op: 'aten.scaled_dot_product_attention.default', args: [t(0), t(1), t(2), arg.none(), arg.float(0), arg.bool(true)], kwargs: {} },
    work: { flops: (4 * b * h * l * l * e) / 2, bytes: bytesOf(d, 4 * numel(shape)), items: null },
    bound: 'compute' as const,
  }));
}

/** ResNet-50's convolutions: the stem, a 3×3 of the first and third stages, a 1×1 bottleneck reduction. */
const RESNET50_CONVS: { name: string; cin: number; cout: number; size: number; kernel: number; stride: number; padding: number }[] = [
  { name: 'conv1', cin: 3, cout: 64, size: 224, kernel: 7, stride: 2, padding: 3 },
  { name: 'layer1-3x3', cin: 64, cout: 64, size: 56, kernel: 3, stride: 1, padding: 1 },
  { name: 'layer1-1x1-reduce', cin: 256, cout: 64, size: 56, kernel: 1, stride: 1, padding: 0 },
  { name: 'layer3-3x3', cin: 256, cout: 256, size: 14, kernel: 3, stride: 1, padding: 1 },
];

function convolution(s: Sizes): BenchDefinition[] {
  return RESNET50_CONVS.flatMap((c) =>
    FLOATS.map((d): BenchDefinition => {
      const out = Math.floor((c.size + 2 * c.padding - c.kernel) / c.stride) + 1;
      const x = [s.batch, c.cin, c.size, c.size];
      const w = [c.cout, c.cin, c.kernel, c.kernel];
      return {
        family: 'convolution',
        name: `resnet50-${c.name}-${dims(x)}`,
        dtype: d,
        inputs: [randn(d, x), randn(d, w)],
        workload: {
          kind: 'op',
          op: 'aten.convolution.default',
          args: [t(0), t(1), arg.none(), arg.ints([c.stride, c.stride]), arg.ints([c.padding, c.padding]), arg.ints([1, 1]), arg.bool(false), arg.ints([0, 0]), arg.int(1)],
          kwargs: {},
        },
        work: { flops: 2 * s.batch * c.cout * out * out * c.cin * c.kernel * c.kernel, bytes: bytesOf(d, numel(x) + numel(w) + s.batch * c.cout * out * out), items: null },
        bound: 'compute',
      };
    }),
  );
}

/** The op benchmarks of a scale. */
export function kernelCases(suite: string, scale: BenchScale): BenchCase[] {
  const s = SIZES[scale];
  return [...matmul(s), ...memory(s), ...normalization(s), ...attention(s), ...convolution(s)].map((d) => benchCase(suite, scale, d));
}
