import type { DType } from '../tensor/dtype.js';
import { dtypeInfo, isFloating } from '../tensor/dtype.js';

/** PyTorch's default floating dtype (`torch.get_default_dtype()`), which the harness never changes. */
export const DEFAULT_FLOAT: DType = 'float32';

type Category = 0 | 1 | 2; // bool < integer < floating, as c10 orders them

export function category(dtype: DType): Category {
  const kind = dtypeInfo(dtype).kind;
  return kind === 'bool' ? 0 : kind === 'float' ? 2 : 1;
}

const SIGNED_INTS: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];
const FLOAT_ORDER: readonly DType[] = ['float16', 'bfloat16', 'float32', 'float64'];

/**
 * `torch.promote_types(a, b)` for the dtypes accelcert knows (c10/core/ScalarType.cpp's table).
 * float8 types do not promote with anything but themselves; PyTorch raises, so do we.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a.startsWith('float8') || b.startsWith('float8')) {
    throw new Error(`PyTorch does not promote ${a} with ${b} (float8 types have no promotion)`);
  }
  if (a === 'bool') return b;
  if (b === 'bool') return a;
  const ca = category(a);
  const cb = category(b);
  if (ca !== cb) return ca > cb ? a : b;
  if (ca === 2) {
    // float16 and bfloat16 have no common 16-bit type: both fit in float32
    if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
    return FLOAT_ORDER.indexOf(a) > FLOAT_ORDER.indexOf(b) ? a : b;
  }
  // integers: uint8 with a signed type needs the next wider signed type that holds 0..255
  if (a === 'uint8' || b === 'uint8') {
    const other = a === 'uint8' ? b : a;
    return other === 'int8' ? 'int16' : other;
  }
  return SIGNED_INTS.indexOf(a) > SIGNED_INTS.indexOf(b) ? a : b;
}

/**
 * One participant of `torch.result_type`: a tensor (its rank matters: zero-dim tensors only count
 * when their category is higher) or a Python scalar ("wrapped number"), which contributes only its
 * category, as the default dtype of that category.
 */
export type Operand = { kind: 'tensor'; dtype: DType; rank: number } | { kind: 'scalar'; scalarKind: 'bool' | 'int' | 'float' };

function scalarDefault(kind: 'bool' | 'int' | 'float'): DType {
  return kind === 'bool' ? 'bool' : kind === 'int' ? 'int64' : DEFAULT_FLOAT;
}

/** c10's combine_categories: the higher-priority class wins unless a lower class has a higher category. */
function combine(higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (lower === undefined) return higher;
  if (isFloating(higher)) return higher;
  if (higher === 'bool' || isFloating(lower)) return promoteTypes(higher, lower);
  return higher;
}

/** `torch.result_type` over several operands (at::native::result_type with ResultTypeState). */
export function resultType(operands: readonly Operand[]): DType {
  let dim: DType | undefined;
  let zero: DType | undefined;
  let wrapped: DType | undefined;
  const up = (cur: DType | undefined, t: DType): DType => (cur === undefined ? t : promoteTypes(cur, t));
  for (const o of operands) {
    if (o.kind === 'scalar') wrapped = up(wrapped, scalarDefault(o.scalarKind));
    else if (o.rank === 0) zero = up(zero, o.dtype);
    else dim = up(dim, o.dtype);
  }
  const r = combine(dim, combine(zero, wrapped));
  if (r === undefined) throw new Error('result_type needs at least one operand');
  return r;
}

/**
 * The dtype PyTorch computes in for a floating dtype (at::opmath_type): float32 for float16/bfloat16,
 * the dtype itself otherwise. Also the accumulation dtype of sums and matrix products on CPU and CUDA.
 */
export function opmathType(dtype: DType): DType {
  return dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype;
}

/** Unary floating ops (exp, log, sigmoid, …) on integer or bool input compute in the default float dtype. */
export function floatResultOf(dtype: DType): DType {
  return isFloating(dtype) ? dtype : DEFAULT_FLOAT;
}
