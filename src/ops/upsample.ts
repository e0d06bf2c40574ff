import type { DType } from '../tensor/dtype.js';
import { castFunction, dtypeInfo, isFloating, unitRoundoff } from '../tensor/dtype.js';
import { gamma } from './numerics.js';
import { boolParam, input, param, tensorParam } from './params.js';
import { inputMeta, notImplemented, outputUlps, requireFloating, shapeText } from './pooling-common.js';
import { opmathType } from './promotion.js';
import type { OpCall, OpDef } from './types.js';

/*
 * upsample_bilinear2d.vec and upsample_nearest2d.vec (aten/src/ATen/native/UpSample.h). The source position of an
 * output index is computed in float32 for float32, float16 and bfloat16 (PyTorch's opmath type; float64 for float64):
 *   scale = align_corners ? (in − 1)/(out − 1) : (scale_factor given ? 1/scale_factor : in/out), rounded to float32
 *   bilinear: src = align_corners ? scale·dst : max(scale·(dst + 0.5) − 0.5, 0)
 *   nearest:  src = min(floor(dst·scale), in − 1), with out = in and out = 2·in special-cased (dst and dst >> 1)
 * An axis whose output size equals its input size is copied (both ops special-case it).
 */

/** float32 arithmetic for the source-position computation (float64 for float64). */
function indexRounder(dtype: DType): (x: number) => number {
  return opmathType(dtype) === 'float64' ? (x) => x : Math.fround;
}

/**
 * The output size and the scale factor of each spatial axis: output_size, or floor(in·scale_factor) computed in
 * double; exactly one of the two (UpSample.cpp, compute_output_size).
 */
function outputGeometry(call: OpCall, shape: readonly number[], scalePos: number): { out: number[]; scales: (number | null)[] } {
  const sizeArg = param(call, 1, 'output_size');
  const scaleArg = param(call, scalePos, 'scale_factors');
  const given = (a: typeof sizeArg): number[] | null => (a === undefined || a.kind === 'none' ? null : a.kind === 'ints' ? a.value : a.kind === 'int' ? [a.value] : null);
  const size = given(sizeArg);
  const scale = given(scaleArg);
  if ((size === null) === (scale === null)) throw new Error('Must specify exactly one of output_size and scale_factors');
  const spatial = shape.length - 2;
  if (size !== null) {
    if (size.length !== spatial || spatial !== 2) throw new Error('Expected static_cast<int64_t>(output_size->size()) == spatial_dimensions to be true, but got false.');
    return { out: [...size], scales: [null, null] };
  }
  const sf = scale as number[];
  if (sf.length !== spatial || spatial !== 2) throw new Error('Expected static_cast<int64_t>(scale_factors->size()) == spatial_dimensions to be true, but got false.');
  return { out: sf.map((f, i) => Math.trunc((shape[i + 2] as number) * f)), scales: [...sf] };
}

/** upsample_2d_common_check and the non-empty check of upsample_2d_shape_check. */
function check2d(shape: readonly number[], out: readonly number[]): void {
  if (shape.length !== 4) throw new Error(`It is expected input_size equals to 4, but got size ${shape.length}`);
  const [, c, h, w] = shape as [number, number, number, number];
  const [oh, ow] = out as [number, number];
  if (!(h > 0 && w > 0 && oh > 0 && ow > 0)) throw new Error(`Input and output sizes should be greater than 0, but got input (H: ${h}, W: ${w}) output (H: ${oh}, W: ${ow})`);
  if (c === 0) throw new Error(`Non-empty 4D data tensor expected but got a tensor with sizes ${shapeText(shape)}`);
}

/** compute_scales_value: 1/scale_factor when one was given (computed in double, then rounded), else in/out. */
function scaleValue(scale: number | null, inSize: number, outSize: number, r: (x: number) => number): number {
  return scale !== null && scale > 0 ? r(1 / scale) : r(r(inSize) / outSize);
}

/** One axis of bilinear interpolation: per output index the two source indices, their weights, and the source position. */
export interface LinearAxis {
  i0: Int32Array;
  i1: Int32Array;
  /** weights of i0 and i1 (exact: λ1 = src − i0 in the index arithmetic, λ0 = 1 − λ1) */
  l0: Float64Array;
  l1: Float64Array;
  /** how far another correct evaluation of src may lie from this one (0 for a copied axis) */
  slack: Float64Array;
}

/**
 * Source indices and weights of one axis (compute_source_index_and_lambda). `slack` bounds the distance between this
 * float32 evaluation of src and another one a correct kernel may use: PyTorch 1.13's CPU kernel evaluates src in
 * double from the float32 scale, 2.x and CUDA in float32, and a compiler may fuse scale·(dst + 0.5) − 0.5 into one
 * FMA. Each of these is within three roundings (scale, product, difference) of the exact value: 4u·(|src| + 1).
 */
export function linearAxis(inSize: number, outSize: number, alignCorners: boolean, scale: number | null, dtype: DType): LinearAxis {
  const r = indexRounder(dtype);
  const u = unitRoundoff(opmathType(dtype));
  const ax: LinearAxis = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), l0: new Float64Array(outSize), l1: new Float64Array(outSize), slack: new Float64Array(outSize) };
  const ratio = alignCorners ? (outSize > 1 ? r(r(inSize - 1) / (outSize - 1)) : 0) : scaleValue(scale, inSize, outSize, r);
  for (let o = 0; o < outSize; o++) {
    if (outSize === inSize) {
      ax.i0[o] = o;
      ax.i1[o] = o;
      ax.l0[o] = 1;
      continue;
    }
    let src = alignCorners ? r(ratio * o) : r(r(ratio * r(o + 0.5)) - 0.5);
    if (!alignCorners && src < 0) src = 0;
    const i0 = Math.trunc(src);
    ax.i0[o] = i0;
    ax.i1[o] = i0 + (i0 < inSize - 1 ? 1 : 0);
    ax.l1[o] = src - i0;
    ax.l0[o] = 1 - (src - i0);
    ax.slack[o] = 4 * u * (Math.abs(src) + 1);
  }
  return ax;
}

/**
 * The largest difference between neighbours along either axis of the 4×4 block around a sample point: how fast the
 * interpolant changes, so how much a source position off by `slack` can move the result (the interpolant is
 * continuous and piecewise linear in the source position, also across cell boundaries and at clamped borders).
 */
function localSlope(x: Float64Array, base: number, h: number, w: number, r0: number, c0: number): number {
  let d = 0;
  const rLo = Math.max(r0 - 1, 0);
  const rHi = Math.min(r0 + 2, h - 1);
  const cLo = Math.max(c0 - 1, 0);
  const cHi = Math.min(c0 + 2, w - 1);
  for (let r = rLo; r <= rHi; r++) {
    for (let c = cLo; c <= cHi; c++) {
      const v = x[base + r * w + c] as number;
      if (c < cHi) {
        const e = Math.abs((x[base + r * w + c + 1] as number) - v);
        if (e > d) d = e;
      }
      if (r < rHi) {
        const e = Math.abs((x[base + (r + 1) * w + c] as number) - v);
        if (e > d) d = e;
      }
    }
  }
  // a non-finite neighbour makes the slope meaningless; such a value reaches the result exactly or not at all
  return Number.isFinite(d) ? d : 0;
}

// upsample_bilinear2d.vec(Tensor input, SymInt[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor
export const upsampleBilinear2dVec: OpDef = {
  name: 'aten.upsample_bilinear2d.vec',
  family: 'pooling',
  bind(call) {
    const self = tensorParam(call, 0, 'input');
    const m = inputMeta(call, self);
    const alignCorners = boolParam(call, 2, 'align_corners', false);
    const { out, scales } = outputGeometry(call, m.shape, 3);
    check2d(m.shape, out);
    requireFloating('compute_indices_weights_linear', m.dtype);
    const [n, c, h, w] = m.shape as [number, number, number, number];
    const [oh, ow] = out as [number, number];
    const shape = [n, c, oh, ow];
    // the weights are stored in the input dtype and every product and sum is rounded there (PyTorch's CPU kernel for
    // float16/bfloat16 too): λ_h, λ_w, two products and two sums on each term's path
    const g = gamma(6, unitRoundoff(m.dtype));
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: { kind: 'bound', ulps: outputUlps(m.dtype) } }],
      reference(inputs) {
        const x = input(inputs, self).values;
        const ah = linearAxis(h, oh, alignCorners, scales[0] ?? null, m.dtype);
        const aw = linearAxis(w, ow, alignCorners, scales[1] ?? null, m.dtype);
        const values = new Float64Array(n * c * oh * ow);
        const bound = new Float64Array(values.length);
        let k = 0;
        for (let p = 0; p < n * c; p++) {
          const base = p * h * w;
          for (let y = 0; y < oh; y++) {
            const h0 = ah.i0[y] as number;
            const h1 = ah.i1[y] as number;
            const a0 = ah.l0[y] as number;
            const a1 = ah.l1[y] as number;
            for (let z = 0; z < ow; z++, k++) {
              const w0 = aw.i0[z] as number;
              const w1 = aw.i1[z] as number;
              const b0 = aw.l0[z] as number;
              const b1 = aw.l1[z] as number;
              const x00 = x[base + h0 * w + w0] as number;
              const x01 = x[base + h0 * w + w1] as number;
              const x10 = x[base + h1 * w + w0] as number;
              const x11 = x[base + h1 * w + w1] as number;
              // exact in float64 up to one rounding per term (weights are float32 differences, values narrower)
              values[k] = a0 * (b0 * x00 + b1 * x01) + a1 * (b0 * x10 + b1 * x11);
              const mag = a0 * (b0 * Math.abs(x00) + b1 * Math.abs(x01)) + a1 * (b0 * Math.abs(x10) + b1 * Math.abs(x11));
              const slack = (ah.slack[y] as number) + (aw.slack[z] as number);
              bound[k] = g * mag + (slack > 0 ? slack * localSlope(x, base, h, w, h0, w0) : 0);
            }
          }
        }
        return [{ shape, values, bound }];
      },
    };
  },
};

/**
 * nearest_idx: the source index of each output index of one axis (floor, clamped). The CPU kernel forms the scale
 * and o·scale in the tensor's opmath type (float32 for every float dtype but float64), then floors through floorf,
 * i.e. after rounding to float32: a float64 tensor can read another row than a float32 one (28 → 46, o = 23).
 */
export function nearestAxis(inSize: number, outSize: number, scale: number | null, dtype: DType = 'float32'): Int32Array {
  return nearestIndices(inSize, outSize, scale, dtype === 'float64' ? (x: number) => x : Math.fround);
}

function nearestIndices(inSize: number, outSize: number, scale: number | null, r: (x: number) => number): Int32Array {
  const idx = new Int32Array(outSize);
  const s = scaleValue(scale, inSize, outSize, r);
  for (let o = 0; o < outSize; o++) {
    if (outSize === inSize) idx[o] = o;
    else if (outSize === 2 * inSize) idx[o] = o >> 1;
    else idx[o] = Math.min(Math.floor(Math.fround(o * s)), inSize - 1);
  }
  return idx;
}

/**
 * Every source index a correct kernel may take for each output index: o·in/out computed exactly, in float32 (CPU and
 * CUDA for float32, float16, bfloat16), in float64 then rounded to float (the CPU's float64 kernel), and with the scale
 * held in the tensor's own dtype (PyTorch 1.13's CPU kernel for bfloat16 and float16). They differ only where
 * o·in/out lies within rounding of an integer; PyTorch documents none of them, so any passes there.
 */
export function nearestCandidates(inSize: number, outSize: number, scale: number | null, dtype: DType): Int32Array[] {
  const own = castFunction(dtype);
  return [
    nearestAxis(inSize, outSize, scale, dtype),
    nearestIndices(inSize, outSize, scale, (x) => x),
    nearestIndices(inSize, outSize, scale, Math.fround),
    nearestIndices(inSize, outSize, scale, dtypeInfo(dtype).kind === 'float' ? own : Math.fround),
    // exactly: an integer division when the sizes define the scale
    scale !== null && scale > 0 ? nearestIndices(inSize, outSize, scale, (x) => x) : Int32Array.from({ length: outSize }, (_, o) => Math.min((o * inSize - ((o * inSize) % outSize)) / outSize, inSize - 1)),
  ];
}

// upsample_nearest2d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors) -> Tensor
export const upsampleNearest2dVec: OpDef = {
  name: 'aten.upsample_nearest2d.vec',
  family: 'pooling',
  bind(call) {
    const self = tensorParam(call, 0, 'input');
    const m = inputMeta(call, self);
    const { out, scales } = outputGeometry(call, m.shape, 2);
    check2d(m.shape, out);
    // floating dtypes and uint8 (images): PyTorch's CPU and CUDA kernels dispatch Byte too
    if (m.dtype !== 'uint8' && (!isFloating(m.dtype) || m.dtype.startsWith('float8'))) throw notImplemented('compute_indices_weights_nearest', m.dtype);
    const [n, c, h, w] = m.shape as [number, number, number, number];
    const [oh, ow] = out as [number, number];
    const shape = [n, c, oh, ow];
    return {
      // a copy: bit-exact, the sign of zero included, from any source pixel a correct index computation names
      outputs: [{ dtype: m.dtype, shape, accuracy: { kind: 'exact', signedZero: true, anyIndex: true } }],
      reference(inputs) {
        const x = input(inputs, self).values;
        const rows = nearestCandidates(h, oh, scales[0] ?? null, m.dtype);
        const cols = nearestCandidates(w, ow, scales[1] ?? null, m.dtype);
        const [ih, iw] = [rows[0] as Int32Array, cols[0] as Int32Array];
        const values = new Float64Array(n * c * oh * ow);
        const choiceStart = new Int32Array(values.length + 1);
        const choices: number[] = [];
        let k = 0;
        for (let p = 0; p < n * c; p++) {
          for (let y = 0; y < oh; y++) {
            const ys = [...new Set(rows.map((a) => a[y] as number))];
            for (let z = 0; z < ow; z++) {
              values[k] = x[p * h * w + (ih[y] as number) * w + (iw[z] as number)] as number;
              choiceStart[k] = choices.length;
              const zs = [...new Set(cols.map((a) => a[z] as number))];
              if (ys.length > 1 || zs.length > 1) for (const yy of ys) for (const zz of zs) choices.push(x[p * h * w + yy * w + zz] as number);
              k++;
            }
          }
        }
        choiceStart[k] = choices.length;
        return [choices.length > 0 ? { shape, values, choiceStart, choices: Float64Array.from(choices) } : { shape, values }];
      },
    };
  },
};
