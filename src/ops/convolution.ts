import type { DType } from '../tensor/dtype.js';
import { isFloating, LOW_PRECISION } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { FFT_OPS } from './fft.js';
import { DISTANCE_OPS } from './convolution-distance.js';
import type { ConvParams, ConvSum } from './convolution-geometry.js';
import { convolutionGeometry, SCALAR_TYPE, sizes, sumIntoCoarse, sumIntoFine, sumIntoWeight, sumPerChannel, tensorType } from './convolution-geometry.js';
import { input, intParam, intsParam, meta, optionalTensorParam, param, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import { matmulWitness } from './regimes.js';
import type { Accuracy, OpCall, OpDef, OutputSpec, Regime, RefOutput } from './types.js';

export { cdistForward, pdistForward } from './convolution-distance.js';

/*
 * convolution and convolution_backward: every output element is a sum of products (an accumulation), judged by
 * γ(k, u)·Σ|terms| with k the largest number of products an element sums (+1 for a bias), u of float32 for
 * float32/float16/bfloat16 data and of float64 for float64; Higham and Mary's probabilistic γ̃ when both factors are
 * drawn at random symmetrically around zero; only the final rounding on a precision witness (docs/numerics.md).
 * The geometry and the float64 sums live in convolution-geometry.ts.
 */

/** A required argument (these schemas give none a default). */
function required<T>(value: T | null | undefined, name: string): T {
  if (value === null || value === undefined) throw new Error(`argument '${name}' is required`);
  return value;
}

function requiredBool(call: OpCall, pos: number, name: string): boolean {
  const a = param(call, pos, name);
  if (a?.kind !== 'bool') throw new Error(`argument '${name}' must be a bool, got ${a === undefined ? 'nothing' : a.kind}`);
  return a.value;
}

/** The convolution parameters at positions `at`…`at + 5` (stride, padding, dilation, transposed, output_padding, groups). */
function convParams(call: OpCall, at: number): ConvParams {
  return {
    stride: required(intsParam(call, at, 'stride'), 'stride'),
    padding: required(intsParam(call, at + 1, 'padding'), 'padding'),
    dilation: required(intsParam(call, at + 2, 'dilation'), 'dilation'),
    transposed: requiredBool(call, at + 3, 'transposed'),
    outputPadding: required(intsParam(call, at + 4, 'output_padding'), 'output_padding'),
    groups: intParam(call, at + 5, 'groups'),
  };
}

/** ATen's dtype checks: the same floating dtype for every tensor of the call (integer convolutions are CPU-only curiosities). */
function convDtype(x: DType, others: [string, DType][]): DType {
  for (const [name, d] of others) {
    if (d !== x) throw new Error(`Input type (${tensorType(x)}) and ${name} type (${tensorType(d)}) should be the same or input should be a MKLDNN tensor and ${name} is a dense tensor`);
  }
  // PyTorch's CUDA and MPS kernels are floating only; accelcert defines the floating convolutions
  if (!isFloating(x)) throw new Error(`"convolution" not implemented for '${SCALAR_TYPE[x]}'`);
  return x;
}

/**
 * The accumulation rule of a convolution output: float16/bfloat16 accumulate in float32 and round once to the narrow
 * type (1 ULP: the accumulator is rounded once more); random symmetric factors get the probabilistic bound.
 */
function accumulation(dtype: DType, random: boolean): Accuracy {
  return { kind: 'accumulation', accumDtype: opmathType(dtype), ulps: LOW_PRECISION.includes(dtype) ? 1 : 0.5, ...(random ? { model: 'probabilistic' as const } : {}) };
}

function output(shape: number[], r: ConvSum): RefOutput {
  return r.exact ? { shape, values: r.values, absSum: r.absSum, terms: r.terms, exact: r.exact } : { shape, values: r.values, absSum: r.absSum, terms: r.terms };
}

const symmetric = (call: OpCall, ...inputs: number[]): boolean => inputs.every((i) => meta(call, i).symmetric === true);

/**
 * Inputs where only the data carry NaN and ±inf: the weight (and grad_output) stay finite, because where a padded
 * zero meets an infinite or NaN weight, im2col kernels form 0·inf = NaN and direct kernels skip the product — PyTorch
 * leaves that open (its CPU kernels differ: slow_conv2d multiplies padded zeros, oneDNN does not).
 */
function nanInfIn(data: number): Regime {
  return {
    name: 'nan-inf',
    why: 'NaN and ±inf inside the data must reach exactly the outputs whose windows hold them (a kernel that skips NaN, or reads it as zero, differs); weights stay finite, since 0·inf in padded regions is left open',
    recipe(d, i) {
      if (!isFloating(d)) return null;
      // one special value in 512: with windows of a few hundred products, most outputs stay finite
      return i === data ? { kind: 'sprinkle', mean: 0, std: 1, values: ['nan', 'inf', '-inf'], fraction: 1 / 512 } : { kind: 'normal', mean: 0, std: 1 };
    },
  };
}

// convolution(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride, SymInt[] padding, SymInt[] dilation,
//             bool transposed, SymInt[] output_padding, SymInt groups) -> Tensor
export const convolution: OpDef = {
  name: 'aten.convolution.default',
  family: 'convolution',
  bind(call) {
    const xi = tensorParam(call, 0, 'input');
    const wi = tensorParam(call, 1, 'weight');
    const bi = optionalTensorParam(call, 2, 'bias');
    const x = meta(call, xi);
    const w = meta(call, wi);
    const b = bi === undefined ? null : meta(call, bi);
    const { geometry, output: shape, params } = convolutionGeometry(x.shape, w.shape, b ? b.shape : null, convParams(call, 3));
    const dtype = convDtype(x.dtype, [['weight', w.dtype], ...(b ? [['bias', b.dtype] as [string, DType]] : [])]);
    return {
      outputs: [{ dtype, shape, accuracy: accumulation(dtype, symmetric(call, xi, wi)) }],
      reference(inputs) {
        const xv = input(inputs, xi).values;
        const wv = input(inputs, wi).values;
        const bv = bi === undefined ? null : input(inputs, bi).values;
        const accum = opmathType(dtype);
        const r = params.transposed ? sumIntoFine(geometry, xv, wv, bv, accum) : sumIntoCoarse(geometry, xv, wv, bv, accum);
        return [output(shape, r)];
      },
    };
  },
  // the weight holds the signs and zeros of the witness; the data (and the bias) carry the bit beyond TF32
  regimes: [matmulWitness(1), nanInfIn(0)],
};

// convolution_backward(Tensor grad_output, Tensor input, Tensor weight, SymInt[]? bias_sizes, SymInt[] stride,
//   SymInt[] padding, SymInt[] dilation, bool transposed, SymInt[] output_padding, SymInt groups, bool[3] output_mask)
//   -> (Tensor, Tensor, Tensor)
export const convolutionBackward: OpDef = {
  name: 'aten.convolution_backward.default',
  family: 'convolution',
  bind(call) {
    const gi = tensorParam(call, 0, 'grad_output');
    const xi = tensorParam(call, 1, 'input');
    const wi = tensorParam(call, 2, 'weight');
    const go = meta(call, gi);
    const x = meta(call, xi);
    const w = meta(call, wi);
    const { geometry, output: expected, params } = convolutionGeometry(x.shape, w.shape, null, convParams(call, 4));
    const dtype = convDtype(x.dtype, [['weight', w.dtype], ['grad_output', go.dtype]]);
    if (go.shape.length !== expected.length || go.shape.some((s, d) => s !== expected[d])) {
      throw new Error(`Expected grad_output of size ${sizes(expected)} (the convolution's output), but got grad_output of size ${sizes(go.shape)}`);
    }
    // bool[3]: the protocol carries a list of bools as ints (PyTorch binds 0/1 to bool lists)
    const maskArg = required(intsParam(call, 10, 'output_mask'), 'output_mask');
    if (maskArg.length !== 3) throw new Error(`argument 'output_mask' must be a list of 3 bools, got ${maskArg.length}`);
    const mask = maskArg.map((m) => m !== 0);
    const g = geometry;
    // the bias gradient is per channel of grad_output: the coarse side of a convolution, the fine side of a transposed one
    const [goSide, goChannels, goSpatial] = params.transposed ? ['fine', g.fineChannels, numel(g.fineSpatial)] : ['coarse', g.coarseChannels, numel(g.coarseSpatial)];
    const outputs: OutputSpec[] = [];
    if (mask[0]) outputs.push({ dtype, shape: [...x.shape], accuracy: accumulation(dtype, symmetric(call, gi, wi)) });
    if (mask[1]) outputs.push({ dtype, shape: [...w.shape], accuracy: accumulation(dtype, symmetric(call, gi, xi)) });
    if (mask[2]) outputs.push({ dtype, shape: [goChannels], accuracy: accumulation(dtype, symmetric(call, gi)) });
    return {
      outputs,
      reference(inputs) {
        const gv = input(inputs, gi).values;
        const xv = input(inputs, xi).values;
        const wv = input(inputs, wi).values;
        const accum = opmathType(dtype);
        const out: RefOutput[] = [];
        // grad_output lives on one side of the geometry and the input on the other
        const [coarse, fine] = goSide === 'coarse' ? [gv, xv] : [xv, gv];
        if (mask[0]) out.push(output([...x.shape], goSide === 'coarse' ? sumIntoFine(g, gv, wv, null, accum) : sumIntoCoarse(g, gv, wv, null, accum)));
        if (mask[1]) out.push(output([...w.shape], sumIntoWeight(g, coarse, fine, accum)));
        if (mask[2]) out.push(output([goChannels], sumPerChannel(gv, g.batch, goChannels, goSpatial, accum)));
        return out;
      },
    };
  },
  // grad_output holds the signs and zeros; input and weight the bit beyond TF32. NaN and ±inf go into the input only:
  // a NaN in grad_output meets padded zeros in grad_weight's im2col (0·NaN), which direct kernels never form
  regimes: [matmulWitness(0), nanInfIn(1)],
};

/** The op catalogue's convolution, its backward, and the distances (_fft_r2c waits for complex outputs; see the report). */
export const CONVOLUTION_OPS: readonly OpDef[] = [convolution, convolutionBackward, ...DISTANCE_OPS, ...FFT_OPS];
