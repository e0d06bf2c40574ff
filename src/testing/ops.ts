import type { DType } from '../tensor/dtype.js';
import type { RefTensor } from '../tensor/tensor.js';
import type { Arg } from '../ops/args.js';
import type { OpCall } from '../ops/types.js';
import { opCall } from '../ops/types.js';

/** Test helper: an input tensor with its values (row-major). */
export function t(dtype: DType, shape: number[], values: number[]): RefTensor {
  return { dtype, shape, values: Float64Array.from(values) };
}

/** Test helper: the call metadata for these inputs. */
export function callOf(inputs: RefTensor[], args: Arg[], kwargs: Record<string, Arg> = {}): OpCall {
  return opCall({ args, kwargs, inputs });
}
