import { describe, expect, it } from 'vitest';
import { DTYPES, castFunction, castTo, minSubnormal, roundToFloat, ulpFunction, ulpOf } from '../tensor/dtype.js';
import { nextDown, nextUp, ordinal, stepBy, ulpDistance, ulpError } from './ulp.js';
import { seededRandom as rng } from '../testing/helpers.js';

function f32Bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0] ?? 0;
}

function f64Bits(x: number): bigint {
  return new BigUint64Array(new Float64Array([x]).buffer)[0] ?? 0n;
}

describe('ordinal', () => {
  it('equals the float32 bit pattern for positive values, normal and subnormal', () => {
    const rand = rng(1);
    for (let i = 0; i < 2000; i++) {
      const bits = Math.floor(rand() * 0x7f800000);
      const x = new Float32Array(new Uint32Array([bits]).buffer)[0] ?? 0;
      expect(ordinal('float32', x)).toBe(bits);
      expect(ordinal('float32', -x)).toBe(-bits || 0);
    }
    expect(ordinal('float32', Infinity)).toBe(0x7f800000);
    expect(ordinal('float32', 3.4028234663852886e38)).toBe(f32Bits(3.4028234663852886e38));
  });

  it('matches known float16, bfloat16 and float8 encodings', () => {
    expect(ordinal('float16', 1)).toBe(0x3c00);
    expect(ordinal('float16', 65504)).toBe(0x7bff);
    expect(ordinal('float16', Infinity)).toBe(0x7c00);
    expect(ordinal('float16', 2 ** -14)).toBe(0x0400);
    expect(ordinal('float16', 2 ** -24)).toBe(1);
    expect(ordinal('bfloat16', 1)).toBe(0x3f80);
    expect(ordinal('bfloat16', -2)).toBe(-0x4000);
    expect(ordinal('float8_e4m3fn', 1)).toBe(0x38);
    expect(ordinal('float8_e4m3fn', 448)).toBe(0x7e);
    expect(ordinal('float8_e4m3fn', 2 ** -9)).toBe(1);
    expect(ordinal('float8_e5m2', 1)).toBe(0x3c);
    expect(ordinal('float8_e5m2', 57344)).toBe(0x7b);
    expect(ordinal('float8_e5m2', Infinity)).toBe(0x7c);
    expect(ordinal('float16', NaN)).toBeNaN();
  });

  it('is fractional between representables', () => {
    expect(ordinal('float16', 1 + 2 ** -11)).toBe(0x3c00 + 0.5);
  });
});

describe('ulpDistance', () => {
  it('counts steps within and across binades', () => {
    expect(ulpDistance('float16', 1, 2)).toBe(1024);
    expect(ulpDistance('float16', 0.5, 2)).toBe(2048);
    expect(ulpDistance('float16', 2, 0.5)).toBe(2048);
    expect(ulpDistance('float16', 1 - 2 ** -11, 1 + 2 ** -10)).toBe(2);
    expect(ulpDistance('float32', 1, 1 + 2 ** -23)).toBe(1);
    expect(ulpDistance('float32', 1 - 2 ** -24, 1)).toBe(1);
  });

  it('handles zero, both zeros, and crossing zero', () => {
    expect(ulpDistance('float16', 0, -0)).toBe(0);
    expect(ulpDistance('float16', -minSubnormal('float16'), minSubnormal('float16'))).toBe(2);
    expect(ulpDistance('float32', -1, 1)).toBe(2 * 0x3f800000);
    expect(ulpDistance('float16', -0, 2 ** -24)).toBe(1);
  });

  it('handles subnormals and the subnormal/normal boundary', () => {
    expect(ulpDistance('float16', 0, 2 ** -14)).toBe(1024);
    expect(ulpDistance('float16', 2 ** -14 - 2 ** -24, 2 ** -14 + 2 ** -24)).toBe(2);
    expect(ulpDistance('float32', 2 ** -149, 2 ** -126)).toBe(2 ** 23 - 1);
    expect(ulpDistance('float64', 0, Number.MIN_VALUE)).toBe(1);
  });

  it('depends on the format: float16 vs bfloat16 vs float32', () => {
    const x = 1 + 2 ** -7;
    expect(ulpDistance('bfloat16', 1, x)).toBe(1);
    expect(ulpDistance('float16', 1, x)).toBe(8);
    expect(ulpDistance('float32', 1, x)).toBe(2 ** 16);
    expect(ulpDistance('bfloat16', 1, 2)).toBe(128);
  });

  it('puts infinity one step past the largest finite value', () => {
    expect(ulpDistance('float16', 65504, Infinity)).toBe(1);
    expect(ulpDistance('float16', Infinity, Infinity)).toBe(0);
    expect(ulpDistance('float16', -Infinity, Infinity)).toBe(2 * 0x7c00);
    expect(ulpDistance('float16', NaN, 1)).toBeNaN();
  });

  it('is exact for float64 (matches bit-pattern differences)', () => {
    const rand = rng(2);
    for (let i = 0; i < 500; i++) {
      const a = (rand() + 0.5) * 2 ** Math.floor(rand() * 200 - 100);
      const k = Math.floor(rand() * 600);
      const b = stepBy('float64', a, k);
      expect(ulpDistance('float64', a, b)).toBe(k);
      expect(Number(f64Bits(b) - f64Bits(a))).toBe(k);
    }
    expect(ulpDistance('float64', 1, 2)).toBe(2 ** 52);
  });
});

describe('ulpError', () => {
  it('measures against the exact reference in ULPs of the reference', () => {
    expect(ulpError('float32', 1 + 2 ** -23, 1)).toBe(1);
    expect(ulpError('float32', 1, 1 + 2 ** -25)).toBe(0.25);
    expect(ulpError('float16', 2048 + 2, 2048)).toBe(1);
  });

  it('is 0 for matching NaN/inf and Infinity for misplaced ones', () => {
    expect(ulpError('float32', NaN, NaN)).toBe(0);
    expect(ulpError('float32', Infinity, Infinity)).toBe(0);
    expect(ulpError('float32', 0, NaN)).toBe(Infinity);
    expect(ulpError('float32', NaN, 0)).toBe(Infinity);
    expect(ulpError('float32', -Infinity, Infinity)).toBe(Infinity);
    expect(ulpError('float32', 3e38, Infinity)).toBe(Infinity);
  });
});

describe('nextUp / nextDown / stepBy', () => {
  it('walks the representable set', () => {
    expect(nextUp('float16', 1)).toBe(1 + 2 ** -10);
    expect(nextDown('float16', 1)).toBe(1 - 2 ** -11);
    expect(nextUp('float16', 0)).toBe(2 ** -24);
    expect(nextDown('float16', 0)).toBe(-(2 ** -24));
    expect(nextUp('float16', -1)).toBe(-1 + 2 ** -11);
    expect(nextDown('float16', 2 ** -14)).toBe(2 ** -14 - 2 ** -24);
    expect(nextUp('float16', 65504)).toBe(Infinity);
    expect(nextDown('float16', -65504)).toBe(-Infinity);
    expect(nextUp('float8_e4m3fn', 448)).toBeNaN();
    expect(nextUp('float16', -Infinity)).toBe(-65504);
    expect(stepBy('float32', 1, -3)).toBe(1 - 3 * 2 ** -24);
    for (const x of [1, 3.5, 2 ** -20, 1000]) expect(roundToFloat('bfloat16', nextUp('bfloat16', x))).toBe(nextUp('bfloat16', x));
  });
});

describe('ulpFunction', () => {
  it('agrees with ulpOf everywhere', () => {
    const rand = rng(3);
    for (const dtype of ['float64', 'float32', 'float16', 'bfloat16', 'float8_e4m3fn', 'float8_e5m2'] as const) {
      const ulp = ulpFunction(dtype);
      for (let i = 0; i < 3000; i++) {
        const x = (rand() - 0.5) * 2 ** Math.floor(rand() * 300 - 150);
        expect(ulp(x)).toBe(ulpOf(dtype, x));
      }
      for (const x of [0, -0, Infinity, -Infinity, NaN, 1, 2, 0.5, Number.MIN_VALUE, Number.MAX_VALUE]) expect(ulp(x)).toBe(ulpOf(dtype, x));
    }
  });
});

describe('castFunction', () => {
  it('agrees with castTo for every dtype, including ties, overflow, NaN and out-of-range integers', () => {
    const rand = rng(4);
    const specials = [0, -0, NaN, Infinity, -Infinity, 0.5, 1.5, 2.5, -2.5, 65504, 65520, 65519.99, 464, 465, 1e39, -1e39, 2 ** 31, -(2 ** 31) - 1, 300, -129, 1e-40, 2 ** -25, 3 * 2 ** -26];
    for (const dtype of DTYPES) {
      const cast = castFunction(dtype);
      const values = [...specials];
      for (let i = 0; i < 3000; i++) values.push((rand() - 0.5) * 2 ** Math.floor(rand() * 100 - 50));
      for (const x of values) expect(Object.is(cast(x), castTo(dtype, x)), `${dtype} ${x}`).toBe(true);
    }
  });
});
