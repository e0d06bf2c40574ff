import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { philox4x32, PhiloxStream, seedFromId } from './prng.js';

const hex = (a: Uint32Array): string[] => Array.from(a, (x) => x.toString(16).padStart(8, '0'));

describe('Philox4x32-10', () => {
  // Known-answer vectors from Random123's kat_vectors (philox4x32_10).
  it.each([
    [[0, 0, 0, 0], [0, 0], ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], ['d16cfe09', '94fdcceb', '5001e420', '24126ea1']],
  ])('counter %j key %j gives the Random123 answer', (ctr, key, want) => {
    const out = new Uint32Array(4);
    philox4x32(ctr[0] ?? 0, ctr[1] ?? 0, ctr[2] ?? 0, ctr[3] ?? 0, key[0] ?? 0, key[1] ?? 0, out);
    expect(hex(out)).toEqual(want);
  });
});

describe('seedFromId', () => {
  it('is the first 16 hex digits of sha256 of the id', () => {
    const id = 'core/binary/aten.add.Tensor/float16/broadcast-4x1x8';
    expect(seedFromId(id)).toBe(createHash('sha256').update(id).digest('hex').slice(0, 16));
    expect(seedFromId('')).toBe('e3b0c44298fc1c14');
  });
});

describe('PhiloxStream', () => {
  const s = new PhiloxStream('0123456789abcdef', 3);

  it('gives element i without drawing the ones before it, in any order', () => {
    const forward = Array.from({ length: 50 }, (_, i) => s.uniform(i));
    const backward = Array.from({ length: 50 }, (_, i) => s.uniform(49 - i)).reverse();
    expect(backward).toEqual(forward);
    expect(s.uniform(2 ** 40 + 3)).toBe(new PhiloxStream('0123456789abcdef', 3).uniform(2 ** 40 + 3));
  });

  it('keys on both seed and input index', () => {
    const a = new PhiloxStream('0123456789abcdef', 0).uint32(0);
    expect(new PhiloxStream('0123456789abcdef', 1).uint32(0)).not.toBe(a);
    expect(new PhiloxStream('0123456789abcdee', 0).uint32(0)).not.toBe(a);
  });

  it('draws uniforms in [0, 1) with 53 bits, mean 1/2', () => {
    const out = s.fillUniform(new Float64Array(100001), 7);
    let sum = 0;
    let fine = 0;
    let bad = 0;
    for (let j = 0; j < out.length; j++) {
      const u = out[j] as number;
      if (!(u >= 0 && u < 1) || u * 2 ** 53 !== Math.floor(u * 2 ** 53)) bad++;
      if (u * 2 ** 32 !== Math.floor(u * 2 ** 32)) fine++;
      sum += u;
    }
    expect(bad).toBe(0);
    expect(Math.abs(sum / out.length - 0.5)).toBeLessThan(0.005);
    expect(fine).toBeGreaterThan(out.length * 0.99);
  });

  it('fillUniform and fillNormal equal uniform(i) and normal(i) elementwise from any start', () => {
    for (const start of [0, 1, 6, 9]) {
      const u = s.fillUniform(new Float64Array(7), start);
      expect(Array.from(u)).toEqual(Array.from({ length: 7 }, (_, j) => s.uniform(start + j)));
      const z = s.fillNormal(new Float64Array(7), start);
      expect(Array.from(z)).toEqual(Array.from({ length: 7 }, (_, j) => s.normal(start + j)));
    }
  });

  it('draws standard normals: mean 0, variance 1', () => {
    const n = 50000;
    let sum = 0;
    let sq = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      const z = s.normal(i);
      sum += z;
      sq += z * z;
      if (i % 2 === 1) pairs += z * s.normal(i - 1);
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.03);
    // The cosine and sine halves of one Box–Muller pair are uncorrelated.
    expect(Math.abs(pairs / (n / 2))).toBeLessThan(0.03);
  });

  it('uint32 reads the four words of a block in order', () => {
    const out = new Uint32Array(4);
    const seed = 'fedcba9876543210';
    philox4x32(1, 0, 5, 0, 0x76543210, 0xfedcba98, out);
    const t = new PhiloxStream(seed, 5);
    expect([t.uint32(4), t.uint32(5), t.uint32(6), t.uint32(7)]).toEqual(Array.from(out));
  });

  it('rejects malformed seeds and streams', () => {
    expect(() => new PhiloxStream('xyz', 0)).toThrow(/16 lowercase hex/);
    expect(() => new PhiloxStream('0123456789abcdef', -1)).toThrow(/uint32/);
  });
});
