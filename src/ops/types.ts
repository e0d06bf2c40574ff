import type { DType } from '../tensor/dtype.js';
import { isRandomDraw, isSignSymmetricRandom } from '../tensor/recipes.js';
import type { Recipe } from '../tensor/spec.js';
import type { RefTensor } from '../tensor/tensor.js';
import type { Arg } from './args.js';

export const OP_FAMILIES = [
  'unary',
  'binary',
  'comparison',
  'select',
  'activation',
  'reduction',
  'matmul',
  'softmax',
  'normalization',
  'shape',
  'indexing',
  'creation',
  'convolution',
  'pooling',
  'random',
] as const;
export type OpFamily = (typeof OP_FAMILIES)[number];

/** What an op needs to know about a call without looking at values: argument list and input metadata. */
export interface OpCall {
  args: Arg[];
  kwargs: Record<string, Arg>;
  /**
   * dtype and logical shape of every tensor input, in the case's input order. `random`: the case draws the input's
   * values independently from a wide distribution (`isRandomDraw`); `symmetric`: also symmetrically around zero
   * (`isSignSymmetricRandom`), which lets accumulating ops use a probabilistic error bound
   */
  inputs: { dtype: DType; shape: number[]; random?: boolean; symmetric?: boolean }[];
}

/**
 * The call of anything that carries ATen arguments and tensor inputs with a dtype and a shape: a case, an exec
 * request, a graph node. The one projection from those to what an op binds.
 */
export function opCall(x: { args: Arg[]; kwargs: Record<string, Arg>; inputs: readonly { dtype: DType; shape: readonly number[]; recipe?: Recipe }[] }): OpCall {
  return {
    args: x.args,
    kwargs: x.kwargs,
    inputs: x.inputs.map((t) => ({
      dtype: t.dtype,
      shape: [...t.shape],
      random: t.recipe !== undefined && isRandomDraw(t.recipe),
      symmetric: t.recipe !== undefined && isSignSymmetricRandom(t.recipe),
    })),
  };
}

export interface OutputSpec {
  dtype: DType;
  shape: number[];
  /**
   * Other dtypes PyTorch itself returns for this output on some backend or version (e.g. float32 layer-norm
   * statistics of a bfloat16 input on CUDA and on CPU from 2.1); the output is then judged in that dtype.
   */
  alternativeDtypes?: DType[];
  /** how close the device's answer must be (see Accuracy) */
  accuracy: Accuracy;
}

/** A float64 reference result for one output. */
export interface RefOutput {
  shape: number[];
  /** exact or float64 value per element, before rounding to the output dtype */
  values: Float64Array;
  /** for accumulating ops: Σ|term| per element (the scale of the accumulation error bound) */
  absSum?: Float64Array;
  /**
   * for a copy (`exact` rule) where PyTorch leaves open which of several writes to one element lands (index_put
   * without accumulate, scatter with duplicate indices): element i may hold any of
   * choices[choiceStart[i] … choiceStart[i + 1]); `values` holds one of them. Absent when no element has a choice.
   */
  choiceStart?: Int32Array;
  choices?: Float64Array;
  /**
   * for the `accumulation` rule: Σ|finite terms| before any division (an average divides its sum). Where it
   * reaches the accumulation dtype's largest value a partial sum may overflow, and ±inf or NaN are accepted too.
   */
  sumScale?: Float64Array;
  /** for accumulating ops: number of terms accumulated per element (k in γ(k, u)) */
  terms?: number;
  /**
   * for the `bound` rule: the absolute error allowed per element before output rounding, from the op's
   * error analysis (composite ops) or from the spread of the evaluation orders PyTorch uses (see docs/numerics.md)
   */
  bound?: Float64Array;
  /**
   * for the `accumulation` rule: 1 where the accumulation is exact in the accumulation dtype in every order
   * (`exactInAnyOrder`: a precision witness), so only the final rounding to the output dtype is allowed there
   */
  exact?: Uint8Array;
}

/**
 * How close a device's answer must be, per output (see docs/numerics.md).
 * - exact: bit-identical value (signedZero: the sign of zero counts too)
 * - ulp: |actual − ref| ≤ ulps · ulp(ref) in the output dtype; 0.5 = correctly rounded
 * - accumulation: |actual − ref| ≤ γ(k, u(accumDtype)) · Σ|terms| + extra · ulp(ref)… see judge/interval.ts
 * - index-of-extreme: an index output of argmax/argmin/max.dim; any index holding the extreme value passes
 * - bound: |actual − ref| ≤ RefOutput.bound[i] + ulps · ulp(ref) in the output dtype (a per-element error bound
 *   the reference derives; used for softmax, layer_norm, gelu, scalar and alpha overloads, rounding division)
 * - unspecified: PyTorch leaves the values undefined (empty, empty_strided): only dtype and shape are judged
 * - unordered: exact as a multiset along `dim` (sign of zero free): values whose order PyTorch leaves open
 *   (topk with sorted=False)
 * - index-of-values: an index output of sort/topk, judged by property against the device's own values output
 *   (output `values`): each index is in range along `dim` of input `input`, the input there equals the returned
 *   value (NaN matches NaN, ±0 match), and the indices of a slice are distinct (for sort: a permutation). Which
 *   of several equal elements is named is PyTorch's free choice (unstable sort, topk ties), so any of them passes;
 *   a stable sort also keeps equal elements in input order (−0 and +0 may still come in either order: backends
 *   differ, pytorch #162235)
 */
export type Accuracy =
  /**
   * anyWrite: where several writes land on one element, any of them (RefOutput.choices) passes; anyIndex: where the
   * source index depends on the precision of the index arithmetic (nearest upsampling), any candidate's value passes
   */
  | { kind: 'exact'; signedZero?: boolean; anyWrite?: boolean; anyIndex?: boolean }
  | { kind: 'ulp'; ulps: number }
  /**
   * passes: how many reduction passes may each round to the output dtype (PyTorch reduces several dims
   * in passes and keeps partial results in the output dtype): each pass beyond the first adds u(out)·Σ|terms|.
   */
  /**
   * model: 'probabilistic' for data drawn at random symmetrically around zero, where the bound is
   * γ̃(k, u, λ)·Σ|terms| (Higham & Mary 2019) at a failure probability below 1e-9 per case; else worst-case γ(k, u).
   */
  | { kind: 'accumulation'; accumDtype: DType; ulps?: number; passes?: number; model?: 'probabilistic' }
  | { kind: 'index-of-extreme'; extreme: 'max' | 'min'; input: number; dim: number | null; keepdim: boolean }
  | { kind: 'bound'; ulps: number }
  | { kind: 'unspecified' }
  | { kind: 'unordered'; dim: number }
  /** stable: equal elements (the same value and sign of zero; NaN alike) must also keep their input order */
  | { kind: 'index-of-values'; input: number; dim: number; values: number; stable: boolean }
  | RandomAccuracy;

/**
 * Draws from the device's generator, judged by distribution and property, never by value (judge/distribution.ts):
 * - distribution: every value in the law's support (uniform: [0, 1); normal: finite), the empirical CDF within the
 *   Dvoretzky–Kiefer–Wolfowitz band of the law's CDF, the first two moments, and no correlation between neighbours
 * - permutation: each of 0 … n−1 exactly once, and no rank correlation with the identity
 * - bernoulli: values 0 or 1, the share of ones within a Hoeffding band of p, and no correlation between neighbours
 * - dropout: the values of output `mask`'s kept elements equal the reference (input·1/(1−p)) within `ulps`, the
 *   others are zero
 * Each statistic is tested at the false-failure probability FALSE_FAILURE_PROBABILITY; a random output run twice
 * must differ, and the two draws must not be correlated (the generator advances between calls).
 */
export type RandomAccuracy =
  | { kind: 'distribution'; law: 'uniform' | 'normal' }
  | { kind: 'permutation' }
  | { kind: 'bernoulli'; p: number }
  | { kind: 'dropout'; mask: number; ulps: number };

export const RANDOM_KINDS: readonly Accuracy['kind'][] = ['distribution', 'permutation', 'bernoulli', 'dropout'];

/** An op bound to one call: everything the harness needs of it, from one parse of the arguments. */
export interface BoundOp {
  /** output dtypes and shapes by PyTorch's rules (type promotion, broadcasting, keepdim), with their acceptance rules */
  outputs: OutputSpec[];
  /** float64 reference, one per output; inputs are the call's tensors, exactly decoded logical values */
  reference(inputs: readonly RefTensor[]): RefOutput[];
  /** PyTorch documents this call as nondeterministic (e.g. scatter_add with atomics): a repeated run may differ */
  nondeterministic?: boolean;
  /**
   * For ops that draw from the device's generator (rand, randn, randperm, native_dropout): one draw as a correct
   * device makes it, from `random` (uniform in [0, 1)). The reference device runs this instead of `reference`, whose
   * values then hold only what the judge compares against (dropout's input·scale).
   */
  sample?(inputs: readonly RefTensor[], random: () => number): RefOutput[];
}

/** A region of an op's domain where implementations differ, and the input values that sweep it. */
export interface Regime {
  /** the variant name in case ids, e.g. `overflow-edge` */
  name: string;
  /** why implementations differ there, for people reading the suite and docs/numerics.md */
  why: string;
  /** the recipe of input `input` for a case of dtype `dtype`, or null where the regime does not apply to the dtype */
  recipe(dtype: DType, input: number): Recipe | null;
}

/** One ATen overload: its name, its family, and how a call of it binds. */
export interface OpDef {
  /** `aten.<name>.<overload>` */
  name: string;
  /** the op family, which files its cases (`suite/family/op/...`); suites take it from here */
  family: OpFamily;
  /** parses the call once; throws, with PyTorch's reason, for a call PyTorch rejects */
  bind(call: OpCall): BoundOp;
  /** the regions of the op's domain where implementations differ; suites sweep every one (`CaseGroup.regimes()`) */
  regimes?: readonly Regime[];
}
