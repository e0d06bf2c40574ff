import { numel } from '../tensor/tensor.js';
import { maskParam, optionalValues, requireFloating } from './normalization-common.js';
import { maskedOutputs, paramGradSpecs } from './normalization-group.js';
import { normRegimes } from './normalization-regimes.js';
import { normalizeBackward, outputUlps, type Precision, rowGrouping } from './normalization-stats.js';
import { input, intsParam, meta, optionalTensorParam, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import type { OpDef, OutputSpec, RefOutput } from './types.js';

/*
 * native_layer_norm_backward(Tensor grad_out, Tensor input, SymInt[] normalized_shape, Tensor mean, Tensor rstd,
 *                            Tensor? weight, Tensor? bias, bool[3] output_mask) -> (Tensor, Tensor, Tensor)
 * The same in 1.13 and 2.x. mean and rstd are native_layer_norm's statistics (one per row), used as given. Outputs:
 * grad_input (the input's shape and dtype), grad_weight (the weight's), grad_bias (the bias's), each only where
 * output_mask asks for it (PyTorch returns None for the others). PyTorch takes grad_weight's shape from the weight and
 * grad_bias's from the bias, and fails without them ("tensor does not have a device"). Bounds: normalizeBackward.
 */
export const nativeLayerNormBackward: OpDef = {
  name: 'aten.native_layer_norm_backward.default',
  family: 'normalization',
  bind(call) {
    const gi = tensorParam(call, 0, 'grad_out');
    const xi = tensorParam(call, 1, 'input');
    const norm = intsParam(call, 2, 'normalized_shape') ?? [];
    const mi = tensorParam(call, 3, 'mean');
    const ri = tensorParam(call, 4, 'rstd');
    const wi = optionalTensorParam(call, 5, 'weight');
    const bi = optionalTensorParam(call, 6, 'bias');
    const mask = maskParam(call, 7, 'output_mask');
    const x = meta(call, xi);
    const dy = meta(call, gi);
    requireFloating('LayerNormBackwardKernelImpl', x.dtype);
    const axis = x.shape.length - norm.length;
    if (axis < 0 || norm.some((s, k) => s !== x.shape[axis + k])) {
      throw new Error(`Given normalized_shape=[${norm.join(', ')}], expected input with shape [*, ${norm.join(', ')}], but got input of size[${x.shape.join(', ')}]`);
    }
    if (dy.shape.length !== x.shape.length || dy.shape.some((s, k) => s !== x.shape[k])) throw new Error(`grad_out of shape [${dy.shape.join(', ')}] does not match input [${x.shape.join(', ')}]`);
    if ((mask[1] && wi === undefined) || (mask[2] && bi === undefined)) throw new Error('tensor does not have a device');
    const rows = numel(x.shape.slice(0, axis));
    const n = numel(norm);
    for (const [i, name] of [[mi, 'mean'], [ri, 'rstd']] as const) {
      const k = numel(meta(call, i).shape);
      if (k !== rows) throw new Error(`${name} has ${k} elements for ${rows} rows`);
    }
    const prec: Precision = { acc: opmathType(x.dtype), stat: meta(call, mi).dtype, input: x.dtype, random: x.random === true && dy.random === true };
    const wMeta = wi !== undefined ? meta(call, wi) : undefined;
    const bMeta = bi !== undefined ? meta(call, bi) : undefined;
    const [gw] = paramGradSpecs(wMeta?.dtype ?? x.dtype, [...(wMeta?.shape ?? norm)], prec.acc, dy.symmetric === true);
    const [, gb] = paramGradSpecs(bMeta?.dtype ?? x.dtype, [...(bMeta?.shape ?? norm)], prec.acc, dy.symmetric === true);
    const all: OutputSpec[] = [{ dtype: x.dtype, shape: [...x.shape], accuracy: { kind: 'bound', ulps: outputUlps(x.dtype) } }, gw, gb];
    return {
      outputs: maskedOutputs(mask, all),
      reference(inputs): RefOutput[] {
        const r = normalizeBackward(input(inputs, gi).values, input(inputs, xi).values, input(inputs, mi).values, input(inputs, ri).values, optionalValues(inputs, wi), rowGrouping(rows, n), prec);
        return maskedOutputs(mask, [
          { shape: [...x.shape], values: r.gradInput, bound: r.gradInputBound },
          { shape: [...gw.shape], values: r.gradWeight, absSum: r.gradWeightAbs, terms: r.termsPerParam + 4 },
          { shape: [...gb.shape], values: r.gradBias, absSum: r.gradBiasAbs, terms: r.termsPerParam },
        ]);
      },
    };
  },
  regimes: normRegimes(['grad', 'x', 'mean', 'rstd', 'param', 'param']),
};
