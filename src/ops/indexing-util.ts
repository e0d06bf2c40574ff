import type { DType } from '../tensor/dtype.js';
import { castTo, dtypeInfo, floatFormat, isFloating, roundToFloat, torchCastFromFloat64 } from '../tensor/dtype.js';
import { contiguousStrides, numel } from '../tensor/tensor.js';
import { AccurateSum, exactInAnyOrder, lowBitExponent, wrapInt } from './numerics.js';
import type { ScalarArg } from './params.js';
import type { Accuracy, RefOutput } from './types.js';
import { SCALAR_TYPE_NAMES } from '../tensor/dtype.js';

/*
 * What the indexing and creation ops share: PyTorch's names in its messages, how a Scalar argument becomes a value
 * of a dtype (c10's checked conversion), index arithmetic over row-major shapes, and an order-free accumulator for
 * the ops that add or reduce several values into one element (index_put with accumulate, scatter_add,
 * scatter_reduce, embedding_dense_backward, _embedding_bag).
 */

/** Copies move values unchanged: bit-identical, the sign of zero included. */
export const COPY = { kind: 'exact', signedZero: true } as const;

/** c10's ScalarType names, as PyTorch's messages spell dtypes ("got Float for the destination"). */
export const SCALAR_TYPE_NAME = SCALAR_TYPE_NAMES;

/** The legacy tensor type names of `checkScalarTypes` messages ("but got torch.ShortTensor instead"). */
export function legacyTypeName(dtype: DType): string {
  return `torch.${SCALAR_TYPE_NAME[dtype]}Tensor`;
}

/** The C++ type names of c10's checked conversion ("value cannot be converted to type int8_t without overflow"). */
const C_TYPE_NAME: Record<DType, string> = {
  float64: 'double',
  float32: 'float',
  float16: 'at::Half',
  bfloat16: 'at::BFloat16',
  float8_e4m3fn: 'at::Float8_e4m3fn',
  float8_e5m2: 'at::Float8_e5m2',
  int64: 'int64_t',
  int32: 'int',
  int16: 'int16_t',
  int8: 'int8_t',
  uint8: 'uint8_t',
  bool: 'bool',
};

export const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * A Scalar argument converted to a dtype as `Scalar::to<T>()` does (c10::checked_convert), which every fill and
 * scatter of a scalar goes through. Throws PyTorch's overflow message where c10 refuses:
 * - a float value into a float dtype: finite values beyond the largest finite (65519 into float16, though it would
 *   round to 65504); NaN and ±inf pass. The value reaches float16/bfloat16 through float32 (c10::Half(float)).
 * - a float value into an integer dtype: NaN, ±inf and values outside [lowest, max] (127.9 into int8, −0.5 into
 *   uint8); others truncate toward zero.
 * - an int value into an unsigned dtype: |v| up to max passes, negatives wrap (−3 into uint8 is 253); into a signed
 *   one: outside [lowest, max] fails; into a float dtype: beyond ±largest finite fails.
 * - anything into bool: v ≠ 0 (NaN is true), never an error.
 */
export function checkedScalar(s: ScalarArg, dtype: DType): number {
  const v = s.value;
  const info = dtypeInfo(dtype);
  if (info.kind === 'bool') return v !== 0 ? 1 : 0;
  const overflow = (): never => {
    throw new Error(`value cannot be converted to type ${C_TYPE_NAME[dtype]} without overflow`);
  };
  if (info.kind === 'float') {
    const max = floatFormat(dtype).maxFinite;
    if (Number.isFinite(v) && Math.abs(v) > max) overflow();
    // an int scalar reaches c10::Half through float as well (int64 → float rounds first)
    return torchCastFromFloat64(dtype, v);
  }
  const lo = dtype === 'int64' ? -(2 ** 63) : (info.min as number);
  const hi = dtype === 'int64' ? 2 ** 63 : (info.max as number);
  if (s.kind === 'float') {
    if (!Number.isFinite(v) || v < lo || v > hi) overflow();
    return castTo(dtype, v);
  }
  if (info.kind === 'uint') {
    if (v > hi || (v < 0 && -v > hi)) overflow();
  } else if (v < lo || v > hi) {
    overflow();
  }
  return wrapInt(dtype, v);
}

/** How a value of one dtype is stored into another by a copy (`copy_`): float64 reaches float16/bfloat16 through float32. */
export function copyCast(from: DType, to: DType): (x: number) => number {
  if (from === to) return (x) => x;
  return from === 'float64' ? (x) => torchCastFromFloat64(to, x) : (x) => castTo(to, x);
}

/** Size of dim d, with a 0-dim tensor seen as [1] (ATen's ensure_nonempty_size). */
export function sizeAt(shape: readonly number[], d: number): number {
  return shape.length === 0 ? 1 : (shape[d] ?? 1);
}

/** Row-major strides of a shape, a 0-dim shape seen as [1]. */
export function stridesOf(shape: readonly number[]): number[] {
  return shape.length === 0 ? [1] : contiguousStrides(shape);
}

/** Calls visit(flat, idx) for every element of a shape in row-major order; idx is reused, do not keep it. */
export function forEachIndex(shape: readonly number[], visit: (flat: number, idx: number[]) => void): void {
  const n = numel(shape);
  const idx = new Array<number>(Math.max(shape.length, 1)).fill(0);
  const dims = shape.length === 0 ? [1] : shape;
  for (let flat = 0; flat < n; flat++) {
    visit(flat, idx);
    for (let d = dims.length - 1; d >= 0; d--) {
      const next = (idx[d] as number) + 1;
      if (next < (dims[d] as number)) {
        idx[d] = next;
        break;
      }
      idx[d] = 0;
    }
  }
}

/** The offset of a multi-index in a row-major tensor of the given strides. */
export function offsetOf(idx: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < strides.length; d++) o += (idx[d] ?? 0) * (strides[d] as number);
  return o;
}

/**
 * An index value checked against a dim of `size`: wrapped from [−size, 0) when the op wraps negative indices
 * (advanced indexing, select), else required to lie in [0, size). Out-of-range indices are an error in PyTorch;
 * `message` says it as the op does.
 */
export function checkIndex(v: number, size: number, wrapNegative: boolean, message: (v: number) => string): number {
  const w = wrapNegative && v < 0 ? v + size : v;
  if (!(w >= 0 && w < size) || !Number.isInteger(w)) throw new Error(message(v));
  return w;
}

/**
 * An order-free accumulator per output element: every term that lands on an element is kept as an exact sum (or an
 * exact product, for prod), with Σ|terms| and the count, so that the judge's accumulation rule bounds whatever order
 * a device adds them in (CPU loops, CUDA atomics): |actual − exact| ≤ γ(k, u)·Σ|terms| + ½ulp. An element that
 * received one term (a copy) or whose terms lie on a common grid that the accumulation dtype holds in any order
 * (integer-valued data, say) is marked exact: only rounding to the output dtype is allowed there.
 */
export class Accumulator {
  private readonly sums: AccurateSum[];
  private readonly prods: Float64Array;
  private readonly ints: bigint[];
  readonly absSum: Float64Array;
  readonly counts: Int32Array;
  private readonly grid: Float64Array;
  private readonly float: boolean;

  constructor(
    readonly dtype: DType,
    readonly n: number,
    readonly kind: 'sum' | 'prod' = 'sum',
  ) {
    this.float = isFloating(dtype);
    this.sums = this.float && kind === 'sum' ? Array.from({ length: n }, () => new AccurateSum()) : [];
    this.prods = new Float64Array(this.float && kind === 'prod' ? n : 0).fill(1);
    this.ints = this.float ? [] : new Array<bigint>(n).fill(kind === 'prod' ? 1n : 0n);
    this.absSum = new Float64Array(n);
    this.counts = new Int32Array(n);
    this.grid = new Float64Array(n).fill(Infinity);
  }

  /** Adds (or multiplies in) one term, already a value of the dtype. */
  add(i: number, x: number): void {
    this.counts[i] = (this.counts[i] as number) + 1;
    if (!this.float) {
      const b = BigInt(x);
      this.ints[i] = this.kind === 'prod' ? (this.ints[i] as bigint) * b : (this.ints[i] as bigint) + b;
      return;
    }
    if (this.kind === 'prod') {
      // products of a few bounded terms are exact in float64 (the suites keep them to ≤ 8 terms of ≤ 53/8 bits)
      this.prods[i] = (this.prods[i] as number) * x;
      return;
    }
    (this.sums[i] as AccurateSum).add(x);
    this.absSum[i] = (this.absSum[i] as number) + Math.abs(x);
    if (x !== 0 && x - x === 0) this.grid[i] = Math.min(this.grid[i] as number, lowBitExponent(x));
  }

  /** The exact value of element i (integers wrapped to the dtype; bool: any nonzero term is true, prod: all are). */
  value(i: number): number {
    if (!this.float) {
      const v = this.ints[i] as bigint;
      return this.dtype === 'bool' ? (v !== 0n ? 1 : 0) : wrapInt(this.dtype, v);
    }
    return this.kind === 'prod' ? (this.prods[i] as number) : (this.sums[i] as AccurateSum).value();
  }

  /** The largest number of terms any element received. */
  maxCount(): number {
    let k = 0;
    for (const c of this.counts) k = Math.max(k, c);
    return k;
  }

  /**
   * The reference output with what the accumulation rule needs: Σ|terms| (|product| for prod) per element, the
   * number of terms, and the elements exact in any order. `divide` (mean) divides value and scale by the count.
   */
  output(shape: number[], divide?: (i: number) => number): RefOutput {
    const values = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) values[i] = this.value(i);
    if (!this.float) {
      if (divide) for (let i = 0; i < this.n; i++) values[i] = Math.floor((values[i] as number) / divide(i));
      return { shape, values };
    }
    const absSum = this.kind === 'prod' ? values.map(Math.abs) : Float64Array.from(this.absSum);
    const exact = new Uint8Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const c = this.counts[i] as number;
      exact[i] = c <= 1 || (this.kind === 'sum' && exactInAnyOrder(absSum[i] as number, this.grid[i] as number, this.dtype)) ? 1 : 0;
      if (divide) {
        const d = divide(i);
        values[i] = (values[i] as number) / d;
        absSum[i] = (absSum[i] as number) / d;
        // a division rounds once more unless it is by one
        if (d !== 1) exact[i] = 0;
      }
    }
    return { shape, values, absSum, terms: Math.max(1, this.maxCount() + (divide ? 1 : 0)), exact };
  }
}

/**
 * The acceptance rule of an accumulation into `dtype`: order-free, in the dtype itself (PyTorch's CPU kernels and CUDA
 * atomics both round every addition to the output dtype, float16 and bfloat16 included); exact for integers and bool.
 */
export function accumulationIn(dtype: DType): Accuracy {
  return isFloating(dtype) ? { kind: 'accumulation', accumDtype: dtype } : { kind: 'exact' };
}

/** Rounds a float64 value to a floating dtype (identity for others): the oracle's values are exact before this. */
export function roundTo(dtype: DType, x: number): number {
  return isFloating(dtype) ? roundToFloat(dtype, x) : x;
}

/**
 * Writes into a copy of self where two writes may land on one element (index_put without accumulate, scatter): PyTorch
 * leaves which one stays undefined (its CUDA kernels race), so the last write in row-major order is the reference
 * value and every distinct value written there is an accepted choice (`RefOutput.choices`).
 */
export class Writes {
  private readonly written = new Map<number, number[]>();
  constructor(private readonly values: Float64Array) {}

  write(target: number, value: number): void {
    this.values[target] = value;
    const list = this.written.get(target);
    if (list) list.push(value);
    else this.written.set(target, [value]);
  }

  output(shape: number[]): RefOutput {
    const n = this.values.length;
    const open = [...this.written].filter(([, list]) => new Set(list.map((v) => (Number.isNaN(v) ? 'nan' : Object.is(v, -0) ? '-0' : String(v)))).size > 1);
    if (open.length === 0) return { shape, values: this.values };
    const byTarget = new Map(open);
    const choiceStart = new Int32Array(n + 1);
    const choices: number[] = [];
    for (let i = 0; i < n; i++) {
      choiceStart[i] = choices.length;
      const list = byTarget.get(i);
      if (list) choices.push(...list);
    }
    choiceStart[n] = choices.length;
    return { shape, values: this.values, choiceStart, choices: Float64Array.from(choices) };
  }
}
