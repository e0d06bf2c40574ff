import type { DType } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { AccurateSum, exactInAnyOrder, gridExponent } from './numerics.js';
import { SCALAR_TYPE_NAMES } from '../tensor/dtype.js';

/*
 * The geometry of an N-d convolution and its float64 reference sums. A convolution relates two activation tensors
 * through a weight: the coarse side C (a convolution's output, a transposed convolution's input) and the fine side F
 * (a convolution's input, a transposed convolution's output). With the weight laid out as [Cc, Cf/groups, k…] (ATen's
 * layout for both: [out, in/g, k…] for a convolution, [in, out/g, k…] for a transposed one), every product that
 * takes part joins
 *   C[n, cc, c] ~ F[n, cf, f] · W[cc, cf mod (Cf/groups), k],  f = c·stride − padding + k·dilation (per dim),
 * cc and cf in the same group, f inside F (zero padding: a position outside F contributes nothing). The forward
 * convolution sums these products into C, the transposed one into F; the backward pass sums them into F (grad_input
 * of a convolution), C (grad_input of a transposed one) or W (grad_weight). One table of valid (c, k, f) triples
 * serves all of them.
 */

/** PyTorch's spelling of a scalar type in messages ('Float', 'Half', …). */
export const SCALAR_TYPE = SCALAR_TYPE_NAMES;

/** `[2, 4, 9, 9]`, as ATen prints sizes. */
export const sizes = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** The legacy tensor type name ATen uses in convolution's dtype messages (`torch.FloatTensor`). */
export const tensorType = (d: DType): string => `torch.${SCALAR_TYPE[d]}Tensor`;

export interface ConvParams {
  stride: number[];
  padding: number[];
  dilation: number[];
  outputPadding: number[];
  transposed: boolean;
  groups: number;
}

export interface ConvGeometry {
  batch: number;
  groups: number;
  /** channels of the coarse side (the weight's dim 0) and of the fine side (the weight's dim 1 × groups) */
  coarseChannels: number;
  fineChannels: number;
  coarseSpatial: number[];
  fineSpatial: number[];
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
}

/**
 * ATen's `expand_param_if_needed`: a list of one value stands for every spatial dim; any other length must match.
 */
export function expandParam(list: readonly number[], name: string, dims: number): number[] {
  if (list.length === 1) return new Array<number>(dims).fill(list[0] as number);
  if (list.length !== dims) {
    throw new Error(`expected ${name} to be a single integer value or a list of ${dims} values to match the convolution dimensions, but got ${name}=${sizes(list)}`);
  }
  return [...list];
}

/** Spatial names of ATen's output_padding message (1-d convolutions run as 2-d with a leading unit dim). */
function dimNames(dims: number): string[] {
  return dims === 3 ? ['depth', 'height', 'width'] : ['height', 'width'];
}

/**
 * The shapes of a convolution call, checked as ATen checks them (check_shape_forward and the kernels' shape checks),
 * with PyTorch's messages. Returns the geometry and the output's shape.
 */
export function convolutionGeometry(input: readonly number[], weight: readonly number[], bias: readonly number[] | null, raw: ConvParams): { geometry: ConvGeometry; output: number[]; params: ConvParams } {
  const k = weight.length;
  const dims = k - 2;
  if (dims <= 0) throw new Error('weight should have at least three dimensions');
  const params: ConvParams = {
    stride: expandParam(raw.stride, 'stride', dims),
    padding: expandParam(raw.padding, 'padding', dims),
    dilation: expandParam(raw.dilation, 'dilation', dims),
    outputPadding: expandParam(raw.outputPadding, 'output_padding', dims),
    transposed: raw.transposed,
    groups: raw.groups,
  };
  const { stride, padding, dilation, outputPadding, transposed, groups } = params;
  if (padding.some((p) => p < 0)) throw new Error('negative padding is not supported');
  if (outputPadding.some((p) => p < 0)) throw new Error('negative output_padding is not supported');
  if (stride.some((s) => s <= 0)) throw new Error('non-positive stride is not supported');
  if (dilation.some((d) => d <= 0)) throw new Error('non-positive dilation is not supported');
  if (groups <= 0) throw new Error('non-positive groups is not supported');
  if (input.length !== k) {
    throw new Error(`Expected ${k}-dimensional input for ${k}-dimensional weight ${sizes(weight)}, but got ${input.length}-dimensional input of size ${sizes(input)} instead`);
  }
  const w0 = weight[0] as number;
  const w1 = weight[1] as number;
  if (w0 < groups) throw new Error(`Given groups=${groups}, expected weight to be at least ${groups} at dimension 0, but got weight of size ${sizes(weight)} instead`);
  // PyTorch 1.13 prints the sizes in double brackets here
  if (w0 % groups !== 0) throw new Error(`Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${sizes(weight)}] instead`);
  const n = input[0] as number;
  const channels = input[1] as number;
  const kernel = weight.slice(2);
  const spatial = input.slice(2);
  if (!transposed) {
    if (channels !== w1 * groups) {
      throw new Error(`Given groups=${groups}, weight of size ${sizes(weight)}, expected input${sizes(input)} to have ${w1 * groups} channels, but got ${channels} channels instead`);
    }
    if (bias && (bias.length !== 1 || bias[0] !== w0)) {
      throw new Error(`Given weight of size ${sizes(weight)}, expected bias to be 1-dimensional with ${w0} elements, but got bias of size ${sizes(bias)} instead`);
    }
    const padded = spatial.map((s, d) => s + 2 * (padding[d] as number));
    const extent = kernel.map((kk, d) => (dilation[d] as number) * (kk - 1) + 1);
    if (padded.some((p, d) => p < (extent[d] as number))) {
      throw new Error(`Calculated padded input size per channel: (${padded.join(' x ')}). Kernel size: (${extent.join(' x ')}). Kernel size can't be greater than actual input size`);
    }
    const out = padded.map((p, d) => Math.floor((p - (extent[d] as number)) / (stride[d] as number)) + 1);
    const geometry: ConvGeometry = { batch: n, groups, coarseChannels: w0, fineChannels: channels, coarseSpatial: out, fineSpatial: spatial, kernel, stride, padding, dilation };
    return { geometry, output: [n, w0, ...out], params };
  }
  if (channels !== w0) {
    throw new Error(`Given transposed=1, weight of size ${sizes(weight)}, expected input${sizes(input)} to have ${w0} channels, but got ${channels} channels instead`);
  }
  if (bias && (bias.length !== 1 || bias[0] !== w1 * groups)) {
    throw new Error(`Given transposed=1, weight of size ${sizes(weight)}, expected bias to be 1-dimensional with ${w1 * groups} elements, but got bias of size ${sizes(bias)} instead`);
  }
  // the transposed kernels accept an output padding below the stride or below the dilation (slow_conv_transpose shape check)
  if (outputPadding.some((op, d) => op >= (stride[d] as number) && op >= (dilation[d] as number))) {
    // 1-d runs as 2-d with a leading unit dim, which the message shows
    const [op2, s2, d2] = dims === 1 ? [[0, ...outputPadding], [1, ...stride], [1, ...dilation]] : [outputPadding, stride, dilation];
    const names = dimNames(op2.length);
    const part = (label: string, v: number[]) => names.map((nm, d) => `${label}_${nm}: ${v[d]}`).join(' ');
    throw new Error(`output padding must be smaller than either stride or dilation, but got ${part('output_padding', op2)} ${part('stride', s2)} ${part('dilation', d2)}`);
  }
  const out = spatial.map((s, d) => (s - 1) * (stride[d] as number) - 2 * (padding[d] as number) + (dilation[d] as number) * ((kernel[d] as number) - 1) + (outputPadding[d] as number) + 1);
  if (out.some((o) => o <= 0)) {
    throw new Error(`Given input size per channel: (${spatial.join(' x ')}). Calculated output size per channel: (${out.join(' x ')}). Output size is too small`);
  }
  const geometry: ConvGeometry = { batch: n, groups, coarseChannels: channels, fineChannels: w1 * groups, coarseSpatial: spatial, fineSpatial: out, kernel, stride, padding, dilation };
  return { geometry, output: [n, w1 * groups, ...out], params };
}

/** Valid (coarse, kernel, fine) spatial positions, flat row-major, grouped (CSR) by one of the three. */
interface Grouped {
  /** start[i]..start[i + 1] index the entries of group i */
  start: Int32Array;
  /** the other two positions of each entry */
  a: Int32Array;
  b: Int32Array;
  /** the largest group */
  widest: number;
}

interface Triples {
  c: Int32Array;
  k: Int32Array;
  f: Int32Array;
}

/** Every valid (c, k, f) with f = c·s − p + k·d inside the fine side, per dim, then their cross product. */
function triples(g: ConvGeometry): Triples {
  let c = [0];
  let k = [0];
  let f = [0];
  g.kernel.forEach((kd, d) => {
    const cd = g.coarseSpatial[d] as number;
    const fd = g.fineSpatial[d] as number;
    const [s, p, dil] = [g.stride[d] as number, g.padding[d] as number, g.dilation[d] as number];
    const valid: [number, number, number][] = [];
    for (let ci = 0; ci < cd; ci++) {
      for (let ki = 0; ki < kd; ki++) {
        const fi = ci * s - p + ki * dil;
        if (fi >= 0 && fi < fd) valid.push([ci, ki, fi]);
      }
    }
    const nc: number[] = [];
    const nk: number[] = [];
    const nf: number[] = [];
    for (let i = 0; i < c.length; i++) {
      for (const [ci, ki, fi] of valid) {
        nc.push((c[i] as number) * cd + ci);
        nk.push((k[i] as number) * kd + ki);
        nf.push((f[i] as number) * fd + fi);
      }
    }
    c = nc;
    k = nk;
    f = nf;
  });
  return { c: Int32Array.from(c), k: Int32Array.from(k), f: Int32Array.from(f) };
}

function group(size: number, key: Int32Array, a: Int32Array, b: Int32Array): Grouped {
  const start = new Int32Array(size + 1);
  for (const x of key) start[x + 1] = (start[x + 1] as number) + 1;
  let widest = 0;
  for (let i = 0; i < size; i++) {
    widest = Math.max(widest, start[i + 1] as number);
    start[i + 1] = (start[i + 1] as number) + (start[i] as number);
  }
  const fill = start.slice(0, size);
  const ga = new Int32Array(key.length);
  const gb = new Int32Array(key.length);
  for (let j = 0; j < key.length; j++) {
    const at = fill[key[j] as number] as number;
    fill[key[j] as number] = at + 1;
    ga[at] = a[j] as number;
    gb[at] = b[j] as number;
  }
  return { start, a: ga, b: gb, widest };
}

/*
 * An accurate dot product of gathered operands (Ogita, Rump and Oishi's Dot2: Dekker's TwoProduct and Knuth's TwoSum,
 * inlined so that the million-product cases stay fast): as accurate as if computed in twice the working precision.
 * A result that is not finite (NaN, ±inf, or operands so large that Veltkamp's split overflows) is recomputed
 * with AccurateSum, which handles every IEEE special case.
 */
const SPLITTER = 134217729; // 2^27 + 1

/** Σ|a_i·b_i| of the last `dot` (plain float64: it only scales a bound, and is exact on a witness grid). */
let lastAbsSum = 0;

function dot(a: Float64Array, b: Float64Array, n: number, bias: number | null): number {
  let s = bias ?? 0;
  let c = 0;
  let m = bias === null ? 0 : Math.abs(bias);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    const p = x * y;
    const cx = SPLITTER * x;
    const xh = cx - (cx - x);
    const xl = x - xh;
    const cy = SPLITTER * y;
    const yh = cy - (cy - y);
    const yl = y - yh;
    const pe = xl * yl - (p - xh * yh - xl * yh - xh * yl);
    const t = s + p;
    const z = t - s;
    c += s - (t - z) + (p - z) + pe;
    s = t;
    m += Math.abs(p);
  }
  lastAbsSum = m;
  const v = s + c;
  if (Number.isFinite(v)) return v;
  const acc = new AccurateSum();
  if (bias !== null) acc.add(bias);
  for (let i = 0; i < n; i++) acc.addProduct(a[i] as number, b[i] as number);
  return acc.value();
}

/** A float64 reference sum per element: value, Σ|terms|, the largest number of terms, and precision-witness marks. */
export interface ConvSum {
  values: Float64Array;
  absSum: Float64Array;
  terms: number;
  exact?: Uint8Array;
}

/** Marks the elements that are exact in `accum` in every order, for operands on grids 2^ga and 2^gb (and a bias grid). */
function markExact(r: { values: Float64Array; absSum: Float64Array; terms: number }, grid: number, accum: DType | null): ConvSum {
  if (!accum) return r;
  return { ...r, exact: Uint8Array.from(r.absSum, (m) => (exactInAnyOrder(m, grid, accum) ? 1 : 0)) };
}

const kernelVolume = (g: ConvGeometry): number => numel(g.kernel);

/**
 * Sums into the coarse side: C[n, cc, c] = bias[cc] + Σ F[n, cf, f]·W[cc, cf_g, k] (a convolution's output, or a
 * transposed convolution's grad_input). `accum`: the dtype whose every-order exactness marks witnesses (null: none).
 */
export function sumIntoCoarse(g: ConvGeometry, fine: Float64Array, weight: Float64Array, bias: Float64Array | null, accum: DType | null): ConvSum {
  const { batch, groups, coarseChannels: cc, fineChannels: cf } = g;
  const sc = numel(g.coarseSpatial);
  const sf = numel(g.fineSpatial);
  const kv = kernelVolume(g);
  const ccg = cc / groups;
  const cfg = cf / groups;
  const t = triples(g);
  const by = group(sc, t.c, t.k, t.f);
  const values = new Float64Array(batch * cc * sc);
  const absSum = new Float64Array(values.length);
  const xs = new Float64Array(by.widest * cfg);
  const ws = new Float64Array(by.widest * cfg);
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < cc; o++) {
      const first = Math.floor(o / ccg) * cfg;
      for (let c = 0; c < sc; c++) {
        let len = 0;
        for (let j = by.start[c] as number; j < (by.start[c + 1] as number); j++) {
          const k = by.a[j] as number;
          const f = by.b[j] as number;
          for (let i = 0; i < cfg; i++) {
            xs[len] = fine[((n * cf + first + i) * sf) + f] as number;
            ws[len++] = weight[((o * cfg + i) * kv) + k] as number;
          }
        }
        const at = (n * cc + o) * sc + c;
        values[at] = dot(xs, ws, len, bias ? (bias[o] as number) : null);
        absSum[at] = lastAbsSum;
      }
    }
  }
  const grid = Math.min(gridExponent(fine) + gridExponent(weight), bias ? gridExponent(bias) : Infinity);
  return markExact({ values, absSum, terms: by.widest * cfg + (bias ? 1 : 0) }, grid, accum);
}

/**
 * Sums into the fine side: F[n, cf, f] = bias[cf] + Σ C[n, cc, c]·W[cc, cf_g, k] (a transposed convolution's
 * output, or a convolution's grad_input).
 */
export function sumIntoFine(g: ConvGeometry, coarse: Float64Array, weight: Float64Array, bias: Float64Array | null, accum: DType | null): ConvSum {
  const { batch, groups, coarseChannels: cc, fineChannels: cf } = g;
  const sc = numel(g.coarseSpatial);
  const sf = numel(g.fineSpatial);
  const kv = kernelVolume(g);
  const ccg = cc / groups;
  const cfg = cf / groups;
  const t = triples(g);
  const by = group(sf, t.f, t.k, t.c);
  const values = new Float64Array(batch * cf * sf);
  const absSum = new Float64Array(values.length);
  const xs = new Float64Array(by.widest * ccg);
  const ws = new Float64Array(by.widest * ccg);
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < cf; o++) {
      const grp = Math.floor(o / cfg);
      const inGroup = o - grp * cfg;
      for (let f = 0; f < sf; f++) {
        let len = 0;
        for (let j = by.start[f] as number; j < (by.start[f + 1] as number); j++) {
          const k = by.a[j] as number;
          const c = by.b[j] as number;
          for (let i = grp * ccg; i < (grp + 1) * ccg; i++) {
            xs[len] = coarse[((n * cc + i) * sc) + c] as number;
            ws[len++] = weight[((i * cfg + inGroup) * kv) + k] as number;
          }
        }
        const at = (n * cf + o) * sf + f;
        values[at] = dot(xs, ws, len, bias ? (bias[o] as number) : null);
        absSum[at] = lastAbsSum;
      }
    }
  }
  const grid = Math.min(gridExponent(coarse) + gridExponent(weight), bias ? gridExponent(bias) : Infinity);
  return markExact({ values, absSum, terms: by.widest * ccg + (bias ? 1 : 0) }, grid, accum);
}

/** Sums into the weight: W[cc, cf_g, k] = Σ_n Σ C[n, cc, c]·F[n, cf, f] (grad_weight of either kind). */
export function sumIntoWeight(g: ConvGeometry, coarse: Float64Array, fine: Float64Array, accum: DType | null): ConvSum {
  const { batch, groups, coarseChannels: cc, fineChannels: cf } = g;
  const sc = numel(g.coarseSpatial);
  const sf = numel(g.fineSpatial);
  const kv = kernelVolume(g);
  const ccg = cc / groups;
  const cfg = cf / groups;
  const t = triples(g);
  const by = group(kv, t.k, t.c, t.f);
  const values = new Float64Array(cc * cfg * kv);
  const absSum = new Float64Array(values.length);
  const xs = new Float64Array(batch * by.widest);
  const ys = new Float64Array(batch * by.widest);
  for (let o = 0; o < cc; o++) {
    const first = Math.floor(o / ccg) * cfg;
    for (let i = 0; i < cfg; i++) {
      for (let k = 0; k < kv; k++) {
        let len = 0;
        for (let n = 0; n < batch; n++) {
          for (let j = by.start[k] as number; j < (by.start[k + 1] as number); j++) {
            xs[len] = coarse[((n * cc + o) * sc) + (by.a[j] as number)] as number;
            ys[len++] = fine[((n * cf + first + i) * sf) + (by.b[j] as number)] as number;
          }
        }
        const at = (o * cfg + i) * kv + k;
        values[at] = dot(xs, ys, len, null);
        absSum[at] = lastAbsSum;
      }
    }
  }
  return markExact({ values, absSum, terms: batch * by.widest }, gridExponent(coarse) + gridExponent(fine), accum);
}

/** Per channel, the sum over the batch and every spatial position of [N, C, spatial…] values (grad_bias). */
export function sumPerChannel(x: Float64Array, batch: number, channels: number, spatial: number, accum: DType | null): ConvSum {
  const values = new Float64Array(channels);
  const absSum = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = new AccurateSum();
    let m = 0;
    for (let n = 0; n < batch; n++) {
      for (let i = 0; i < spatial; i++) {
        const v = x[(n * channels + c) * spatial + i] as number;
        s.add(v);
        m += Math.abs(v);
      }
    }
    values[c] = s.value();
    absSum[c] = m;
  }
  return markExact({ values, absSum, terms: batch * spatial }, gridExponent(x), accum);
}
