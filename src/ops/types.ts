import type { DType } from '../tensor/dtype.js';
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
] as const;
export type OpFamily = (typeof OP_FAMILIES)[number];

/** What an op needs to know about a call without looking at values: argument list and input metadata. */
export interface OpCall {
  args: Arg[];
  kwargs: Record<string, Arg>;
  /** dtype and logical shape of every tensor input, in the case's input order */
  inputs: { dtype: DType; shape: number[] }[];
}

export interface OutputSpec {
  dtype: DType;
  shape: number[];
  /**
   * Other dtypes PyTorch itself returns for this output on some backend or version (e.g. float32 layer-norm
   * statistics of a bfloat16 input on CUDA and on CPU from 2.1); the output is then judged in that dtype.
   */
  alternativeDtypes?: DType[];
}

/** A float64 reference result for one output. */
export interface RefOutput {
  shape: number[];
  /** exact or float64 value per element, before rounding to the output dtype */
  values: Float64Array;
  /** for accumulating ops: Σ|term| per element (the scale of the accumulation error bound) */
  absSum?: Float64Array;
  /** for accumulating ops: number of terms accumulated per element (k in γ(k, u)) */
  terms?: number;
  /**
   * for the `bound` rule: the absolute error allowed per element before output rounding, from the op's
   * error analysis (composite ops) or from the spread of the evaluation orders PyTorch uses (see docs/numerics.md)
   */
  bound?: Float64Array;
}

/**
 * How close a device's answer must be, per output (see docs/numerics.md).
 * - exact: bit-identical value (signedZero: the sign of zero counts too)
 * - ulp: |actual − ref| ≤ ulps · ulp(ref) in the output dtype; 0.5 = correctly rounded
 * - accumulation: |actual − ref| ≤ γ(k, u(accumDtype)) · Σ|terms| + extra · ulp(ref)… see judge/interval.ts
 * - index-of-extreme: an index output of argmax/argmin/max.dim; any index holding the extreme value passes
 * - bound: |actual − ref| ≤ RefOutput.bound[i] + ulps · ulp(ref) in the output dtype (a per-element error bound
 *   the reference derives; used for softmax, layer_norm, gelu, scalar and alpha overloads, rounding division)
 */
export type Accuracy =
  | { kind: 'exact'; signedZero?: boolean }
  | { kind: 'ulp'; ulps: number }
  /**
   * passes: how many reduction passes may each round to the output dtype (PyTorch reduces several dims
   * in passes and keeps partial results in the output dtype): each pass beyond the first adds u(out)·Σ|terms|.
   */
  | { kind: 'accumulation'; accumDtype: DType; ulps?: number; passes?: number }
  | { kind: 'index-of-extreme'; extreme: 'max' | 'min'; input: number; dim: number | null; keepdim: boolean }
  | { kind: 'bound'; ulps: number };

export interface OpDef {
  /** `aten.<name>.<overload>` */
  name: string;
  family: OpFamily;
  /** output dtypes and shapes, by PyTorch's rules (type promotion, broadcasting, keepdim) */
  outputs(call: OpCall): OutputSpec[];
  /** float64 reference; inputs are exactly decoded logical values */
  reference(call: OpCall, inputs: RefTensor[]): RefOutput[];
  /** acceptance rule of output `index` for this call */
  accuracy(call: OpCall, index: number): Accuracy;
  /** PyTorch documents the op as nondeterministic (e.g. scatter_add with atomics): a repeated run may differ */
  nondeterministic?: boolean;
}
