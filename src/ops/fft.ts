import { SCALAR_TYPE_NAMES } from '../tensor/dtype.js';
import { contiguousStrides, numel } from '../tensor/tensor.js';
import { AccurateSum } from './numerics.js';
import { boolParam, input, intParam, intsParam, meta, tensorParam, wrapDim } from './params.js';
import { opmathType } from './promotion.js';
import type { OpDef } from './types.js';

/*
 * _fft_r2c: the discrete Fourier transform of a real tensor over `dim`, the last of them halved to n/2 + 1 when
 * onesided. The result is complex; it travels as its real view (torch.view_as_real: a trailing dim of 2 holding the
 * real and imaginary parts), so it is judged in the real dtype of the input.
 *
 * Every output element is a sum of n products x_j·e^(−2πi·jk/n) (n = the points transformed), whatever algorithm
 * computes it, with unit-modulus twiddles that carry their own rounding: the accumulation rule with k = n + 4 per
 * transformed dim and Σ|terms| = Σ|x_j| over the transformed slice (times the normalisation) holds for a direct sum
 * and for every FFT. An FFT's actual error is far smaller (≈ log2 n·u·‖x‖₂); twiddles or sums kept in half
 * precision, a wrong sign convention, normalisation or onesided length all miss by much more.
 */

/** One complex DFT along dim `d` of a tensor of `shape` (re, im planes), in float64 with compensated sums. */
function dftAlong(re: Float64Array, im: Float64Array, shape: readonly number[], d: number): [Float64Array, Float64Array] {
  const n = shape[d] as number;
  const inner = numel(shape.slice(d + 1));
  const outer = numel(shape.slice(0, d));
  const cos = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * t) / n));
  const sin = Float64Array.from({ length: n }, (_, t) => Math.sin((2 * Math.PI * t) / n));
  const outRe = new Float64Array(re.length);
  const outIm = new Float64Array(im.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let k = 0; k < n; k++) {
        const sr = new AccurateSum();
        const si = new AccurateSum();
        for (let j = 0; j < n; j++) {
          const t = (j * k) % n; // the angle reduced exactly, so twiddles stay accurate for large j·k
          const xr = re[base + j * inner] as number;
          const xi = im[base + j * inner] as number;
          // (xr + i·xi)(cos − i·sin)
          sr.addProduct(xr, cos[t] as number);
          sr.addProduct(xi, sin[t] as number);
          si.addProduct(xi, cos[t] as number);
          si.addProduct(-xr, sin[t] as number);
        }
        outRe[base + k * inner] = sr.value();
        outIm[base + k * inner] = si.value();
      }
    }
  }
  return [outRe, outIm];
}

// _fft_r2c(Tensor self, int[] dim, int normalization, bool onesided) -> Tensor
export const fftR2c: OpDef = {
  name: 'aten._fft_r2c.default',
  family: 'convolution',
  bind(call) {
    const si = tensorParam(call, 0, 'self');
    const m = meta(call, si);
    const rank = m.shape.length;
    const dims = (intsParam(call, 1, 'dim') ?? []).map((d) => wrapDim(d, rank));
    const normalization = intParam(call, 2, 'normalization');
    const onesided = boolParam(call, 3, 'onesided', true);
    // the CPU (pocketfft, MKL) and CUDA (cuFFT) kernels take float and double; cuFFT also half, for powers of two
    if (m.dtype !== 'float32' && m.dtype !== 'float64') throw new Error(`Unsupported dtype ${SCALAR_TYPE_NAMES[m.dtype]}`);
    if (dims.length === 0 || new Set(dims).size !== dims.length) throw new Error('FFT dims must be unique and non-empty');
    if (normalization < 0 || normalization > 2) throw new Error(`Invalid normalization mode: ${normalization}`);
    const last = dims[dims.length - 1] as number;
    const complexShape = [...m.shape];
    if (onesided) complexShape[last] = Math.floor((m.shape[last] as number) / 2) + 1;
    const shape = [...complexShape, 2];
    const n = dims.reduce((a, d) => a * (m.shape[d] as number), 1);
    const scale = normalization === 0 ? 1 : normalization === 1 ? 1 / Math.sqrt(n) : 1 / n;
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: { kind: 'accumulation', accumDtype: opmathType(m.dtype) } }],
      reference(inputs) {
        const x = input(inputs, si).values;
        let re: Float64Array = Float64Array.from(x);
        let im: Float64Array = new Float64Array(x.length);
        for (const d of dims) [re, im] = dftAlong(re, im, m.shape, d);
        // Σ|x| over each transformed slice: elements that differ only in the transformed dims share it
        const strides = contiguousStrides(m.shape);
        const sliceKey = (index: (d: number) => number) => m.shape.reduce((key, _, d) => (dims.includes(d) ? key : key + index(d) * (strides[d] as number)), 0);
        const sliceAbs = new Map<number, number>();
        for (let f = 0; f < x.length; f++) {
          const key = sliceKey((d) => Math.floor(f / (strides[d] as number)) % (m.shape[d] as number));
          sliceAbs.set(key, (sliceAbs.get(key) ?? 0) + Math.abs(x[f] as number));
        }
        const count = numel(complexShape);
        const values = new Float64Array(2 * count);
        const absSum = new Float64Array(2 * count);
        const outStrides = contiguousStrides(complexShape);
        for (let c = 0; c < count; c++) {
          const at = (d: number) => Math.floor(c / (outStrides[d] as number)) % (complexShape[d] as number);
          const src = complexShape.reduce((off, _, d) => off + at(d) * (strides[d] as number), 0);
          values[2 * c] = (re[src] as number) * scale;
          values[2 * c + 1] = (im[src] as number) * scale;
          const a = (sliceAbs.get(sliceKey(at)) ?? 0) * scale;
          absSum[2 * c] = a;
          absSum[2 * c + 1] = a;
        }
        return [{ shape, values, absSum, terms: n + 4 * dims.length }];
      },
    };
  },
};

export const FFT_OPS: readonly OpDef[] = [fftR2c];
