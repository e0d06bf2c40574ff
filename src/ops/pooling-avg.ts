import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { AccurateSum, exactInAnyOrder, finiteMagnitude, lowBitExponent } from './numerics.js';
import { boolParam, input, intsParam, optionalIntParam, tensorParam } from './params.js';
import {
  adaptiveAxisWindows,
  avgAxisWindows,
  check1d,
  checkDimRange,
  checkDimSize,
  inputMeta,
  maxCover,
  outputUlps,
  planesOf,
  planeWindows,
  poolAxes,
  poolInts,
  poolShapeCheck,
  requireFloating,
  requireSameDtype,
  shapeText,
  sizeAt,
  type Axis,
  type PlaneWindows,
} from './pooling-common.js';
import { POOL_NAN, POOL_WITNESS } from './pooling-regimes.js';
import { opmathType } from './promotion.js';
import type { Accuracy, OpCall, OpDef, RefOutput } from './types.js';

/*
 * Average pooling, adaptive average pooling and their backward. Every output is a window sum divided by a count:
 * judged by the accumulation rule in the dtype's accumulation type (float32 for float16/bfloat16, as PyTorch's CPU and
 * CUDA kernels sum), k = the largest window, Σ|x|/divisor as the scale, and 2 ULPs for the division (CUDA may multiply
 * by the reciprocal; adaptive pooling divides twice, by the window's height and then its width).
 */

/** The forward rule: window sums in the accumulation dtype, then a division (2 ULPs). */
const forwardAccuracy = (dtype: DType): Accuracy => ({ kind: 'accumulation', accumDtype: opmathType(dtype), ulps: 2 });

/**
 * Forward reference: per plane and output position, Σ x over the window / divisor. Windows whose sum is exact in the
 * accumulation dtype in every order (a precision witness) are marked exact, so only the division's rounding is allowed.
 * Integer (int64) average pooling truncates the quotient, as C++ integer division does.
 */
function windowMeans(x: Float64Array, planes: number, w: PlaneWindows, divisor: (o: number) => number, dtype: DType, outShape: number[]): RefOutput {
  const n = planes * w.outPlane;
  const values = new Float64Array(n);
  if (!isFloating(dtype)) {
    for (let p = 0; p < planes; p++) {
      for (let o = 0; o < w.outPlane; o++) {
        let s = 0n;
        for (const e of w.cells[o] as Int32Array) s += BigInt(x[p * w.inPlane + e] ?? 0);
        values[p * w.outPlane + o] = Number(s / BigInt(divisor(o)));
      }
    }
    return { shape: outShape, values };
  }
  const absSum = new Float64Array(n);
  const sumScale = new Float64Array(n);
  const exact = new Uint8Array(n);
  const acc = opmathType(dtype);
  let terms = 1;
  for (const c of w.cells) terms = Math.max(terms, c.length);
  for (let p = 0; p < planes; p++) {
    const base = p * w.inPlane;
    for (let o = 0; o < w.outPlane; o++) {
      const cell = w.cells[o] as Int32Array;
      const s = new AccurateSum();
      let a = 0;
      let f = 0;
      let grid = Infinity;
      for (const e of cell) {
        const v = x[base + e] ?? NaN;
        s.add(v);
        a += Math.abs(v);
        f += finiteMagnitude(v);
        if (v !== 0 && v - v === 0) grid = Math.min(grid, lowBitExponent(v));
      }
      const d = divisor(o);
      const i = p * w.outPlane + o;
      values[i] = s.value() / d;
      absSum[i] = a / Math.abs(d);
      sumScale[i] = f;
      exact[i] = exactInAnyOrder(a, grid, acc) ? 1 : 0;
    }
  }
  return { shape: outShape, values, absSum, sumScale, terms, exact };
}

/**
 * Backward reference: each output's gradient divided by its divisor (`divisions` roundings: one for avg_pool, two for
 * adaptive pooling's g / kh / kw), added to every input element its window read. k = the most windows that read one
 * element plus the divisions; the accumulation is float32 for float16/bfloat16, as CUDA's kernels keep it.
 */
function windowGradients(g: Float64Array, planes: number, w: PlaneWindows, divisor: (o: number) => number, divisions: number, inShape: number[], dtype: DType): RefOutput {
  const n = planes * w.inPlane;
  if (!isFloating(dtype)) {
    // int64: each gradient divided as C++ integers divide (truncating), then summed exactly
    const values = new Float64Array(n);
    for (let p = 0; p < planes; p++) {
      for (let o = 0; o < w.outPlane; o++) {
        const delta = Number(BigInt(g[p * w.outPlane + o] ?? 0) / BigInt(divisor(o)));
        for (const e of w.cells[o] as Int32Array) values[p * w.inPlane + e] = (values[p * w.inPlane + e] as number) + delta;
      }
    }
    return { shape: inShape, values };
  }
  const sums = Array.from({ length: n }, () => new AccurateSum());
  const absSum = new Float64Array(n);
  const sumScale = new Float64Array(n);
  for (let p = 0; p < planes; p++) {
    for (let o = 0; o < w.outPlane; o++) {
      const delta = (g[p * w.outPlane + o] ?? NaN) / divisor(o);
      for (const e of w.cells[o] as Int32Array) {
        const i = p * w.inPlane + e;
        (sums[i] as AccurateSum).add(delta);
        absSum[i] = (absSum[i] as number) + Math.abs(delta);
        sumScale[i] = (sumScale[i] as number) + finiteMagnitude(delta);
      }
    }
  }
  const values = Float64Array.from(sums, (s) => s.value());
  return { shape: inShape, values, absSum, sumScale, terms: maxCover(w) + divisions };
}

const backwardAccuracy = (dtype: DType): Accuracy => ({ kind: 'accumulation', accumDtype: opmathType(dtype), ulps: outputUlps(dtype) });

// ── avg_pool1d / avg_pool2d / avg_pool3d ──────────────────────────────────────────────────────────────────────

interface AvgParams {
  axes: Axis[];
  countIncludePad: boolean;
  divisorOverride: number | null;
  /** leading (batch, channel) dims */
  lead: number;
}

/** The divisor of each output position of a plane: divisor_override, else the padded or the clipped window size. */
function avgDivisor(w: PlaneWindows, p: AvgParams): (o: number) => number {
  if (p.divisorOverride !== null) {
    const d = p.divisorOverride;
    return () => d;
  }
  return p.countIncludePad ? (o) => w.padded[o] as number : (o) => (w.cells[o] as Int32Array).length;
}

function avgWindows(spatial: number[], p: AvgParams): PlaneWindows {
  return planeWindows(spatial, p.axes.map(avgAxisWindows));
}

/** Dtypes average pooling has kernels for: floating ones and int64 (PyTorch's CPU kernels dispatch Long too). */
function requireAvgDtype(kernel: string, d: DType): void {
  if (d !== 'int64') requireFloating(kernel, d);
}

/**
 * avg_pool2d / avg_pool3d's arguments (`n` spatial dims) from position `at` on: kernel_size, stride, padding,
 * ceil_mode, count_include_pad, divisor_override, with PyTorch's messages (AveragePool2d.cpp, AveragePool3d.cpp).
 */
function parseAvg(call: OpCall, shape: number[], at: number, n: 2 | 3, op: string): AvgParams {
  const tuple = n === 2 ? 'a tuple of two ints' : 'a tuple of three ints';
  const k = poolInts(call, at, 'kernel_size', n, null, n === 2 ? `${op}: kernel_size must either be a single int, or ${tuple}` : `${op}: kernel_size must be a single int, or ${tuple}`);
  const s = poolInts(call, at + 1, 'stride', n, [], n === 2 ? `${op}: stride must either be omitted, a single int, or ${tuple}` : `${op}: stride must be omitted, a single number, or ${tuple}`, true);
  const pad = poolInts(call, at + 2, 'padding', n, [0], n === 2 ? `${op}: padding must either be a single int, or ${tuple}` : `${op}: padding must be a single int, or ${tuple}`);
  const ceil = boolParam(call, at + 3, 'ceil_mode', false);
  const countIncludePad = boolParam(call, at + 4, 'count_include_pad', true);
  const divisorOverride = optionalIntParam(call, at + 5, 'divisor_override');
  if (n === 3 && shape.length !== 4 && shape.length !== 5) throw new Error('non-empty 4D or 5D (batch mode) tensor expected for input');
  if (divisorOverride === 0) throw new Error('divisor must be not zero');
  // input.size(-3) comes before any shape check: a 1-d or 2-d input is an IndexError in PyTorch
  sizeAt(shape, -(n + 1));
  const spatial = shape.slice(shape.length - n);
  const axes = poolAxes(spatial, k, s, pad, Array.from({ length: n }, () => 1), ceil);
  const lead = shape.length - n;
  if (n === 2 && shape.length !== 3 && shape.length !== 4) throw new Error(`Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${shapeText(shape)}`);
  poolShapeCheck(shape, axes, lead, `${op}_out_cpu_template`);
  // AveragePool3d also refuses an input smaller than the kernel, padding or not
  if (n === 3 && axes.some((a) => a.size < a.k)) {
    const [t, h, w] = axes;
    throw new Error(`input image (T: ${t?.size} H: ${h?.size} W: ${w?.size}) smaller than kernel size (kT: ${t?.k} kH: ${h?.k} kW: ${w?.k})`);
  }
  return { axes, countIncludePad, divisorOverride, lead };
}

function avgPoolNd(name: string, n: 2 | 3, kernel: string): OpDef {
  return {
    name: `aten.${name}.default`,
    family: 'pooling',
    bind(call) {
      const self = tensorParam(call, 0, 'self');
      const m = inputMeta(call, self);
      const p = parseAvg(call, m.shape, 1, n, name);
      requireAvgDtype(kernel, m.dtype);
      const shape = [...m.shape.slice(0, p.lead), ...p.axes.map((a) => a.out)];
      return {
        outputs: [{ dtype: m.dtype, shape, accuracy: isFloating(m.dtype) ? forwardAccuracy(m.dtype) : { kind: 'exact' } }],
        reference(inputs) {
          const t = input(inputs, self);
          const w = avgWindows(m.shape.slice(p.lead), p);
          return [windowMeans(t.values, planesOf(m.shape, n), w, avgDivisor(w, p), m.dtype, shape)];
        },
      };
    },
    regimes: [POOL_NAN, POOL_WITNESS],
  };
}

// avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor
export const avgPool2d = avgPoolNd('avg_pool2d', 2, 'avg_pool2d');
// avg_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor
export const avgPool3d = avgPoolNd('avg_pool3d', 3, 'avg_pool3d_out_frame');

// avg_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=0, bool ceil_mode=False, bool count_include_pad=True) -> Tensor
// A composite: avg_pool2d over self.unsqueeze(-2) with kernel [1, k], then squeeze(-2).
export const avgPool1d: OpDef = {
  name: 'aten.avg_pool1d.default',
  family: 'pooling',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = inputMeta(call, self);
    const k = intsParam(call, 1, 'kernel_size') ?? [];
    const stride = intsParam(call, 2, 'stride') ?? [];
    const padding = intsParam(call, 3, 'padding') ?? [0];
    checkDimRange('avg_pool1d', m.shape.length, 2, 4);
    check1d('avg_pool1d', 'kernel_size', k);
    const s = stride.length === 0 ? k : stride;
    check1d('avg_pool1d', 'stride', s);
    check1d('avg_pool1d', 'padding', padding);
    const ceil = boolParam(call, 4, 'ceil_mode', false);
    const countIncludePad = boolParam(call, 5, 'count_include_pad', true);
    const as2d = [...m.shape.slice(0, -1), 1, m.shape[m.shape.length - 1] as number];
    const axes = poolAxes(as2d.slice(-2), [1, k[0] as number], [1, s[0] as number], [0, padding[0] as number], [1, 1], ceil);
    poolShapeCheck(as2d, axes, as2d.length - 2, 'avg_pool2d');
    requireAvgDtype('avg_pool2d', m.dtype);
    const p: AvgParams = { axes, countIncludePad, divisorOverride: null, lead: as2d.length - 2 };
    const shape = [...m.shape.slice(0, -1), (axes[1] as Axis).out];
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: isFloating(m.dtype) ? forwardAccuracy(m.dtype) : { kind: 'exact' } }],
      reference(inputs) {
        const t = input(inputs, self);
        const w = avgWindows(as2d.slice(-2), p);
        return [windowMeans(t.values, planesOf(as2d, 2), w, avgDivisor(w, p), m.dtype, shape)];
      },
    };
  },
  regimes: [POOL_NAN, POOL_WITNESS],
};

// avg_pool2d_backward(Tensor grad_output, Tensor self, int[2] kernel_size, int[2] stride, int[2] padding, bool ceil_mode, bool count_include_pad, int? divisor_override) -> Tensor
export const avgPool2dBackward: OpDef = {
  name: 'aten.avg_pool2d_backward.default',
  family: 'pooling',
  bind(call) {
    const gradIndex = tensorParam(call, 0, 'grad_output');
    const self = tensorParam(call, 1, 'self');
    const g = inputMeta(call, gradIndex);
    const m = inputMeta(call, self);
    const p = parseAvg(call, m.shape, 2, 2, 'avg_pool2d');
    requireSameDtype(m.dtype, g.dtype, 'gradOutput');
    const rank = m.shape.length;
    checkDimSize('grad_output', g.shape, rank, rank - 3, m.shape[rank - 3] as number);
    checkDimSize('grad_output', g.shape, rank, rank - 2, (p.axes[0] as Axis).out);
    checkDimSize('grad_output', g.shape, rank, rank - 1, (p.axes[1] as Axis).out);
    if (rank === 4 && g.shape[0] !== m.shape[0]) throw new Error(`avg_pool2d_backward: grad_output has batch size ${g.shape[0]}, the input ${m.shape[0]}`);
    requireAvgDtype('avg_pool2d_backward_out_frame', m.dtype);
    const shape = [...m.shape];
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: isFloating(m.dtype) ? backwardAccuracy(m.dtype) : { kind: 'exact' } }],
      reference(inputs) {
        const w = avgWindows(m.shape.slice(p.lead), p);
        return [windowGradients(input(inputs, gradIndex).values, planesOf(m.shape, 2), w, avgDivisor(w, p), 1, shape, m.dtype)];
      },
    };
  },
};

// ── adaptive average pooling ──────────────────────────────────────────────────────────────────────────────────

/** Output sizes of adaptive pooling: n non-negative ints (PyTorch's own check is an overflow in numel). */
function adaptiveSizes(call: OpCall, n: number, op: string): number[] {
  const sizes = intsParam(call, 1, 'output_size') ?? [];
  if (sizes.length !== n) throw new Error(`${op}: output_size must be ${n}`);
  if (sizes.some((s) => s < 0)) throw new Error(`${op}: elements of output_size must be greater than or equal to 0 but received {${sizes.join(', ')}}`);
  return sizes;
}

function adaptiveWindows(spatial: number[], out: number[]): PlaneWindows {
  return planeWindows(
    spatial,
    spatial.map((s, i) => adaptiveAxisWindows(s, out[i] as number)),
  );
}

/** The adaptive window's element count: its height times its width (times its depth). */
const windowCount = (w: PlaneWindows) => (o: number) => (w.cells[o] as Int32Array).length;

/** _adaptive_avg_pool2d / _adaptive_avg_pool3d (and adaptive_avg_pool1d through the 2-d one). */
function adaptiveForward(call: OpCall, n: 2 | 3, op: string, kernel: string): { self: number; dtype: DType; shape: number[]; inShape: number[] } {
  const self = tensorParam(call, 0, 'self');
  const m = inputMeta(call, self);
  const out = adaptiveSizes(call, n, op);
  const rank = m.shape.length;
  if (n === 3) {
    const empty = m.shape.findIndex((s, i) => i >= 1 && s === 0);
    if (empty >= 1) throw new Error(`${op}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${shapeText(m.shape)} with dimension ${empty} being empty`);
  }
  if (rank !== n + 1 && rank !== n + 2) throw new Error(`${op}(): Expected ${n + 1}D or ${n + 2}D tensor, but got ${shapeText(m.shape)}`);
  if (n === 2) {
    for (const d of [rank - 2, rank - 1]) {
      if (m.shape[d] === 0) throw new Error(`${op}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${shapeText(m.shape)} with dimension ${d} being empty`);
    }
  }
  requireFloating(kernel, m.dtype);
  return { self, dtype: m.dtype, shape: [...m.shape.slice(0, rank - n), ...out], inShape: m.shape };
}

function adaptiveDef(name: string, n: 2 | 3, op: string, kernel: string): OpDef {
  return {
    name,
    family: 'pooling',
    bind(call) {
      const f = adaptiveForward(call, n, op, kernel);
      return {
        outputs: [{ dtype: f.dtype, shape: f.shape, accuracy: forwardAccuracy(f.dtype) }],
        reference(inputs) {
          const w = adaptiveWindows(f.inShape.slice(-n), f.shape.slice(-n));
          return [windowMeans(input(inputs, f.self).values, planesOf(f.inShape, n), w, windowCount(w), f.dtype, f.shape)];
        },
      };
    },
    regimes: [POOL_NAN, POOL_WITNESS],
  };
}

// _adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor
export const adaptiveAvgPool2d = adaptiveDef('aten._adaptive_avg_pool2d.default', 2, 'adaptive_avg_pool2d', 'adaptive_avg_pool2d');
// _adaptive_avg_pool3d(Tensor self, SymInt[3] output_size) -> Tensor
export const adaptiveAvgPool3d = adaptiveDef('aten._adaptive_avg_pool3d.default', 3, 'adaptive_avg_pool3d', 'adaptive_avg_pool3d_cpu');

// adaptive_avg_pool1d(Tensor self, int[1] output_size) -> Tensor
// A composite: adaptive_avg_pool2d over self.unsqueeze(-2) to [1, L], then squeeze(-2) (output 1 becomes a mean).
export const adaptiveAvgPool1d: OpDef = {
  name: 'aten.adaptive_avg_pool1d.default',
  family: 'pooling',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = inputMeta(call, self);
    checkDimRange('adaptive_avg_pool1d', m.shape.length, 2, 4);
    const out = intsParam(call, 1, 'output_size') ?? [];
    check1d('adaptive_avg_pool1d', 'output_size', out);
    if ((out[0] as number) < 0) throw new Error(`adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {1, ${out[0]}}`);
    if (m.shape[m.shape.length - 1] === 0) {
      throw new Error(`adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${shapeText([...m.shape.slice(0, -1), 1, 0])} with dimension ${m.shape.length} being empty`);
    }
    requireFloating('adaptive_avg_pool2d', m.dtype);
    const shape = [...m.shape.slice(0, -1), out[0] as number];
    const len = m.shape[m.shape.length - 1] as number;
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: forwardAccuracy(m.dtype) }],
      reference(inputs) {
        const w = adaptiveWindows([len], [out[0] as number]);
        return [windowMeans(input(inputs, self).values, planesOf(m.shape, 1), w, windowCount(w), m.dtype, shape)];
      },
    };
  },
  regimes: [POOL_NAN, POOL_WITNESS],
};

// _adaptive_avg_pool2d_backward(Tensor grad_output, Tensor self) -> Tensor
export const adaptiveAvgPool2dBackward: OpDef = {
  name: 'aten._adaptive_avg_pool2d_backward.default',
  family: 'pooling',
  bind(call) {
    const gradIndex = tensorParam(call, 0, 'grad_output');
    const self = tensorParam(call, 1, 'self');
    const g = inputMeta(call, gradIndex);
    const m = inputMeta(call, self);
    const rank = g.shape.length;
    const empty = g.shape.findIndex((s, i) => i >= 1 && s === 0);
    if (empty >= 1) throw new Error(`adaptive_avg_pool2d_backward(): Expected grad_output to have non-zero size for non-batch dimensions, but grad_output has sizes ${shapeText(g.shape)} with dimension ${empty} being empty`);
    if (m.shape.length !== 3 && m.shape.length !== 4) throw new Error(`adaptive_avg_pool2d_backward(): Expected 3D or 4D tensor, but got ${shapeText(m.shape)}`);
    requireSameDtype(m.dtype, g.dtype, 'grad_output');
    // PyTorch 1.13 does not check the leading dims (a mismatch reads out of bounds); PyTorch's autograd never makes one
    if (rank !== m.shape.length || g.shape.slice(0, -2).some((s, i) => s !== m.shape[i])) {
      throw new Error(`adaptive_avg_pool2d_backward(): grad_output ${shapeText(g.shape)} does not match the input ${shapeText(m.shape)} outside its last two dims`);
    }
    requireFloating('adaptive_avg_pool2d_backward', m.dtype);
    const shape = [...m.shape];
    const nondeterministic = true;
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: backwardAccuracy(m.dtype) }],
      reference(inputs) {
        const w = adaptiveWindows(m.shape.slice(-2), g.shape.slice(-2));
        return [windowGradients(input(inputs, gradIndex).values, planesOf(m.shape, 2), w, windowCount(w), 2, shape, m.dtype)];
      },
      // PyTorch documents its CUDA kernel as nondeterministic (atomic adds; torch.use_deterministic_algorithms lists it)
      nondeterministic,
    };
  },
};
