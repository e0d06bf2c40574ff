import { z } from 'zod';

/** Every dtype accelcert knows, spelled as PyTorch spells them (`torch.<name>`). */
export const DTYPES = [
  'float64',
  'float32',
  'float16',
  'bfloat16',
  'float8_e4m3fn',
  'float8_e5m2',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint8',
  'bool',
] as const;
export const DTypeSchema = z.enum(DTYPES);
export type DType = z.infer<typeof DTypeSchema>;

export type DTypeKind = 'float' | 'int' | 'uint' | 'bool';

/** Binary floating-point format parameters (IEEE-style, with the quirks of the float8 formats). */
export interface FloatFormat {
  /** explicit mantissa (fraction) bits */
  mantissaBits: number;
  exponentBits: number;
  /** exponent of the smallest normal number: 2^minExponent */
  minExponent: number;
  /** largest finite value */
  maxFinite: number;
  /** false for float8_e4m3fn, which has NaN but no infinities */
  hasInfinity: boolean;
}

export interface DTypeInfo {
  name: DType;
  kind: DTypeKind;
  itemsize: number;
  float?: FloatFormat;
  /** inclusive integer range (as numbers; int64's bounds are not exact doubles) */
  min?: number;
  max?: number;
}

function floatInfo(name: DType, itemsize: number, mantissaBits: number, exponentBits: number, maxFinite: number, hasInfinity = true): DTypeInfo {
  const bias = 2 ** (exponentBits - 1) - 1;
  return { name, kind: 'float', itemsize, float: { mantissaBits, exponentBits, minExponent: 1 - bias, maxFinite, hasInfinity } };
}

const INFO: Record<DType, DTypeInfo> = {
  float64: floatInfo('float64', 8, 52, 11, Number.MAX_VALUE),
  float32: floatInfo('float32', 4, 23, 8, 3.4028234663852886e38),
  float16: floatInfo('float16', 2, 10, 5, 65504),
  bfloat16: floatInfo('bfloat16', 2, 7, 8, 3.3895313892515355e38),
  // e4m3fn: exponent 1111 is used for normal numbers too; only S.1111.111 is NaN, so max = 1.75 * 2^8.
  float8_e4m3fn: floatInfo('float8_e4m3fn', 1, 3, 4, 448, false),
  float8_e5m2: floatInfo('float8_e5m2', 1, 2, 5, 57344),
  int64: { name: 'int64', kind: 'int', itemsize: 8, min: -(2 ** 63), max: 2 ** 63 - 1 },
  int32: { name: 'int32', kind: 'int', itemsize: 4, min: -(2 ** 31), max: 2 ** 31 - 1 },
  int16: { name: 'int16', kind: 'int', itemsize: 2, min: -(2 ** 15), max: 2 ** 15 - 1 },
  int8: { name: 'int8', kind: 'int', itemsize: 1, min: -128, max: 127 },
  uint8: { name: 'uint8', kind: 'uint', itemsize: 1, min: 0, max: 255 },
  bool: { name: 'bool', kind: 'bool', itemsize: 1, min: 0, max: 1 },
};

export function dtypeInfo(dtype: DType): DTypeInfo {
  return INFO[dtype];
}

export const LOW_PRECISION: readonly DType[] = ['float16', 'bfloat16'];

export function isFloating(dtype: DType): boolean {
  return INFO[dtype].kind === 'float';
}

export function isIntegral(dtype: DType, includeBool = false): boolean {
  const kind = INFO[dtype].kind;
  return kind === 'int' || kind === 'uint' || (includeBool && kind === 'bool');
}

export function floatFormat(dtype: DType): FloatFormat {
  const f = INFO[dtype].float;
  if (!f) throw new Error(`${dtype} is not a floating-point dtype`);
  return f;
}

/** Unit roundoff u = 2^-(mantissaBits+1) of a floating dtype. */
export function unitRoundoff(dtype: DType): number {
  return 2 ** -(floatFormat(dtype).mantissaBits + 1);
}

/** Smallest positive subnormal of a floating dtype. */
export function minSubnormal(dtype: DType): number {
  const f = floatFormat(dtype);
  return 2 ** (f.minExponent - f.mantissaBits);
}

// Bit access to a double's exponent field: exact and much cheaper than Math.log2 in hot loops.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

// 2^k for every k a double can hold, so spacings come from a table lookup.
const POW2_MIN = -1074;
const POW2 = new Float64Array(1024 - POW2_MIN);
for (let k = POW2_MIN; k < 1024; k++) POW2[k - POW2_MIN] = 2 ** k;

function pow2(k: number): number {
  return POW2[k - POW2_MIN] ?? 2 ** k;
}

/** floor(log2(a)) for a normal positive double (a ≥ 2^-1022), read from its exponent bits. */
export function normalExponent(a: number): number {
  F64[0] = a;
  return (((U32[HI] ?? 0) >>> 20) & 0x7ff) - 1023;
}

/**
 * The spacing function of a floating dtype, specialised once for hot loops: the ULP of the binade that holds
 * |x|; the subnormal spacing below the smallest normal (and for NaN); the last finite spacing above the
 * largest finite value.
 */
export function ulpFunction(dtype: DType): (x: number) => number {
  const f = floatFormat(dtype);
  const minNormal = 2 ** f.minExponent;
  const sub = 2 ** (f.minExponent - f.mantissaBits);
  const maxFinite = f.maxFinite;
  const m = f.mantissaBits;
  return (x: number): number => {
    let a = x < 0 ? -x : x;
    if (a > maxFinite) a = maxFinite;
    if (!(a >= minNormal)) return sub;
    return pow2(normalExponent(a) - m);
  };
}

/**
 * Round to nearest, ties to even, to a floating dtype, specialised once for hot loops, with PyTorch's overflow
 * behaviour: to ±inf where the format has infinities, to NaN for float8_e4m3fn (c10 converts out-of-range values
 * to NaN, it does not saturate).
 */
export function roundingFunction(dtype: DType): (x: number) => number {
  if (dtype === 'float64') return (x) => x;
  if (dtype === 'float32') return Math.fround;
  const f = floatFormat(dtype);
  const ulp = ulpFunction(dtype);
  const maxFinite = f.maxFinite;
  const overflow = f.hasInfinity ? Infinity : NaN;
  return (x) => {
    if (x !== x || x === 0) return x;
    const a = x < 0 ? -x : x;
    if (a === Infinity) return f.hasInfinity ? x : NaN;
    const q = ulp(a);
    // a / q is exact (power-of-two scaling) unless it underflows far below the format, where rounding to 0 is right anyway.
    const scaled = a / q;
    let n = Math.floor(scaled);
    const rest = scaled - n;
    if (rest > 0.5 || (rest === 0.5 && n % 2 === 1)) n += 1;
    const r = n * q;
    // Overflow is decided after rounding: a tie just above max rounds to even, which for IEEE formats (max has
    // an all-ones mantissa) is past max, and for e4m3fn (max mantissa 110) is max itself.
    if (r > maxFinite) return x < 0 ? -overflow : overflow;
    return x < 0 ? -r : r;
  };
}

const FLOAT_DTYPES = DTYPES.filter((d) => INFO[d].kind === 'float');
const ULPS = new Map(FLOAT_DTYPES.map((d) => [d, ulpFunction(d)]));
const ROUNDERS = new Map(FLOAT_DTYPES.map((d) => [d, roundingFunction(d)]));

/** Spacing of the dtype's representable numbers at |x| (see `ulpFunction`). */
export function ulpOf(dtype: DType, x: number): number {
  return (ULPS.get(dtype) ?? ulpFunction(dtype))(x);
}

/** Rounds a double to the nearest value of a floating dtype (see `roundingFunction`). */
export function roundToFloat(dtype: DType, x: number): number {
  // the two common dtypes skip the lookup: callers round element by element
  if (dtype === 'float32') return Math.fround(x);
  if (dtype === 'float64') return x;
  return (ROUNDERS.get(dtype) ?? roundingFunction(dtype))(x);
}

/**
 * Rounds/converts a double to what the dtype holds: floats round to nearest even, integers truncate toward
 * zero and wrap, bool is x != 0 — so NaN is true, as in C++ and PyTorch (`torch.tensor(nan).bool()` is True).
 */
export function castTo(dtype: DType, x: number): number {
  const info = INFO[dtype];
  if (info.kind === 'float') return roundToFloat(dtype, x);
  if (info.kind === 'bool') return x !== 0 ? 1 : 0;
  const t = Math.trunc(x);
  if (!Number.isFinite(t)) return 0; // undefined behaviour in C++; never generated as an expected value
  // `+ 0` turns the -0 that trunc gives for (-1, 0) into the integer 0.
  if (dtype === 'int64') return t + 0;
  const bits = info.itemsize * 8;
  const m = 2 ** bits;
  let w = ((t % m) + m) % m;
  if (info.kind === 'int' && w >= m / 2) w -= m;
  return w;
}

/**
 * What PyTorch's CPU cast from a float64 tensor gives: c10's Half, BFloat16 and Float8 types are built from
 * `float`, so float64 → float16/bfloat16/float8 rounds twice, first to float32 (recorded from torch 1.13 in
 * fixtures/pytorch/conversions.json: 1 + 2^-11 + 2^-40 becomes 1.0, not 1 + 2^-10). Every other cast is `castTo`.
 */
export function torchCastFromFloat64(dtype: DType, x: number): number {
  if (dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float8_e4m3fn' || dtype === 'float8_e5m2') {
    return roundToFloat(dtype, Math.fround(x));
  }
  return castTo(dtype, x);
}

/**
 * A specialised `castTo(dtype, ·)` for hot loops, with identical results: the dtype's rounding function for
 * floats; in-range integers pass through and everything else defers to `castTo` (truncation, wrapping, bool).
 */
export function castFunction(dtype: DType): (x: number) => number {
  const info = INFO[dtype];
  if (info.kind === 'float') return roundingFunction(dtype);
  const lo = info.min ?? 0;
  const hi = info.max ?? 0;
  const isBool = info.kind === 'bool';
  // `+ 0` turns -0 into 0: integers have no negative zero
  return (x) => (!isBool && Number.isInteger(x) && x >= lo && x <= hi ? x + 0 : castTo(dtype, x));
}

/** c10's ScalarType names, as PyTorch's messages spell dtypes ("not implemented for 'Half'", "torch.FloatTensor"). */
export const SCALAR_TYPE_NAMES: Readonly<Record<DType, string>> = {
  float64: 'Double',
  float32: 'Float',
  float16: 'Half',
  bfloat16: 'BFloat16',
  float8_e4m3fn: 'Float8_e4m3fn',
  float8_e5m2: 'Float8_e5m2',
  int64: 'Long',
  int32: 'Int',
  int16: 'Short',
  int8: 'Char',
  uint8: 'Byte',
  bool: 'Bool',
};

export function scalarTypeName(dtype: DType): string {
  return SCALAR_TYPE_NAMES[dtype];
}
