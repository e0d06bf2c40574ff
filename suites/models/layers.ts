import { arg, type Arg } from '../../src/ops/args.js';
import type { GraphBuilder, Value } from '../../src/suite/graph-builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import type { GraphMode, TaskCheck } from '../../src/workload/graph.js';

/*
 * The layers the models share, spelled as torch.export / make_fx spell them in Core ATen: a linear is a permute of
 * the weight and an addmm (mm without a bias), a scalar operand takes the `.Scalar` overload. Every call here is one
 * that PyTorch 1.13 runs as well as 2.x.
 */

/** Every model runs in float32 and the two 16-bit formats; eager and through the graph compiler. */
export const MODEL_DTYPES: DType[] = ['float32', 'bfloat16', 'float16'];
export const MODEL_MODES: GraphMode[] = ['eager', 'compiled'];

/** A dtype argument (the `dtype=` keyword of _to_copy, arange, full). */
export const dtypeArg = (value: DType): Arg => ({ kind: 'dtype', value });

/**
 * nn.Linear's and nn.Conv2d's default initialisation: kaiming_uniform(a=√5) of the weight and its bias, ±1/√fan_in
 * (`scale` times wider: weights grown in training).
 */
export const kaimingUniform = (fanIn: number, scale = 1): Recipe => ({ kind: 'uniform', low: -scale / Math.sqrt(fanIn), high: scale / Math.sqrt(fanIn) });
export const normal = (mean: number, std: number): Recipe => ({ kind: 'normal', mean, std });

/**
 * The task checks of a classifier's (or language model's) logits at output `output`: the top-1 class agrees at
 * 99 % of the positions, and the logits point the same way as the reference's (cosine 0.999 in 16-bit formats,
 * 0.999999 in float32).
 */
export function logitChecks(dtype: DType, output: number): TaskCheck[] {
  return [{ kind: 'top1', output, min: 0.99 }, cosineCheck(dtype, output)];
}

export function cosineCheck(dtype: DType, output: number): TaskCheck {
  return { kind: 'cosine', output, min: dtype === 'float32' ? 0.999999 : 0.999 };
}

/** x [M, in] · weight [out, in]ᵀ (+ bias [out]): `permute` then `addmm` (or `mm`), as nn.Linear traces. */
export function linear(g: GraphBuilder, x: Value, weight: Value, bias?: Value): Value {
  const t = g.call('aten.permute.default', [weight, arg.ints([1, 0])]);
  return bias ? g.call('aten.addmm.default', [bias, x, t]) : g.call('aten.mm.default', [x, t]);
}

export const view = (g: GraphBuilder, x: Value, shape: number[]): Value => g.call('aten.view.default', [x, arg.ints(shape)]);
export const permute = (g: GraphBuilder, x: Value, dims: number[]): Value => g.call('aten.permute.default', [x, arg.ints(dims)]);
export const cat = (g: GraphBuilder, xs: readonly Value[], dim: number): Value => g.call('aten.cat.default', [xs, arg.int(dim)]);
export const add = (g: GraphBuilder, a: Value, b: Value): Value => g.call('aten.add.Tensor', [a, b]);
export const mul = (g: GraphBuilder, a: Value, b: Value): Value => g.call('aten.mul.Tensor', [a, b]);
export const select = (g: GraphBuilder, x: Value, dim: number, index: number): Value => g.call('aten.select.int', [x, arg.int(dim), arg.int(index)]);
export const slice = (g: GraphBuilder, x: Value, dim: number, start: number, end: number): Value =>
  g.call('aten.slice.Tensor', [x, arg.int(dim), arg.int(start), arg.int(end), arg.int(1)]);
export const softmax = (g: GraphBuilder, x: Value, dim: number): Value => g.call('aten._softmax.default', [x, arg.int(dim), arg.bool(false)]);
export const toDtype = (g: GraphBuilder, x: Value, dtype: DType): Value => g.call('aten._to_copy.default', [x], { dtype: dtypeArg(dtype) });

/**
 * Joins attention heads [H, L, d] (contiguous, one head per leading index) back into [L, H·d] rows: one `select`
 * per head and a `cat` along the last dim, the same values as permute + reshape. (The export form, permute → clone
 * with memory_format=torch.contiguous_format → view, needs a memory-format argument that the graph format cannot
 * spell yet; a view of the permuted tensor is one PyTorch refuses.)
 */
export function mergeHeads(g: GraphBuilder, x: Value, heads: number): Value {
  return cat(
    g,
    Array.from({ length: heads }, (_, h) => select(g, x, 0, h)),
    1,
  );
}
