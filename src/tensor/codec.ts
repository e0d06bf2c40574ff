import { dtypeInfo, floatFormat, type DType } from './dtype.js';

/*
 * Bit-exact conversion between float64 values and the little-endian bytes a device holds.
 *
 * Narrow floats (float16, bfloat16, float8) are encoded straight from the float64's bits with round to nearest
 * even, so a value is rounded once (unlike PyTorch's float64 → float16 cast, which goes through float32; see
 * `torchCastFromFloat64` in dtype.ts). Overflow follows c10: ±inf where the format has infinities, NaN for
 * float8_e4m3fn. NaN encodes as c10's scalar conversions produce it: float16 0x7E00, bfloat16 0x7FC0,
 * float8_e4m3fn 0x7F, float8_e5m2 0x7F; c10 keeps a negative NaN's sign bit for all but bfloat16, and so does
 * this codec (a JS NaN's sign is whatever arithmetic left; DESIGN leaves NaN payload and sign free).
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// One scratch double read back as two 32-bit words, so encoding allocates nothing per element.
const SCRATCH = new Float64Array(1);
const SCRATCH_WORDS = new Uint32Array(SCRATCH.buffer);
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

interface SmallFloat {
  mantissaBits: number;
  bias: number;
  /** unbiased exponent of the largest finite value */
  maxExponent: number;
  minNormal: number;
  /** 2^(mantissaBits - minExponent): scales a subnormal to its integer mantissa exactly */
  subnormalScale: number;
  maxFiniteBits: number;
  /** bits of +overflow: +inf, or NaN for formats without infinities */
  overflowBits: number;
  nanBits: number;
  signShift: number;
  keepNanSign: boolean;
}

function smallFloat(dtype: DType, nanBits: number, keepNanSign: boolean): SmallFloat {
  const f = floatFormat(dtype);
  const bias = 1 - f.minExponent;
  const maxExponent = Math.floor(Math.log2(f.maxFinite));
  const topMantissa = Math.round((f.maxFinite / 2 ** maxExponent - 1) * 2 ** f.mantissaBits);
  const maxFiniteBits = ((maxExponent + bias) << f.mantissaBits) | topMantissa;
  const infBits = ((2 ** f.exponentBits - 1) << f.mantissaBits) >>> 0;
  return {
    mantissaBits: f.mantissaBits,
    bias,
    maxExponent,
    minNormal: 2 ** f.minExponent,
    subnormalScale: 2 ** (f.mantissaBits - f.minExponent),
    maxFiniteBits,
    overflowBits: f.hasInfinity ? infBits : nanBits,
    nanBits,
    signShift: f.mantissaBits + f.exponentBits,
    keepNanSign,
  };
}

const F16 = smallFloat('float16', 0x7e00, true);
const BF16 = smallFloat('bfloat16', 0x7fc0, false);
const E4M3 = smallFloat('float8_e4m3fn', 0x7f, true);
const E5M2 = smallFloat('float8_e5m2', 0x7f, true);

function encodeSmall(f: SmallFloat, x: number): number {
  SCRATCH[0] = x;
  const hi = SCRATCH_WORDS[HI] as number;
  const sign = (hi >>> 31) << f.signShift;
  if (x !== x) return f.keepNanSign ? sign | f.nanBits : f.nanBits;
  const a = Math.abs(x);
  if (a < f.minNormal) {
    // Subnormal (or zero) in the target: the scaled value is exact in float64, so rounding it is exact too.
    const s = a * f.subnormalScale;
    let n = Math.floor(s);
    const r = s - n;
    if (r > 0.5 || (r === 0.5 && (n & 1) === 1)) n += 1;
    // n = 2^mantissaBits carries into the smallest normal's encoding, which is the right answer.
    return sign | n;
  }
  const e = ((hi >>> 20) & 0x7ff) - 1023;
  if (e > f.maxExponent) return sign | f.overflowBits;
  // Every kept mantissa bit lies in the high word (mantissaBits ≤ 10 < 20); the rest decide the rounding.
  const shift = 20 - f.mantissaBits;
  const frac = hi & 0xfffff;
  let kept = frac >>> shift;
  const rem = frac & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && ((SCRATCH_WORDS[LO] as number) !== 0 || (kept & 1) === 1))) kept += 1;
  // A mantissa carry moves into the exponent field by plain addition.
  const bits = ((e + f.bias) << f.mantissaBits) + kept;
  if (bits > f.maxFiniteBits) return sign | f.overflowBits;
  return sign | bits;
}

function decodeSmall(dtype: DType, bits: number): number {
  const f = floatFormat(dtype);
  const mantMask = (1 << f.mantissaBits) - 1;
  const expMax = (1 << f.exponentBits) - 1;
  const negative = (bits >>> (f.mantissaBits + f.exponentBits)) & 1;
  const exp = (bits >>> f.mantissaBits) & expMax;
  const mant = bits & mantMask;
  let v: number;
  if (f.hasInfinity && exp === expMax) v = mant === 0 ? Infinity : NaN;
  else if (!f.hasInfinity && exp === expMax && mant === mantMask) v = NaN;
  else if (exp === 0) v = mant * 2 ** (f.minExponent - f.mantissaBits);
  else v = (1 + mant / 2 ** f.mantissaBits) * 2 ** (exp + f.minExponent - 1);
  return negative ? -v : v;
}

function decodeTable(dtype: DType, size: number): Float64Array {
  const t = new Float64Array(size);
  for (let b = 0; b < size; b++) t[b] = decodeSmall(dtype, b);
  return t;
}

// Decoding is a table lookup; 2 × 512 KiB for the 16-bit formats, built once.
const F16_TABLE = decodeTable('float16', 1 << 16);
const BF16_TABLE = decodeTable('bfloat16', 1 << 16);
const E4M3_TABLE = decodeTable('float8_e4m3fn', 1 << 8);
const E5M2_TABLE = decodeTable('float8_e5m2', 1 << 8);

export function float16Bits(x: number): number {
  return encodeSmall(F16, x);
}
export function fromFloat16Bits(bits: number): number {
  return F16_TABLE[bits & 0xffff] as number;
}
export function bfloat16Bits(x: number): number {
  return encodeSmall(BF16, x);
}
export function fromBfloat16Bits(bits: number): number {
  return BF16_TABLE[bits & 0xffff] as number;
}
export function float8e4m3fnBits(x: number): number {
  return encodeSmall(E4M3, x);
}
export function fromFloat8e4m3fnBits(bits: number): number {
  return E4M3_TABLE[bits & 0xff] as number;
}
export function float8e5m2Bits(x: number): number {
  return encodeSmall(E5M2, x);
}
export function fromFloat8e5m2Bits(bits: number): number {
  return E5M2_TABLE[bits & 0xff] as number;
}

const F32_SCRATCH = new Float32Array(1);
const F32_WORD = new Uint32Array(F32_SCRATCH.buffer);

/** float32 bit pattern of a double rounded to float32 (nearest even, overflow to ±inf). */
export function float32Bits(x: number): number {
  F32_SCRATCH[0] = x;
  return F32_WORD[0] as number;
}

export function fromFloat32Bits(bits: number): number {
  F32_WORD[0] = bits >>> 0;
  return F32_SCRATCH[0] as number;
}

const TWO_32 = 4294967296;
const TWO_63 = 2 ** 63;

function smallFormatOf(dtype: DType): { f: SmallFloat; table: Float64Array } | null {
  switch (dtype) {
    case 'float16':
      return { f: F16, table: F16_TABLE };
    case 'bfloat16':
      return { f: BF16, table: BF16_TABLE };
    case 'float8_e4m3fn':
      return { f: E4M3, table: E4M3_TABLE };
    case 'float8_e5m2':
      return { f: E5M2, table: E5M2_TABLE };
    default:
      return null;
  }
}

/** Reverses each itemsize-byte group: the wire format is little-endian whatever the host is. */
function swapBytes(bytes: Uint8Array, itemsize: number): void {
  if (itemsize === 1) return;
  for (let i = 0; i < bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}

type PlainArray = new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => ArrayLike<number> & { set(values: ArrayLike<number>): void };

/**
 * Dtypes whose elements a typed array stores and reads exactly as PyTorch does (a typed-array store is C's
 * truncating, wrapping conversion). bool reads as its byte; it is encoded apart (any nonzero value is 1).
 */
const PLAIN_ARRAYS: Partial<Record<DType, PlainArray>> = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/**
 * Encodes values as contiguous little-endian elements of `dtype`. Every NaN is stored as the one quiet NaN
 * (positive, payload 0), whatever sign or payload the computation that made it left.
 * Floats round to nearest even (narrow floats straight from float64; float32 as `Math.fround`), overflowing as
 * PyTorch does. Integers truncate toward zero and wrap like `castTo` (typed-array stores are exactly that
 * conversion; NaN and ±inf, undefined in C++, store 0). int64 values outside [-2^63, 2^63) saturate; int64
 * values beyond 2^53 cannot be given exactly as numbers, and the generators never produce them.
 * bool stores 1 for any value other than ±0 (NaN included, as in PyTorch).
 */
export function encodeValues(dtype: DType, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const itemsize = dtypeInfo(dtype).itemsize;
  const buf = new ArrayBuffer(n * itemsize);
  const small = smallFormatOf(dtype);
  if (small) {
    const out = itemsize === 2 ? new Uint16Array(buf) : new Uint8Array(buf);
    for (let i = 0; i < n; i++) {
      const x = values[i] as number;
      out[i] = x !== x ? small.f.nanBits : encodeSmall(small.f, x);
    }
  } else {
    const plain = PLAIN_ARRAYS[dtype];
    if (plain && dtype !== 'bool') {
      const out = new plain(buf);
      out.set(values);
      // NaN's sign and payload depend on how it was computed (x86's default NaN is negative); store one NaN, so
      // that the same value always has the same bytes
      if (dtype === 'float32' || dtype === 'float64') for (let i = 0; i < n; i++) if (values[i] !== values[i]) (out as Float64Array)[i] = NaN;
    } else if (dtype === 'bool') {
      const out = new Uint8Array(buf);
      for (let i = 0; i < n; i++) out[i] = (values[i] as number) !== 0 ? 1 : 0;
    } else if (dtype === 'int64') {
      const words = new Int32Array(buf);
      const lo = LITTLE_ENDIAN ? 0 : 1;
      for (let i = 0; i < n; i++) {
        const v = Math.trunc(values[i] as number);
        let h: number;
        let l: number;
        if (!(v === v) || v === Infinity || v === -Infinity) {
          h = 0;
          l = 0;
        } else if (v >= TWO_63) {
          h = 0x7fffffff;
          l = -1;
        } else if (v < -TWO_63) {
          h = -0x80000000;
          l = 0;
        } else {
          // Exact for |v| ≤ 2^53; above that v is a multiple of 2^11 and the split stays exact.
          h = Math.floor(v / TWO_32);
          l = v - h * TWO_32;
        }
        words[2 * i + lo] = l;
        words[2 * i + 1 - lo] = h;
      }
    } else throw new Error(`no encoder for dtype ${dtype}`);
  }
  const bytes = new Uint8Array(buf);
  if (!LITTLE_ENDIAN) swapBytes(bytes, itemsize);
  return bytes;
}

/** An ArrayBuffer holding bytes aligned and in host order, copying only when it must. */
function hostOrderBuffer(bytes: Uint8Array, itemsize: number): ArrayBufferLike {
  if (LITTLE_ENDIAN && bytes.byteOffset % itemsize === 0) {
    return bytes.buffer;
  }
  const copy = bytes.slice();
  if (!LITTLE_ENDIAN) swapBytes(copy, itemsize);
  return copy.buffer;
}

/**
 * Decodes contiguous little-endian elements of `dtype` to float64, exactly (every float format and every
 * integer up to 2^53 in magnitude is a double; int64 beyond 2^53 rounds to the nearest double).
 * bool bytes decode to their byte value, so a device that writes anything other than 0/1 is visibly wrong.
 */
export function decodeValues(dtype: DType, bytes: Uint8Array): Float64Array {
  const itemsize = dtypeInfo(dtype).itemsize;
  if (bytes.length % itemsize !== 0) {
    throw new Error(`${bytes.length} bytes is not a whole number of ${dtype} elements`);
  }
  const n = bytes.length / itemsize;
  const out = new Float64Array(n);
  const buf = hostOrderBuffer(bytes, itemsize);
  const start = buf === bytes.buffer ? bytes.byteOffset / itemsize : 0;
  const small = smallFormatOf(dtype);
  if (small) {
    const src = itemsize === 2 ? new Uint16Array(buf, start * 2, n) : new Uint8Array(buf, start, n);
    const table = small.table;
    for (let i = 0; i < n; i++) out[i] = table[src[i] as number] as number;
    return out;
  }
  const plain = PLAIN_ARRAYS[dtype];
  if (plain) {
    out.set(new plain(buf, start * itemsize, n));
    return out;
  }
  if (dtype === 'int64') {
    const words = new Int32Array(buf, start * 8, 2 * n);
    const lo = LITTLE_ENDIAN ? 0 : 1;
    for (let i = 0; i < n; i++) {
      // hi · 2^32 is exact; adding the unsigned low word rounds once, to the nearest double.
      out[i] = (words[2 * i + 1 - lo] as number) * TWO_32 + ((words[2 * i + lo] as number) >>> 0);
    }
    return out;
  }
  throw new Error(`no decoder for dtype ${dtype}`);
}
