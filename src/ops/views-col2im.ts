import { input, intsParam, meta, tensorParam } from './params.js';
import { AccurateSum, exactInAnyOrder, gridExponent } from './numerics.js';
import type { OpCall, OpDef } from './types.js';
import { showShape } from './views-common.js';

/*
 * col2im (fold): the columns of sliding blocks summed back into an image. Overlapping blocks add up, so it is an
 * accumulating op: each output element is the sum of the (at most kh·kw) column entries that land on it, judged
 * with the accumulation bound. PyTorch's CPU kernel adds into the output tensor itself (`data_im[…] += …`, in the
 * tensor's dtype, float16 and bfloat16 included), CUDA sums in float32 and stores once: the bound takes the
 * narrower, the tensor's own dtype. On values of a witness grid every order is exact, and only the final rounding
 * is allowed.
 */

function pairParam(call: OpCall, pos: number, name: string): [number, number] {
  const v = intsParam(call, pos, name);
  if (v === null || v.length !== 2) throw new Error(`It is expected ${name} equals to 2, but got size ${v === null ? 0 : v.length}`);
  return [v[0] as number, v[1] as number];
}

/** floor division, as ATen's div_rtn */
const floorDiv = (a: number, b: number): number => Math.floor(a / b);

// col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor
export const col2im: OpDef = {
  name: 'aten.col2im.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const [oh, ow] = pairParam(call, 1, 'output_size');
    const [kh, kw] = pairParam(call, 2, 'kernel_size');
    const [dh, dw] = pairParam(call, 3, 'dilation');
    const [ph, pw] = pairParam(call, 4, 'padding');
    const [sh, sw] = pairParam(call, 5, 'stride');
    if (!(kh > 0 && kw > 0)) throw new Error(`kernel size should be greater than zero, but got kernel_height: ${kh} kernel_width: ${kw}`);
    if (!(sh > 0 && sw > 0)) throw new Error(`stride should be greater than zero, but got stride_height: ${sh} stride_width: ${sw}`);
    if (!(dh > 0 && dw > 0)) throw new Error(`dilation should be greater than zero, but got dilation_height: ${dh} dilation_width: ${dw}`);
    if (!(ph >= 0 && pw >= 0)) throw new Error(`padding should be non-negative, but got pad_height: ${ph} pad_width: ${pw}`);
    const s = m.shape;
    const rank = s.length;
    if (!((rank === 2 && s[0] !== 0 && s[1] !== 0) || (rank === 3 && s[1] !== 0 && s[2] !== 0))) {
      throw new Error(`Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${showShape(s)}`);
    }
    const batch = rank === 3;
    const n = batch ? (s[0] as number) : 1;
    const planes = s[batch ? 1 : 0] as number;
    const length = s[batch ? 2 : 1] as number;
    if (planes % (kh * kw) !== 0) {
      throw new Error(`Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${planes} and kernel_size=(${kh}, ${kw}).`);
    }
    const bh = floorDiv(oh + 2 * ph - (dh * (kh - 1) + 1), sh) + 1;
    const bw = floorDiv(ow + 2 * pw - (dw * (kw - 1) + 1), sw) + 1;
    const given = `Given output_size=(${oh}, ${ow}), kernel_size=(${kh}, ${kw}), dilation=(${dh}, ${dw}), padding=(${ph}, ${pw}), stride=(${sh}, ${sw}), `;
    if (length !== bh * bw) {
      throw new Error(`${given}expected size of input's dimension 2 to match the calculated number of sliding blocks ${bh} * ${bw} = ${bh * bw}, but got input.size(2)=${length}.`);
    }
    if (bh < 1 || bw < 1) throw new Error(`${given}calculated shape of the array of sliding blocks as (${bh}, ${bw}), which is too small (non-positive).`);
    const channels = planes / (kh * kw);
    const shape = batch ? [n, channels, oh, ow] : [channels, oh, ow];
    // how many column entries land on each pixel of one plane (the same for every plane): k of the bound
    const hits = new Int32Array(oh * ow);
    for (let ki = 0; ki < kh; ki++)
      for (let kj = 0; kj < kw; kj++)
        for (let y = 0; y < bh; y++)
          for (let x = 0; x < bw; x++) {
            const r = y * sh - ph + ki * dh;
            const c = x * sw - pw + kj * dw;
            if (r >= 0 && r < oh && c >= 0 && c < ow) hits[r * ow + c] = (hits[r * ow + c] as number) + 1;
          }
    const terms = Math.max(1, ...hits);
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: { kind: 'accumulation', accumDtype: m.dtype } }],
      reference(inputs) {
        const t = input(inputs, self);
        const plane = oh * ow;
        const sums = Array.from({ length: n * channels * plane }, () => new AccurateSum());
        const absSum = new Float64Array(sums.length);
        for (let b = 0; b < n; b++)
          for (let ch = 0; ch < channels; ch++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const row = ((b * planes + (ch * kh + ki) * kw + kj) * length) | 0;
                const base = (b * channels + ch) * plane;
                for (let y = 0; y < bh; y++)
                  for (let x = 0; x < bw; x++) {
                    const r = y * sh - ph + ki * dh;
                    const c = x * sw - pw + kj * dw;
                    if (r < 0 || r >= oh || c < 0 || c >= ow) continue;
                    const v = t.values[row + y * bw + x] as number;
                    (sums[base + r * ow + c] as AccurateSum).add(v);
                    absSum[base + r * ow + c] = (absSum[base + r * ow + c] as number) + Math.abs(v);
                  }
              }
        // a witness: every term on one grid and the sum exact in the dtype in every order
        const grid = gridExponent(t.values);
        const exact = Uint8Array.from(absSum, (a) => (exactInAnyOrder(a, grid, m.dtype) ? 1 : 0));
        const values = Float64Array.from(sums, (a) => a.value());
        return [{ shape, values, absSum, terms, exact }];
      },
    };
  },
};

export const COL2IM_OPS: readonly OpDef[] = [col2im];
