import type { DType } from '../tensor/dtype.js';
import { isFloating, LOW_PRECISION } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { input, meta } from './params.js';
import type { OpCall, OutputSpec } from './types.js';
import type { RefTensor } from '../tensor/tensor.js';

/** c10's ScalarType names, as PyTorch's dispatch errors spell them ("… not implemented for 'Long'"). */
const SCALAR_TYPE: Partial<Record<DType, string>> = {
  bool: 'Bool',
  uint8: 'Byte',
  int8: 'Char',
  int16: 'Short',
  int32: 'Int',
  int64: 'Long',
};

/** PyTorch's dispatch error for a non-floating input of a normalisation kernel (e.g. `"batch_norm" not implemented for 'Long'`). */
export function requireFloating(kernel: string, dtype: DType): void {
  if (!isFloating(dtype)) throw new Error(`"${kernel}" not implemented for '${SCALAR_TYPE[dtype] ?? dtype}'`);
}

/**
 * The dtype of the statistics a normalisation returns: the input's, or float32 for a float16/bfloat16 input whose
 * parameters are float32 (PyTorch's "mixed type" CPU kernels, batch norm from 1.13, group and layer norm from 2.1).
 */
export function statDtypeOf(x: DType, paramDtype: DType | undefined): DType {
  return LOW_PRECISION.includes(x) && paramDtype === 'float32' ? 'float32' : x;
}

/**
 * A statistics output: CUDA returns float32 statistics for a float16/bfloat16 input (its accumulate type), so a
 * narrow stats dtype also accepts float32, judged in that dtype (as native_layer_norm's are).
 */
export function statSpec(dtype: DType, shape: number[], accuracy: OutputSpec['accuracy']): OutputSpec {
  return LOW_PRECISION.includes(dtype) ? { dtype, shape, accuracy, alternativeDtypes: ['float32'] } : { dtype, shape, accuracy };
}

/** An optional 1-D parameter of length `c`, checked the way PyTorch's batch norm checks it. */
export function checkFeatures(call: OpCall, index: number | undefined, name: string, c: number): void {
  if (index === undefined) return;
  const n = numel(meta(call, index).shape);
  if (n !== c) throw new Error(`${name} should contain ${c} elements not ${n}`);
}

/** The values of an optional input. */
export function optionalValues(inputs: readonly RefTensor[], index: number | undefined): Float64Array | undefined {
  return index === undefined ? undefined : input(inputs, index).values;
}

/** A `bool[3]` output mask, which the harness passes as ints (0/1) or bools. */
export function maskParam(call: OpCall, pos: number, name: string): [boolean, boolean, boolean] {
  const a = pos < call.args.length ? call.args[pos] : call.kwargs[name];
  if (a?.kind === 'ints' && a.value.length === 3) return [a.value[0] !== 0, a.value[1] !== 0, a.value[2] !== 0];
  throw new Error(`argument '${name}' must be a list of 3 bools, got ${a === undefined ? 'nothing' : a.kind}`);
}
