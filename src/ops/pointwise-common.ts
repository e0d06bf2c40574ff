import type { DType } from '../tensor/dtype.js';
import { castFunction, dtypeInfo, floatFormat, isFloating, torchCastFromFloat64 } from '../tensor/dtype.js';
import type { RefTensor } from '../tensor/tensor.js';
import { numel } from '../tensor/tensor.js';
import { broadcastIndex } from './broadcast.js';
import type { Side } from './elementwise.js';
import { rounder } from './numerics.js';
import type { ScalarArg } from './params.js';
import { input, meta } from './params.js';
import { opmathType } from './promotion.js';
import type { OpCall } from './types.js';
import { scalarTypeName } from '../tensor/dtype.js';

/*
 * What the binary, comparison and clamp overloads beyond add/sub/mul/div share: how a Python scalar enters a kernel,
 * the evaluation orders PyTorch kernels use (for `bound` rules), and c10's checked scalar conversion.
 */

/**
 * A Python scalar in a kernel that computes in `dtype`: the wrapped double converted as c10 converts it (through
 * float32 for float16/bfloat16; integers wrap modulo 2^bits, so −1 is 255 in uint8).
 */
export function scalarIn(dtype: DType, v: number): number {
  return torchCastFromFloat64(dtype, v);
}

/**
 * The values a Python scalar may take in the kernels of a floating `dtype`: converted to the dtype (PyTorch 1.13 CPU),
 * to its opmath type (2.x CPU reduced-float paths and CUDA keep a float32 scalar for float16/bfloat16), or kept a
 * double (float32 pow's scalar path calls std::pow(float, double)).
 */
export function scalarCandidates(dtype: DType, v: number): number[] {
  return [...new Set([scalarIn(dtype, v), scalarIn(opmathType(dtype), v), v])];
}

/** Whether every kernel sees the same scalar: it is exact in the dtype (and so in opmath and as a double). */
export function scalarIsExact(dtype: DType, v: number): boolean {
  return Number.isNaN(v) || scalarIn(dtype, v) === v;
}

/**
 * For a `bound` rule: the largest distance between the reference `ref` and another evaluation order's result, both
 * as the output dtype holds them. Non-finite alternatives are left to the judge, which places NaN and ±inf exactly
 * and accepts an overflow only where the interval reaches it.
 */
export function spread(ref: number, alternatives: readonly number[], out: DType): number {
  if (!Number.isFinite(ref)) return 0;
  const fl = rounder(out);
  let worst = 0;
  for (const alt of alternatives) {
    const d = Math.abs(fl(alt) - ref);
    if (Number.isFinite(d) && d > worst) worst = d;
  }
  return worst;
}

/**
 * Every operand broadcast to `shape` and converted to `dtype` as TensorIterator converts it before computing; scalars
 * as c10 converts a wrapped double (`scalarIn`).
 */
export function operandValues(inputs: readonly RefTensor[], sides: readonly Side[], dtype: DType, shape: readonly number[]): Float64Array[] {
  const n = numel(shape);
  return sides.map((s) => {
    const out = new Float64Array(n);
    if (s.kind === 'scalar') return out.fill(scalarIn(dtype, s.scalar.value));
    const t = input(inputs, s.index);
    const map = broadcastIndex(t.shape, shape);
    const cast = castFunction(dtype);
    for (let k = 0; k < n; k++) out[k] = cast(t.values[map[k] ?? 0] ?? NaN);
    return out;
  });
}

/** The dtype of a tensor side, or the Python type of a scalar side. */
export function sideIsBool(call: OpCall, s: Side): boolean {
  return s.kind === 'tensor' ? meta(call, s.index).dtype === 'bool' : s.scalar.kind === 'bool';
}

/** c10's C++ name of a dtype, as its error messages spell it. */
const CPP_NAMES: Partial<Record<DType, string>> = {
  bool: 'bool',
  uint8: 'uint8_t',
  int8: 'int8_t',
  int16: 'int16_t',
  int32: 'int',
  int64: 'int64_t',
  float16: 'at::Half',
  bfloat16: 'at::BFloat16',
  float32: 'float',
  float64: 'double',
};

/** c10's ScalarType name ('Float', 'Bool', …), as dispatch errors spell it ("… not implemented for 'Float'"). */
export { scalarTypeName };

/** PyTorch's dispatch error for a dtype a kernel has no code for on any backend. */
export function notImplemented(kernel: string, dtype: DType): Error {
  return new Error(`"${kernel}" not implemented for '${scalarTypeName(dtype)}'`);
}

/**
 * c10::overflows<To, From>: whether `Scalar::to<T>()` (checked_convert) refuses the scalar. Floats: beyond the finite
 * range (±inf passes, NaN passes for floating targets); integers: outside the range, except that a negative integer
 * scalar may wrap into an unsigned type when its magnitude fits (−1 is 255 in uint8, −256 overflows).
 */
export function overflows(s: ScalarArg, dtype: DType): boolean {
  if (s.kind === 'bool') return false;
  const info = dtypeInfo(dtype);
  const v = s.value;
  if (info.kind === 'bool') return false;
  if (info.kind === 'float') {
    if (!Number.isFinite(v)) return false;
    return Math.abs(v) > floatFormat(dtype).maxFinite;
  }
  const min = dtype === 'int64' ? -(2 ** 63) : (info.min as number);
  const max = dtype === 'int64' ? 2 ** 63 - 1 : (info.max as number);
  if (s.kind === 'float' && Number.isNaN(v)) return true;
  if (info.kind === 'uint' && s.kind === 'int' && v < 0) return v > max || -v > max;
  return v < min || v > max;
}

/** `Scalar::to<T>()` as clamp's kernels call it: refuses a scalar the dtype cannot hold, with c10's message. */
export function checkConvert(s: ScalarArg, dtype: DType): void {
  if (overflows(s, dtype)) throw new Error(`value cannot be converted to type ${CPP_NAMES[dtype] ?? dtype} without overflow`);
}

/** A floating result's rounding to the dtype and to its opmath type, for evaluation orders. */
export function rounders(dtype: DType): { out: (x: number) => number; op: (x: number) => number } {
  return { out: rounder(dtype), op: rounder(isFloating(dtype) ? opmathType(dtype) : dtype) };
}
