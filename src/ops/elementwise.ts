import type { DType } from '../tensor/dtype.js';
import { castFunction, torchCastFromFloat64 } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import type { Operand } from './promotion.js';
import { resultType } from './promotion.js';
import type { ScalarArg } from './params.js';
import { input, meta, scalarParam, tensorParam } from './params.js';
import type { OpCall } from './types.js';
import type { RefTensor } from '../tensor/tensor.js';

/** One operand of an elementwise op: a tensor input or a Python scalar (a "wrapped number"). */
export type Side = { kind: 'tensor'; index: number } | { kind: 'scalar'; scalar: ScalarArg };

export function tensorSide(call: OpCall, pos: number, name: string): Extract<Side, { kind: 'tensor' }> {
  return { kind: 'tensor', index: tensorParam(call, pos, name) };
}

export function scalarSide(call: OpCall, pos: number, name: string): Side {
  return { kind: 'scalar', scalar: scalarParam(call, pos, name) };
}

export function sideShape(call: OpCall, s: Side): number[] {
  return s.kind === 'tensor' ? meta(call, s.index).shape : [];
}

export function promotionOperand(call: OpCall, s: Side): Operand {
  if (s.kind === 'scalar') return { kind: 'scalar', scalarKind: s.scalar.kind };
  const m = meta(call, s.index);
  return { kind: 'tensor', dtype: m.dtype, rank: m.shape.length };
}

export function commonDtype(call: OpCall, sides: readonly Side[]): DType {
  return resultType(sides.map((s) => promotionOperand(call, s)));
}

export function broadcastOf(call: OpCall, sides: readonly Side[]): number[] {
  return broadcastShapes(...sides.map((s) => sideShape(call, s)));
}

/**
 * The operand's values, converted to `dtype` as TensorIterator does before computing (so an int64 value
 * compared with a float32 tensor is first rounded to float32) and broadcast to `shape`.
 * Scalars (wrapped doubles) convert as c10 converts them, through float32 for float16/bfloat16; they are returned
 * unconverted when `convert` is false (callers that model several conversions).
 */
export function sideValues(inputs: readonly RefTensor[], s: Side, dtype: DType, shape: readonly number[], convert = true): Float64Array {
  const n = numel(shape);
  const out = new Float64Array(n);
  if (s.kind === 'scalar') {
    out.fill(convert ? torchCastFromFloat64(dtype, s.scalar.value) : s.scalar.value);
    return out;
  }
  const t = input(inputs, s.index);
  const map = broadcastIndex(t.shape, shape);
  const cast = castFunction(dtype);
  for (let k = 0; k < n; k++) out[k] = cast(t.values[map[k] ?? 0] ?? NaN);
  return out;
}
