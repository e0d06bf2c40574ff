import { describe, expect, it } from 'vitest';
import {
  bfloat16Bits,
  decodeValues,
  encodeValues,
  float16Bits,
  float32Bits,
  float8e4m3fnBits,
  float8e5m2Bits,
  fromBfloat16Bits,
  fromFloat16Bits,
  fromFloat32Bits,
  fromFloat8e4m3fnBits,
  fromFloat8e5m2Bits,
} from './codec.js';
import { castTo, DTYPES, roundToFloat, type DType } from './dtype.js';

interface Format {
  dtype: DType;
  bits: number;
  encode: (x: number) => number;
  decode: (b: number) => number;
}

const FORMATS: Format[] = [
  { dtype: 'float16', bits: 16, encode: float16Bits, decode: fromFloat16Bits },
  { dtype: 'bfloat16', bits: 16, encode: bfloat16Bits, decode: fromBfloat16Bits },
  { dtype: 'float8_e4m3fn', bits: 8, encode: float8e4m3fnBits, decode: fromFloat8e4m3fnBits },
  { dtype: 'float8_e5m2', bits: 8, encode: float8e5m2Bits, decode: fromFloat8e5m2Bits },
];

describe.each(FORMATS)('$dtype bit patterns', ({ dtype, bits, encode, decode }) => {
  const count = 2 ** bits;
  const signBit = 2 ** (bits - 1);

  it('every bit pattern decodes and re-encodes to itself (NaNs stay NaN)', () => {
    for (let b = 0; b < count; b++) {
      const v = decode(b);
      if (Number.isNaN(v)) expect(Number.isNaN(decode(encode(v)))).toBe(true);
      else if (encode(v) !== b) expect.fail(`${dtype} 0x${b.toString(16)} → ${v} → 0x${encode(v).toString(16)}`);
    }
  });

  it('positive finite patterns decode to strictly increasing values, negatives mirror them', () => {
    let prev = -1;
    for (let b = 0; b < signBit; b++) {
      const v = decode(b);
      if (!Number.isFinite(v)) break;
      expect(v).toBeGreaterThan(prev);
      expect(Object.is(decode(b + signBit), -v)).toBe(true);
      prev = v;
    }
  });

  it('midpoints between neighbours round to the even pattern; a hair off goes to the nearer one', () => {
    for (let b = 0; b < signBit - 1; b++) {
      const lo = decode(b);
      const hi = decode(b + 1);
      if (!Number.isFinite(hi)) break;
      const mid = (lo + hi) / 2;
      const even = b % 2 === 0 ? b : b + 1;
      if (encode(mid) !== even || encode(-mid) !== even + signBit) expect.fail(`${dtype} tie above 0x${b.toString(16)}`);
      const eps = (hi - lo) * 2 ** -30;
      if (encode(mid - eps) !== b || encode(mid + eps) !== b + 1) expect.fail(`${dtype} near-tie above 0x${b.toString(16)}`);
    }
  });

  it('agrees with roundToFloat on random doubles across the whole range', () => {
    let state = 12345;
    for (let i = 0; i < 20000; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const mant = 1 + state / 2 ** 32;
      const exp = (i % 80) - 40;
      const x = (i % 2 ? -1 : 1) * mant * 2 ** exp;
      expect(Object.is(decode(encode(x)), roundToFloat(dtype, x))).toBe(true);
    }
  });
});

describe('float16 constants and thresholds', () => {
  it('decodes the landmark patterns', () => {
    expect(fromFloat16Bits(0x3c00)).toBe(1);
    expect(fromFloat16Bits(0x7bff)).toBe(65504);
    expect(fromFloat16Bits(0x0400)).toBe(2 ** -14);
    expect(fromFloat16Bits(0x03ff)).toBe(2 ** -14 - 2 ** -24);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0x3555)).toBe(0.333251953125);
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
    expect(fromFloat16Bits(0xfc00)).toBe(-Infinity);
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
    expect(fromFloat16Bits(0x7e00)).toBeNaN();
  });
  it('overflows to inf exactly at the tie above the largest finite value', () => {
    expect(float16Bits(65519.99)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00);
    expect(float16Bits(-65520)).toBe(0xfc00);
    expect(float16Bits(1e300)).toBe(0x7c00);
  });
  it('rounds subnormals to nearest even, down to zero with the sign kept', () => {
    expect(float16Bits(2 ** -25)).toBe(0x0000);
    expect(float16Bits(2 ** -25 * (1 + 2 ** -20))).toBe(0x0001);
    expect(float16Bits(3 * 2 ** -25)).toBe(0x0002);
    expect(float16Bits(-(2 ** -26))).toBe(0x8000);
    expect(float16Bits(5e-324)).toBe(0x0000);
    expect(float16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400);
  });
  it('encodes NaN as 0x7E00 keeping the sign, like c10', () => {
    expect(float16Bits(NaN)).toBe(0x7e00);
    const neg = new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0] as number;
    expect(float16Bits(neg)).toBe(0xfe00);
  });
});

describe('bfloat16 constants and thresholds', () => {
  it('decodes exactly like the top half of a float32', () => {
    for (let b = 0; b < 65536; b++) {
      const f = fromFloat32Bits(b << 16);
      const v = fromBfloat16Bits(b);
      if (!(Number.isNaN(f) ? Number.isNaN(v) : Object.is(f, v))) expect.fail(`0x${b.toString(16)}`);
    }
  });
  it('overflows to inf exactly at the tie above the largest finite value', () => {
    const max = fromBfloat16Bits(0x7f7f);
    const tie = max + 2 ** (127 - 8);
    expect(bfloat16Bits(max)).toBe(0x7f7f);
    expect(bfloat16Bits(tie - 2 ** 75)).toBe(0x7f7f);
    expect(bfloat16Bits(tie)).toBe(0x7f80);
    expect(bfloat16Bits(3.4028234663852886e38)).toBe(0x7f80);
    expect(bfloat16Bits(-tie)).toBe(0xff80);
  });
  it('has float32-like subnormals', () => {
    expect(fromBfloat16Bits(0x0001)).toBe(2 ** -133);
    expect(bfloat16Bits(2 ** -134)).toBe(0x0000);
    expect(bfloat16Bits(3 * 2 ** -134)).toBe(0x0002);
    expect(bfloat16Bits(2 ** -126)).toBe(0x0080);
  });
  it('encodes NaN as 0x7FC0 whatever its sign, like c10', () => {
    expect(bfloat16Bits(NaN)).toBe(0x7fc0);
    const neg = new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0] as number;
    expect(bfloat16Bits(neg)).toBe(0x7fc0);
  });
});

// Values from the OCP 8-bit Floating Point Specification (OFP8) rev 1.0, table 1 and section 5.
describe('float8 formats against the OCP FP8 spec', () => {
  it('e4m3fn: bias 7, max 448, min normal 2^-6, subnormals from 2^-9, NaN S.1111.111, no infinities', () => {
    expect(fromFloat8e4m3fnBits(0x7e)).toBe(448);
    expect(fromFloat8e4m3fnBits(0xfe)).toBe(-448);
    expect(fromFloat8e4m3fnBits(0x08)).toBe(2 ** -6);
    expect(fromFloat8e4m3fnBits(0x07)).toBe(0.875 * 2 ** -6);
    expect(fromFloat8e4m3fnBits(0x01)).toBe(2 ** -9);
    expect(fromFloat8e4m3fnBits(0x38)).toBe(1);
    expect(fromFloat8e4m3fnBits(0x78)).toBe(256);
    expect(fromFloat8e4m3fnBits(0x7f)).toBeNaN();
    expect(fromFloat8e4m3fnBits(0xff)).toBeNaN();
    let nans = 0;
    for (let b = 0; b < 256; b++) if (Number.isNaN(fromFloat8e4m3fnBits(b))) nans++;
    expect(nans).toBe(2);
  });
  it('e4m3fn overflow gives NaN (c10 does not saturate); the tie at 464 rounds to even, 448', () => {
    expect(float8e4m3fnBits(464)).toBe(0x7e);
    expect(float8e4m3fnBits(464.0001)).toBe(0x7f);
    expect(float8e4m3fnBits(-464.0001)).toBe(0xff);
    expect(float8e4m3fnBits(480)).toBe(0x7f);
    expect(float8e4m3fnBits(Infinity)).toBe(0x7f);
    expect(float8e4m3fnBits(-Infinity)).toBe(0xff);
    expect(float8e4m3fnBits(NaN)).toBe(0x7f);
    expect(float8e4m3fnBits(2 ** -10)).toBe(0x00);
    expect(float8e4m3fnBits(3 * 2 ** -10)).toBe(0x02);
  });
  it('e5m2: bias 15, max 57344, min normal 2^-14, subnormals from 2^-16, inf S.11111.00, NaN S.11111.{01,10,11}', () => {
    expect(fromFloat8e5m2Bits(0x7b)).toBe(57344);
    expect(fromFloat8e5m2Bits(0x04)).toBe(2 ** -14);
    expect(fromFloat8e5m2Bits(0x03)).toBe(0.75 * 2 ** -14);
    expect(fromFloat8e5m2Bits(0x01)).toBe(2 ** -16);
    expect(fromFloat8e5m2Bits(0x3c)).toBe(1);
    expect(fromFloat8e5m2Bits(0x7c)).toBe(Infinity);
    expect(fromFloat8e5m2Bits(0xfc)).toBe(-Infinity);
    for (const b of [0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]) expect(fromFloat8e5m2Bits(b)).toBeNaN();
  });
  it('e5m2 overflows to inf at the tie above 57344 (odd mantissa rounds up); NaN encodes as 0x7F like c10', () => {
    expect(float8e5m2Bits(61439.99)).toBe(0x7b);
    expect(float8e5m2Bits(61440)).toBe(0x7c);
    expect(float8e5m2Bits(-61440)).toBe(0xfc);
    expect(float8e5m2Bits(NaN)).toBe(0x7f);
    expect(float8e5m2Bits(2 ** -17)).toBe(0x00);
    expect(float8e5m2Bits(3 * 2 ** -17)).toBe(0x02);
  });
});

describe('encodeValues / decodeValues', () => {
  const sample = [0, -0, 1, -1, 0.5, -2.5, 3, 100, -100, 127, -128, 255, 300, -300, 65504, 1e-3, 2 ** 31 - 1, -(2 ** 31)];

  it.each(DTYPES.filter((d) => d !== 'bool'))('%s round-trips castTo values exactly, little-endian', (dtype) => {
    const expected = sample.map((x) => castTo(dtype, x));
    const bytes = encodeValues(dtype, sample);
    const back = decodeValues(dtype, bytes);
    expect(Array.from(back)).toEqual(expected);
  });

  it('writes little-endian element bytes', () => {
    expect(Array.from(encodeValues('float16', [1]))).toEqual([0x00, 0x3c]);
    expect(Array.from(encodeValues('int32', [0x01020304]))).toEqual([4, 3, 2, 1]);
    expect(Array.from(encodeValues('int64', [-2]))).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(Array.from(encodeValues('float32', [1]))).toEqual([0, 0, 0x80, 0x3f]);
  });

  it('int64 holds every integer up to 2^53 and saturates outside [-2^63, 2^63)', () => {
    const values = [2 ** 53, -(2 ** 53), 2 ** 53 - 1, -(2 ** 63), 2 ** 62 + 2 ** 40, 4294967296, -4294967297];
    expect(Array.from(decodeValues('int64', encodeValues('int64', values)))).toEqual(values);
    const big = new BigInt64Array(encodeValues('int64', [2 ** 64, -(2 ** 64), 2 ** 63, -1.5]).buffer);
    expect(Array.from(big)).toEqual([2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n - 1n, -1n]);
  });

  it('bool stores 1 for anything but ±0, NaN included, and decodes a stray byte as itself', () => {
    expect(Array.from(encodeValues('bool', [0, -0, 2, -0.5, NaN, Infinity]))).toEqual([0, 0, 1, 1, 1, 1]);
    expect(Array.from(decodeValues('bool', new Uint8Array([0, 1, 2])))).toEqual([0, 1, 2]);
  });

  it('integer stores wrap exactly like castTo, NaN and inf store 0', () => {
    const xs = [300.7, -300.7, 1e10, -1e10, 2 ** 40 + 5, NaN, Infinity, -Infinity, -0.5];
    for (const dtype of ['int8', 'uint8', 'int16', 'int32'] as const) {
      expect(Array.from(decodeValues(dtype, encodeValues(dtype, xs)))).toEqual(xs.map((x) => castTo(dtype, x) + 0));
    }
  });

  it('decodes from an unaligned view of a larger buffer', () => {
    const bytes = encodeValues('float32', [1.5, -2, 3.25]);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 1);
    expect(Array.from(decodeValues('float32', padded.subarray(1, 1 + bytes.length)))).toEqual([1.5, -2, 3.25]);
    const b64 = encodeValues('int64', [-7, 9]);
    const p64 = new Uint8Array(20);
    p64.set(b64, 4);
    expect(Array.from(decodeValues('int64', p64.subarray(4, 20)))).toEqual([-7, 9]);
  });

  it('rejects a byte count that is not a whole number of elements', () => {
    expect(() => decodeValues('float16', new Uint8Array(3))).toThrow(/whole number/);
  });

  it('float32Bits rounds to nearest even through Math.fround', () => {
    expect(float32Bits(1 + 2 ** -24)).toBe(0x3f800000);
    expect(float32Bits(1 + 3 * 2 ** -24)).toBe(0x3f800002);
  });
});

describe('NaN bytes', () => {
  it('every NaN encodes as the one positive quiet NaN, whatever sign and payload it carried', () => {
    const raw = new Float64Array(2);
    const bytes = new Uint8Array(raw.buffer);
    raw[0] = NaN;
    raw[1] = NaN;
    bytes[7] = 0xff; // sign set: the default NaN x86 computes
    bytes[8] = 0x01; // a payload
    const nans = [raw[0] as number, raw[1] as number];
    const expected: Record<string, number[]> = {
      float64: [0, 0, 0, 0, 0, 0, 0xf8, 0x7f],
      float32: [0, 0, 0xc0, 0x7f],
      float16: [0x00, 0x7e],
      bfloat16: [0xc0, 0x7f],
    };
    for (const [dtype, one] of Object.entries(expected)) {
      expect(Array.from(encodeValues(dtype as DType, nans)), dtype).toEqual([...one, ...one]);
    }
  });
});
