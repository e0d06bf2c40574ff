import { torchCastFromFloat64, type DType } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { broadcastIndex } from './broadcast.js';
import { dtypeParam, input, meta, tensorParam } from './params.js';
import type { OpDef } from './types.js';
import { COPY, expandGeometry } from './views-common.js';

/*
 * Copies that convert: `_to_copy` (what `.to(dtype)` lowers to) and `copy` (the out-of-place `copy_`). The
 * conversion is PyTorch's `static_cast` through c10's types: floats round to nearest even, overflowing to ±inf
 * (NaN for float8_e4m3fn); float16, bfloat16 and float8 are built from `float`, so a float64 or int64 value is
 * rounded to float32 first (two roundings: int64 2^24 + 2^16 + 1 becomes bfloat16 2^24, recorded from torch 1.13);
 * floats truncate toward zero into integers (suites only give values whose truncation the target holds: beyond it
 * C++ leaves the result undefined); integers wrap modulo 2^bits; anything becomes bool as `x != 0` (NaN is true).
 */

/** The value `x` (exact, of any dtype) becomes in `to`, as PyTorch's CPU and CUDA conversions give it. */
export function torchConvert(to: DType, x: number): number {
  return torchCastFromFloat64(to, x);
}

function converted(values: Float64Array, to: DType, index?: ArrayLike<number>, n = values.length): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = torchConvert(to, values[index ? (index[i] as number) : i] as number);
  return out;
}

// _to_copy(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None,
//          bool non_blocking=False, MemoryFormat? memory_format=None) -> Tensor
export const toCopy: OpDef = {
  name: 'aten._to_copy.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    // keyword-only: only a keyword binds it
    const dtype = dtypeParam(call, -1, 'dtype') ?? m.dtype;
    const shape = [...m.shape];
    return {
      outputs: [{ dtype, shape, accuracy: COPY }],
      reference: (inputs) => [{ shape, values: converted(input(inputs, self).values, dtype) }],
    };
  },
};

// copy(Tensor self, Tensor src, bool non_blocking=False) -> Tensor: a new tensor of self's dtype, shape (and strides)
// holding src broadcast to self's shape and converted to self's dtype
export const copy: OpDef = {
  name: 'aten.copy.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const src = tensorParam(call, 1, 'src');
    const m = meta(call, self);
    const s = meta(call, src);
    // copy_ expands src to self's shape, with expand's rules and messages
    // (src is converted to self's dtype first: the message names that type)
    expandGeometry(m.dtype, s.shape, m.shape);
    const shape = [...m.shape];
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: COPY }],
      reference(inputs) {
        const t = input(inputs, src);
        return [{ shape, values: converted(t.values, m.dtype, broadcastIndex(t.shape, shape), numel(shape)) }];
      },
    };
  },
};

export const CONVERSION_OPS: readonly OpDef[] = [copy, toCopy];
