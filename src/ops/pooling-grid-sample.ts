import type { DType } from '../tensor/dtype.js';
import { unitRoundoff } from '../tensor/dtype.js';
import { gamma } from './numerics.js';
import { boolParam, input, intParam, tensorParam } from './params.js';
import { inputMeta, outputUlps, requireFloating, scalarTypeName, shapeText } from './pooling-common.js';
import { GRID_REGIMES } from './pooling-regimes.js';
import { opmathType } from './promotion.js';
import type { OpDef, RefOutput } from './types.js';

/*
 * grid_sampler_2d (aten/src/ATen/native/GridSampler.h, cpu/GridSamplerKernel.cpp): output[n, c, h, w] samples
 * input[n, c] at grid[n, h, w] = (x, y) in [−1, 1] (beyond it: padding). A coordinate g is unnormalised to pixels,
 *   align_corners: (g + 1)/2 · (size − 1)        otherwise: ((g + 1)·size − 1)/2,
 * PyTorch's CPU kernel as (g + 1)·((size − 1)/2) and (g + 1)·(size/2) − 0.5, in the opmath type (float32 for float32,
 * float16 and bfloat16; float64 for float64). Then padding: zeros (points and corners outside read 0), border (clip to
 * [0, size − 1]) or reflection (fold about the borders, then clip); then bilinear (4 corners), nearest (round half to
 * even) or bicubic (4×4 taps with A = −0.75, the padding applied to each tap).
 *
 * The reference evaluates the coordinate exactly as PyTorch's CPU kernel does, then interpolates in float64. Another
 * correct kernel may place the point elsewhere by a few roundings (CUDA evaluates ((g + 1)·size − 1)/2 and may fuse it
 * into an FMA): the bound allows the interpolant's change over that distance, plus the roundings of the weights and of
 * the weighted sum, plus (for nearest) either neighbour where the point lies that close to half-way between two pixels.
 */

const ZEROS = 0;
const BORDER = 1;
const REFLECTION = 2;
const BILINEAR = 0;
const NEAREST = 1;
const BICUBIC = 2;
const A = -0.75;

/** The oracle's own float64 error in a sum of up to 16 products (relative to Σ|terms|). */
const ORACLE = 32 * 2 ** -53;

interface Coordinate {
  /** the unnormalised, padded coordinate as PyTorch's CPU kernel computes it */
  at: (g: number) => number;
  /** the unnormalised coordinate without padding (bicubic's) */
  raw: (g: number) => number;
  /** a tap or corner index after padding (border and reflection keep it inside; zeros leave it) */
  tap: (i: number) => number;
  /** how far another correct evaluation of the coordinate may lie from `at(g)` (or `raw(g)`) */
  slack: (g: number, x: number) => number;
}

/** One axis's coordinate arithmetic, in the opmath type `r` rounds to. */
function coordinate(size: number, padding: number, alignCorners: boolean, r: (x: number) => number, u: number): Coordinate {
  const scaling = r(alignCorners ? (size - 1) / 2 : size / 2);
  const raw = (g: number): number => (alignCorners ? r(r(g + 1) * scaling) : r(r(r(g + 1) * scaling) - 0.5));
  const clip = (x: number): number => Math.min(size - 1, Math.max(0, x));
  const low = alignCorners ? 0 : -0.5;
  const twiceSpan = alignCorners ? 2 * (size - 1) : 2 * size;
  const reflect = (x: number): number => {
    if (alignCorners && size <= 1) return 0;
    const a = Math.abs(r(x - low));
    const flips = Math.trunc(r(a / twiceSpan));
    const extra = r(a - r(flips * twiceSpan));
    return r(Math.min(extra, r(twiceSpan - extra)) + low);
  };
  const pad = (x: number): number => (padding === BORDER ? clip(x) : padding === REFLECTION ? clip(reflect(x)) : x);
  return {
    raw,
    at: (g) => pad(raw(g)),
    tap: (i) => pad(i),
    // three roundings in the unnormalisation (g + 1, the product, − 0.5), four more in reflecting (subtracting the
    // low border, the quotient's truncation is exact or flips at a fold where the result is continuous, the
    // difference, the fold and adding the border back); each at most u of its operand's magnitude
    slack: (g, x) => 4 * u * (Math.abs(g + 1) * (size / 2) + Math.abs(x) + 1) + (padding === REFLECTION ? 4 * u * (Math.abs(x) + 2 * size) : 0),
  };
}

/** Keys's cubic convolution weights of the 4 taps at t ∈ [0, 1) (get_cubic_upsample_coefficients, A = −0.75). */
function cubicWeights(t: number): [number, number, number, number] {
  const outer = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const inner = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  return [outer(t + 1), inner(t), inner(1 - t), outer(2 - t)];
}

/** Σ of the magnitudes of each weight's Horner terms: the scale of its rounding error in the opmath type. */
function cubicWeightScales(t: number): [number, number, number, number] {
  const outer = (x: number) => Math.abs(A) * x ** 3 + 5 * Math.abs(A) * x ** 2 + 8 * Math.abs(A) * x + 4 * Math.abs(A);
  const inner = (x: number) => Math.abs(A + 2) * x ** 3 + Math.abs(A + 3) * x ** 2 + 1;
  return [outer(t + 1), inner(t), inner(1 - t), outer(2 - t)];
}

/** Σ|d weight / dt| over the 4 taps: how fast a bicubic sample changes with its position (per unit of max|value|). */
function cubicSlope(t: number): number {
  const outer = (x: number) => Math.abs((3 * A * x - 10 * A) * x + 8 * A);
  const inner = (x: number) => Math.abs((3 * (A + 2) * x - 2 * (A + 3)) * x);
  return outer(t + 1) + inner(t) + inner(1 - t) + outer(2 - t);
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

// grid_sampler_2d(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) -> Tensor
export const gridSampler2d: OpDef = {
  name: 'aten.grid_sampler_2d.default',
  family: 'pooling',
  bind(call) {
    const inIndex = tensorParam(call, 0, 'input');
    const gridIndex = tensorParam(call, 1, 'grid');
    const mode = intParam(call, 2, 'interpolation_mode');
    const padding = intParam(call, 3, 'padding_mode');
    const alignCorners = boolParam(call, 4, 'align_corners', false);
    const m = inputMeta(call, inIndex);
    const gm = inputMeta(call, gridIndex);
    const sizes = `input with sizes ${shapeText(m.shape)} and grid with sizes ${shapeText(gm.shape)}`;
    if (m.shape[0] !== gm.shape[0]) throw new Error(`grid_sampler(): expected grid and input to have same batch size, but got ${sizes}`);
    if (gm.shape[gm.shape.length - 1] !== m.shape.length - 2) {
      throw new Error(`grid_sampler(): expected grid to have size ${m.shape.length - 2} in last dimension, but got grid with sizes ${shapeText(gm.shape)}`);
    }
    for (let i = 2; i < m.shape.length; i++) {
      if (m.shape[i] === 0) throw new Error(`grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes ${shapeText(m.shape)} with dimension ${i} being empty`);
    }
    if (m.shape.length !== 4 || gm.shape.length !== 4) throw new Error(`grid_sampler(): expected 4D input and grid with same number of dimensions, but got ${sizes}`);
    // PyTorch 1.13 does not check the enums (an unknown mode computes something); 2.x refuses them
    if (![BILINEAR, NEAREST, BICUBIC].includes(mode)) throw new Error(`grid_sampler(): expected interpolation_mode 0 (bilinear), 1 (nearest) or 2 (bicubic), got ${mode}`);
    if (![ZEROS, BORDER, REFLECTION].includes(padding)) throw new Error(`grid_sampler(): expected padding_mode 0 (zeros), 1 (border) or 2 (reflection), got ${padding}`);
    requireFloating('grid_sampler_2d_cpu', m.dtype);
    if (gm.dtype !== m.dtype) throw new Error(`expected scalar type ${scalarTypeName(m.dtype)} but found ${scalarTypeName(gm.dtype)}`);
    const [n, c, h, w] = m.shape as [number, number, number, number];
    const [, oh, ow] = gm.shape as [number, number, number, number];
    const shape = [n, c, oh, ow];
    const dtype: DType = m.dtype;
    return {
      outputs: [{ dtype, shape, accuracy: { kind: 'bound', ulps: outputUlps(dtype) } }],
      reference(inputs) {
        return [sample(input(inputs, inIndex).values, input(inputs, gridIndex).values, shape, h, w, mode, padding, alignCorners, dtype)];
      },
    };
  },
  regimes: GRID_REGIMES,
};

function sample(x: Float64Array, grid: Float64Array, shape: number[], h: number, w: number, mode: number, padding: number, alignCorners: boolean, dtype: DType): RefOutput {
  const [n, c, oh, ow] = shape as [number, number, number, number];
  const op = opmathType(dtype);
  const r = op === 'float64' ? (v: number) => v : Math.fround;
  const u = unitRoundoff(op);
  const cx = coordinate(w, padding, alignCorners, r, u);
  const cy = coordinate(h, padding, alignCorners, r, u);
  const values = new Float64Array(n * c * oh * ow);
  const bound = new Float64Array(values.length);
  const inside = (i: number, size: number) => i >= 0 && i < size;
  // zeros padding reads 0 outside; border and reflection keep every index inside
  const at = (base: number, yi: number, xi: number): number => (inside(yi, h) && inside(xi, w) ? (x[base + yi * w + xi] as number) : 0);
  const gArith = gamma(mode === BICUBIC ? 8 : 6, u);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < oh * ow; p++) {
      const gx = grid[(b * oh * ow + p) * 2] as number;
      const gy = grid[(b * oh * ow + p) * 2 + 1] as number;
      for (let ch = 0; ch < c; ch++) {
        const base = (b * c + ch) * h * w;
        const k = (b * c + ch) * oh * ow + p;
        if (mode === BILINEAR) {
          const xx = cx.at(gx);
          const yy = cy.at(gy);
          const x0 = Math.floor(xx);
          const y0 = Math.floor(yy);
          const tx = xx - x0;
          const ty = yy - y0;
          const v00 = at(base, y0, x0);
          const v01 = at(base, y0, x0 + 1);
          const v10 = at(base, y0 + 1, x0);
          const v11 = at(base, y0 + 1, x0 + 1);
          values[k] = (1 - ty) * ((1 - tx) * v00 + tx * v01) + ty * ((1 - tx) * v10 + tx * v11);
          const mag = (1 - ty) * ((1 - tx) * Math.abs(v00) + tx * Math.abs(v01)) + ty * ((1 - tx) * Math.abs(v10) + tx * Math.abs(v11));
          // the interpolant's slope around the point: neighbouring differences over the 4×4 block (zeros outside)
          let slope = 0;
          for (let yi = y0 - 1; yi <= y0 + 2; yi++) {
            for (let xi = x0 - 1; xi <= x0 + 2; xi++) {
              const v = at(base, yi, xi);
              if (xi < x0 + 2) slope = Math.max(slope, Math.abs(at(base, yi, xi + 1) - v));
              if (yi < y0 + 2) slope = Math.max(slope, Math.abs(at(base, yi + 1, xi) - v));
            }
          }
          bound[k] = (gArith + ORACLE) * mag + (cx.slack(gx, xx) + cy.slack(gy, yy)) * slope;
        } else if (mode === NEAREST) {
          const xx = cx.at(gx);
          const yy = cy.at(gy);
          const xi = roundHalfEven(xx);
          const yi = roundHalfEven(yy);
          const v = at(base, yi, xi);
          values[k] = v;
          // within `slack` of half-way between two pixels another correct kernel may pick the other one
          const alt = (t: number, i: number, slack: number): number[] => (Math.abs(t - Math.floor(t) - 0.5) <= slack ? [i, t - i > 0 ? i + 1 : i - 1] : [i]);
          let worst = 0;
          for (const yj of alt(yy, yi, cy.slack(gy, yy))) {
            for (const xj of alt(xx, xi, cx.slack(gx, xx))) worst = Math.max(worst, Math.abs(at(base, cy.tap(yj), cx.tap(xj)) - v));
          }
          bound[k] = worst;
        } else {
          const xx = cx.raw(gx);
          const yy = cy.raw(gy);
          const x0 = Math.floor(xx);
          const y0 = Math.floor(yy);
          const wx = cubicWeights(xx - x0);
          const wy = cubicWeights(yy - y0);
          // each weight's Horner evaluation (six roundings, and t + 1, 1 − t, 2 − t), with room for the oracle's own
          const ex = cubicWeightScales(xx - x0).map((s) => gamma(16, u) * s);
          const ey = cubicWeightScales(yy - y0).map((s) => gamma(16, u) * s);
          let sum = 0;
          let mag = 0;
          let coef = 0;
          let vmax = 0;
          for (let i = 0; i < 4; i++) {
            const yt = cy.tap(y0 - 1 + i);
            for (let j = 0; j < 4; j++) {
              const v = at(base, yt, cx.tap(x0 - 1 + j));
              const a = Math.abs(v);
              const wij = (wy[i] as number) * (wx[j] as number);
              sum += wij * v;
              mag += Math.abs(wij) * a;
              coef += a * ((ex[j] as number) * Math.abs(wy[i] as number) + Math.abs(wx[j] as number) * (ey[i] as number) + (ex[j] as number) * (ey[i] as number));
              vmax = Math.max(vmax, a);
            }
          }
          values[k] = sum;
          // a point moved by d changes the sample by at most d·Σ|w'|·Σ|w|·max|v| along each axis
          const sx = cubicSlope(xx - x0) * wy.reduce((s, v) => s + Math.abs(v), 0);
          const sy = cubicSlope(yy - y0) * wx.reduce((s, v) => s + Math.abs(v), 0);
          bound[k] = (gArith + ORACLE) * mag + coef + (cx.slack(gx, xx) * sx + cy.slack(gy, yy) * sy) * vmax;
        }
      }
    }
  }
  return { shape, values, bound };
}
