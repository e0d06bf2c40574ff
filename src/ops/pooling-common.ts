import type { DType } from '../tensor/dtype.js';
import { isFloating, LOW_PRECISION } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { intsParam, meta } from './params.js';
import type { OpCall } from './types.js';
import { scalarTypeName } from '../tensor/dtype.js';

/*
 * What the pooling family shares: argument parsing with PyTorch's messages, output sizes (pooling_output_shape in
 * aten/src/ATen/native/Pool.h), and the windows each output element reads, as flat offsets within one plane.
 */

/** c10's name of a dtype, as PyTorch's "not implemented for 'Half'" messages spell it. */
export { scalarTypeName };

/** The lower-case name PyTorch prints a dtype with in "expected dtype float for `gradOutput`". */
function torchDtypeName(d: DType): string {
  const names: Partial<Record<DType, string>> = { float64: 'double', float32: 'float', float16: 'c10::Half', bfloat16: 'c10::BFloat16', int64: 'long int', uint8: 'unsigned char' };
  return names[d] ?? d;
}

/** PyTorch's refusal of a dtype its kernel does not dispatch. */
export function notImplemented(kernel: string, d: DType): Error {
  return new Error(`"${kernel}" not implemented for '${scalarTypeName(d)}'`);
}

/** Floating dtypes only (float8 has no pooling kernels): PyTorch's message otherwise. */
export function requireFloating(kernel: string, d: DType): void {
  if (!isFloating(d) || d.startsWith('float8')) throw notImplemented(kernel, d);
}

/** A backward's gradient must have the forward input's dtype. */
export function requireSameDtype(self: DType, grad: DType, gradName: string): void {
  if (self !== grad) throw new Error(`expected dtype ${torchDtypeName(self)} for \`${gradName}\` but got dtype ${torchDtypeName(grad)}`);
}

export const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Output rounding an accumulation allows: a float16/bfloat16 output rounds its float32 accumulator once more. */
export function outputUlps(dtype: DType): number {
  return LOW_PRECISION.includes(dtype) ? 1 : 0.5;
}

/**
 * An `int[n]` argument that takes one int for all n dims, or n of them (`allowEmpty`: stride=[] means the kernel
 * size). Throws `message` otherwise.
 */
export function poolInts(call: OpCall, pos: number, name: string, n: number, dflt: number[] | null, message: string, allowEmpty = false): number[] {
  const v = intsParam(call, pos, name) ?? dflt;
  if (v === null) throw new Error(`argument '${name}' must be a list of ints, got nothing`);
  if (v.length === 0 && allowEmpty) return [];
  if (v.length !== 1 && v.length !== n) throw new Error(message);
  return v.length === 1 ? Array.from({ length: n }, () => v[0] as number) : [...v];
}

/** `checkDimRange(name, self, lo, hi)`: rank in [lo, hi). */
export function checkDimRange(op: string, rank: number, lo: number, hi: number): void {
  if (rank < lo || rank >= hi) {
    throw new Error(`Expected ${lo} to ${hi - 1} dimensions, but got ${rank}-dimensional tensor for argument #1 'self' (while checking arguments for ${op})`);
  }
}

/** `check1d`: a 1-d pooling argument holds exactly one int. */
export function check1d(op: string, name: string, v: readonly number[]): void {
  if (v.length !== 1) throw new Error(`${op}() argument '${name}' should contain one int (got ${v.length})`);
}

/** `input.size(dim)` with a negative dim, and PyTorch's IndexError when the tensor has too few dims. */
export function sizeAt(shape: readonly number[], dim: number): number {
  const r = shape.length;
  if (r === 0) throw new Error(`Dimension specified as ${dim} but tensor has no dimensions`);
  if (dim < -r || dim >= r) throw new Error(`Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`);
  return shape[dim < 0 ? dim + r : dim] as number;
}

/** Floor division (div_rtn: rounds toward −inf). */
function divRtn(a: number, b: number): number {
  return Math.floor(a / b);
}

/**
 * pooling_output_shape: floor((in + 2p − d(k − 1) − 1 [+ s − 1 with ceil_mode]) / s) + 1, and with ceil_mode the
 * last window must start inside the input or its left padding. PyTorch 1.13's checks (pad ≤ k/2, which 2.x relaxes to
 * half the dilated kernel: the suites keep pad ≤ k/2 so both versions accept every case).
 */
export function poolingOutputSize(size: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  if (s === 0) throw new Error('stride should not be zero');
  if (p < 0) throw new Error(`pad must be non-negative, but got pad: ${p}`);
  if (p > Math.trunc(k / 2)) throw new Error(`pad should be at most half of kernel size, but got pad=${p} and kernel_size=${k}`);
  let out = divRtn(size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0), s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** One spatial axis of a pooling call: input size, kernel, stride, padding, dilation and the output size. */
export interface Axis {
  size: number;
  k: number;
  s: number;
  p: number;
  d: number;
  out: number;
}

/** kernel, stride (empty: the kernel), padding, dilation per axis → the axes with their output sizes. */
export function poolAxes(sizes: readonly number[], k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], ceil: boolean): Axis[] {
  return sizes.map((size, i) => {
    const ki = k[i] as number;
    const si = s.length === 0 ? ki : (s[i] as number);
    const pi = p[i] as number;
    const di = d[i] as number;
    return { size, k: ki, s: si, p: pi, d: di, out: poolingOutputSize(size, ki, pi, si, di, ceil) };
  });
}

/**
 * pool2d_shape_check / pool3d_shape_check: positive kernel, stride and dilation, non-empty non-batch dims, pad at most
 * half the kernel, and an output of at least one element. `lead` is the number of leading (batch, channel) dims.
 */
export function poolShapeCheck(shape: readonly number[], axes: readonly Axis[], lead: number, fn: string): void {
  const n = axes.length;
  const names = n === 3 ? ['T', 'H', 'W'] : ['H', 'W'];
  const ks = axes.map((a, i) => `k${names[i]}: ${a.k}`).join(' ');
  if (axes.some((a) => a.k <= 0)) throw new Error(`kernel size should be greater than zero, but got ${n === 3 ? ks : `kH: ${axes[0]?.k} kW: ${axes[1]?.k}`}`);
  if (axes.some((a) => a.s <= 0)) throw new Error(`stride should be greater than zero, but got ${axes.map((a, i) => `d${names[i]}: ${a.s}`).join(' ')}`);
  if (axes.some((a) => a.d <= 0)) throw new Error(`dilation should be greater than zero, but got ${axes.map((a, i) => `dilation${names[i]}: ${a.d}`).join(' ')}`);
  const nonBatch = shape.slice(lead === 2 ? 1 : 0);
  if (nonBatch.some((x) => x === 0)) {
    if (n === 2) throw new Error(`Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:${shapeText(shape)}`);
    const i = nonBatch.findIndex((x) => x === 0);
    throw new Error(`${fn}(): Expected input's non-batch dimensions to have positive length, but input has a shape of ${shapeText(shape)} and non-batch dimension ${nonBatch[i]} has length zero!`);
  }
  if (axes.some((a) => a.out < 1)) {
    const planes = lead === 0 ? 1 : (shape[lead - 1] as number);
    const ins = [planes, ...axes.map((a) => a.size)].join('x');
    const outs = [planes, ...axes.map((a) => a.out)].join('x');
    throw new Error(`Given input size: (${ins}). Calculated output size: (${outs}). Output size is too small`);
  }
}

/** The number of leading (batch, channel) elements: the planes a pooling op treats independently. */
export function planesOf(shape: readonly number[], spatial: number): number {
  return numel(shape.slice(0, shape.length - spatial));
}

/** Per axis and output index: the input indices a window reads (clipped to the input) and its padded size. */
export interface AxisWindows {
  /** in-bounds input indices of output index o, in increasing order */
  idx: number[][];
  /** window length counting padding (avg pooling's pool_size factor): min(start + k, size + p) − start */
  padded: number[];
}

/** Average-pooling windows of one axis: [o·s − p, min(o·s − p + k, size + p)), clipped to the input. */
export function avgAxisWindows(a: Axis): AxisWindows {
  const idx: number[][] = [];
  const padded: number[] = [];
  for (let o = 0; o < a.out; o++) {
    const start = o * a.s - a.p;
    const end = Math.min(start + a.k, a.size + a.p);
    padded.push(end - start);
    const lo = Math.max(start, 0);
    const hi = Math.min(end, a.size);
    idx.push(Array.from({ length: Math.max(hi - lo, 0) }, (_, j) => lo + j));
  }
  return { idx, padded };
}

/** Max-pooling windows of one axis: o·s − p + j·d for j < k, those inside the input. */
export function maxAxisWindows(a: Axis): AxisWindows {
  const idx: number[][] = [];
  for (let o = 0; o < a.out; o++) {
    const start = o * a.s - a.p;
    const list: number[] = [];
    for (let j = 0; j < a.k; j++) {
      const i = start + j * a.d;
      if (i >= 0 && i < a.size) list.push(i);
    }
    idx.push(list);
  }
  return { idx, padded: idx.map((l) => l.length) };
}

/**
 * Adaptive windows of one axis (AdaptivePooling.h): output o reads [floor(o·in/out), ceil((o + 1)·in/out)), so windows
 * vary in size and overlap when in/out is not an integer (and repeat when out > in).
 */
export function adaptiveAxisWindows(size: number, out: number): AxisWindows {
  const idx: number[][] = [];
  for (let o = 0; o < out; o++) {
    const lo = Math.floor((o * size) / out);
    const hi = Math.ceil(((o + 1) * size) / out);
    idx.push(Array.from({ length: hi - lo }, (_, j) => lo + j));
  }
  return { idx, padded: idx.map((l) => l.length) };
}

/** Every output position of one plane with the flat in-plane offsets it reads (row-major over the window) and its padded size. */
export interface PlaneWindows {
  /** in-plane offsets per output position, in the kernel's scan order (outer axis first) */
  cells: Int32Array[];
  /** product of the axes' padded window lengths per output position */
  padded: number[];
  /** input elements per plane, output elements per plane */
  inPlane: number;
  outPlane: number;
}

/** The windows of all output positions of a plane, from per-axis windows (1 to 3 axes, outermost first). */
export function planeWindows(sizes: readonly number[], axes: readonly AxisWindows[]): PlaneWindows {
  const n = sizes.length;
  const inStrides = sizes.map((_, i) => numel(sizes.slice(i + 1)));
  const outSizes = axes.map((a) => a.idx.length);
  const outPlane = numel(outSizes);
  const cells: Int32Array[] = [];
  const padded: number[] = [];
  const o = new Array<number>(n).fill(0);
  for (let flat = 0; flat < outPlane; flat++) {
    let rem = flat;
    for (let i = n - 1; i >= 0; i--) {
      const s = outSizes[i] as number;
      o[i] = rem % s;
      rem = Math.floor(rem / s);
    }
    const lists = axes.map((a, i) => a.idx[o[i] as number] as number[]);
    const count = numel(lists.map((l) => l.length));
    const cell = new Int32Array(count);
    let c = 0;
    const walk = (axis: number, base: number): void => {
      if (axis === n) {
        cell[c++] = base;
        return;
      }
      for (const i of lists[axis] as number[]) walk(axis + 1, base + i * (inStrides[axis] as number));
    };
    walk(0, 0);
    cells.push(cell);
    padded.push(axes.reduce((p, a, i) => p * (a.padded[o[i] as number] as number), 1));
  }
  return { cells, padded, inPlane: numel(sizes), outPlane };
}

/** The largest number of windows that read one input element of a plane (how many terms a backward accumulates). */
export function maxCover(w: PlaneWindows): number {
  const count = new Int32Array(w.inPlane);
  let most = 0;
  for (const cell of w.cells) {
    for (const e of cell) {
      const c = (count[e] as number) + 1;
      count[e] = c;
      if (c > most) most = c;
    }
  }
  return most;
}

/** `check_dim_size`: PyTorch's message for a gradient or index tensor whose size does not match the forward's output. */
export function checkDimSize(name: string, shape: readonly number[], rank: number, dim: number, size: number): void {
  if (shape.length !== rank || shape[dim] !== size) {
    throw new Error(`Expected a tensor of dimension ${rank} and tensor.size[${dim}] == ${size} but got: dimension ${shape.length} and tensor.size[${dim}] = ${shape[dim] ?? '?'}`);
  }
}

/** The dtype and shape of a case input (a shorthand for bind). */
export function inputMeta(call: OpCall, index: number): { dtype: DType; shape: number[] } {
  const m = meta(call, index);
  return { dtype: m.dtype, shape: m.shape };
}
