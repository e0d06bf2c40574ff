import type { DType } from '../tensor/dtype.js';
import { LOW_PRECISION } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { maskParam, optionalValues, requireFloating, statDtypeOf, statSpec } from './normalization-common.js';
import { normRegimes } from './normalization-regimes.js';
import { channelGroupGrouping, normalizeBackward, normalizeForward, outputUlps, type Precision } from './normalization-stats.js';
import { floatParam, input, intParam, meta, optionalTensorParam, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import type { OpCall, OpDef, OutputSpec, RefOutput } from './types.js';

/*
 * Group norm over an input [N, C, *] viewed as [N, C, HxW]: the C channels fall into `group` groups of D = C/group
 * consecutive channels, and each (sample, group) pair is normalised over its D·HxW elements; weight and bias are per
 * channel.
 *   native_group_norm(Tensor input, Tensor? weight, Tensor? bias, SymInt N, SymInt C, SymInt HxW, int group,
 *                     float eps) -> (Tensor out, Tensor mean, Tensor rstd)          mean, rstd: [N, group]
 *   native_group_norm_backward(Tensor grad_out, Tensor input, Tensor mean, Tensor rstd, Tensor? weight, SymInt N,
 *                     SymInt C, SymInt HxW, int group, bool[3] output_mask) -> (Tensor, Tensor, Tensor)
 * The same in 1.13 and 2.x. Statistics: the input's dtype, float32 for a narrow input with float32 parameters (2.x,
 * "mixed type"); the backward's grad_weight and grad_bias have the weight's dtype (the input's without a weight).
 */

/** PyTorch's failed TORCH_CHECK message for a condition without its own text. */
const checkFailed = (cond: string): Error => new Error(`Expected ${cond} to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)`);

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

interface Geometry {
  n: number;
  c: number;
  hxw: number;
  group: number;
}

function geometry(call: OpCall, first: number, x: OpCall['inputs'][number]): Geometry {
  const g = { n: intParam(call, first, 'N'), c: intParam(call, first + 1, 'C'), hxw: intParam(call, first + 2, 'HxW'), group: intParam(call, first + 3, 'group') };
  if (g.c <= 0) throw new Error(`Expected number of channels to be greater than 0, got ${g.c}`);
  if (g.hxw <= 0) throw new Error(`Expected HxW to be greater than 0, got ${g.hxw}`);
  if (g.group <= 0) throw new Error(`Expected num groups to be greater than 0, got ${g.group}`);
  if (g.c % g.group !== 0) throw new Error(`Expected number of channels in input to be divisible by num_groups, but got input of shape ${shapeText(x.shape)} and num_groups=${g.group}`);
  if (numel(x.shape) !== g.n * g.c * g.hxw) throw checkFailed('X.numel() == N * C * HxW');
  return g;
}

function checkParam(call: OpCall, index: number | undefined, name: string, x: OpCall['inputs'][number], c: number): void {
  if (index === undefined) return;
  const s = meta(call, index).shape;
  if (s.length !== 1 || s[0] !== c) {
    throw new Error(`Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape ${shapeText(s)} and input of shape ${shapeText(x.shape)}`);
  }
}

function parseForward(call: OpCall) {
  const xi = tensorParam(call, 0, 'input');
  const x = meta(call, xi);
  requireFloating('GroupNormKernelImpl', x.dtype);
  const wi = optionalTensorParam(call, 1, 'weight');
  const bi = optionalTensorParam(call, 2, 'bias');
  const geo = geometry(call, 3, x);
  checkParam(call, wi, 'weight', x, geo.c);
  checkParam(call, bi, 'bias', x, geo.c);
  const eps = floatParam(call, 7, 'eps', 1e-5);
  const firstParam = wi ?? bi;
  const stat = statDtypeOf(x.dtype, firstParam === undefined ? undefined : meta(call, firstParam).dtype);
  const prec: Precision = { acc: opmathType(x.dtype), stat, input: x.dtype, random: x.random === true };
  return { xi, x, wi, bi, geo, eps, stat, prec };
}

export const nativeGroupNorm: OpDef = {
  name: 'aten.native_group_norm.default',
  family: 'normalization',
  bind(call) {
    const p = parseForward(call);
    const { n, c, hxw, group } = p.geo;
    const statShape = [n, group];
    const outputs: OutputSpec[] = [
      { dtype: p.x.dtype, shape: [...p.x.shape], accuracy: { kind: 'bound', ulps: outputUlps(p.x.dtype) } },
      statSpec(p.stat, statShape, { kind: 'accumulation', accumDtype: p.prec.acc, ulps: outputUlps(p.stat), passes: 2 }),
      statSpec(p.stat, statShape, { kind: 'bound', ulps: LOW_PRECISION.includes(p.stat) ? 2 : outputUlps(p.stat) }),
    ];
    return {
      outputs,
      reference(inputs): RefOutput[] {
        const grp = channelGroupGrouping(n, c, hxw, group);
        const f = normalizeForward(input(inputs, p.xi).values, grp, optionalValues(inputs, p.wi), optionalValues(inputs, p.bi), p.eps, p.prec, false);
        return [
          { shape: [...p.x.shape], values: f.out, bound: f.outBound },
          { shape: statShape, values: f.mean, absSum: f.meanAbs, terms: grp.size + 1 },
          { shape: statShape, values: f.rstd, bound: f.rstdBound },
        ];
      },
    };
  },
  regimes: normRegimes(['x', 'param', 'param']),
};

/**
 * The outputs a backward's output_mask asks for, in order: PyTorch returns None for the others, which a worker
 * leaves out (it returns only tensors).
 */
export function maskedOutputs<T>(mask: readonly boolean[], items: readonly T[]): T[] {
  return items.filter((_, k) => mask[k] === true);
}

/** grad_weight and grad_bias: accumulations over the elements of each parameter (see normalizeBackward). */
export function paramGradSpecs(dtype: DType, shape: number[], acc: DType, symmetric: boolean): [OutputSpec, OutputSpec] {
  const accuracy = { kind: 'accumulation' as const, accumDtype: acc, ulps: outputUlps(dtype), ...(symmetric ? { model: 'probabilistic' as const } : {}) };
  return [
    { dtype, shape, accuracy },
    { dtype, shape, accuracy },
  ];
}

export const nativeGroupNormBackward: OpDef = {
  name: 'aten.native_group_norm_backward.default',
  family: 'normalization',
  bind(call) {
    const gi = tensorParam(call, 0, 'grad_out');
    const xi = tensorParam(call, 1, 'input');
    const mi = tensorParam(call, 2, 'mean');
    const ri = tensorParam(call, 3, 'rstd');
    const wi = optionalTensorParam(call, 4, 'weight');
    const x = meta(call, xi);
    const dy = meta(call, gi);
    requireFloating('GroupNormBackwardKernelImpl', x.dtype);
    if (dy.dtype !== x.dtype) throw new Error('Expected scalar types of X and dY are same.');
    if (dy.shape.length !== x.shape.length || dy.shape.some((s, k) => s !== x.shape[k])) throw checkFailed('dY.numel() == N * C * HxW');
    const geo = geometry(call, 5, x);
    checkParam(call, wi, 'weight', x, geo.c);
    if (numel(meta(call, mi).shape) !== geo.n * geo.group) throw checkFailed('mean.numel() == N * group');
    if (numel(meta(call, ri).shape) !== geo.n * geo.group) throw checkFailed('rstd.numel() == N * group');
    const mask = maskParam(call, 9, 'output_mask');
    const paramDtype = wi !== undefined ? meta(call, wi).dtype : x.dtype;
    const prec: Precision = { acc: opmathType(x.dtype), stat: meta(call, mi).dtype, input: x.dtype, random: x.random === true && dy.random === true };
    const [gw, gb] = paramGradSpecs(paramDtype, [geo.c], prec.acc, dy.symmetric === true);
    const all: OutputSpec[] = [{ dtype: x.dtype, shape: [...x.shape], accuracy: { kind: 'bound', ulps: outputUlps(x.dtype) } }, gw, gb];
    return {
      outputs: maskedOutputs(mask, all),
      reference(inputs): RefOutput[] {
        const grp = channelGroupGrouping(geo.n, geo.c, geo.hxw, geo.group);
        const r = normalizeBackward(input(inputs, gi).values, input(inputs, xi).values, input(inputs, mi).values, input(inputs, ri).values, optionalValues(inputs, wi), grp, prec);
        return maskedOutputs(mask, [
          { shape: [...x.shape], values: r.gradInput, bound: r.gradInputBound },
          { shape: [geo.c], values: r.gradWeight, absSum: r.gradWeightAbs, terms: r.termsPerParam + 4 },
          { shape: [geo.c], values: r.gradBias, absSum: r.gradBiasAbs, terms: r.termsPerParam },
        ]);
      },
    };
  },
  regimes: normRegimes(['grad', 'x', 'mean', 'rstd', 'param']),
};

export const GROUP_NORM_OPS: readonly OpDef[] = [nativeGroupNorm, nativeGroupNormBackward];
