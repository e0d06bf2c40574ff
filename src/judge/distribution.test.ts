import { describe, expect, it } from 'vitest';
import type { RandomAccuracy } from '../ops/types.js';
import type { DType } from '../tensor/dtype.js';
import { seededRandom } from '../testing/helpers.js';
import { judgeRandom } from './distribution.js';

const tensor = (dtype: DType, values: ArrayLike<number>) => ({ dtype, shape: [values.length], values: Float64Array.from(values) });
const N = 65536;

function judge(acc: RandomAccuracy, values: ArrayLike<number>, again: ArrayLike<number> | null = null, dtype: DType = 'float32', outputs: ReturnType<typeof tensor>[] = []) {
  const expected = { shape: [values.length], values: new Float64Array(values.length) };
  return judgeRandom(acc, dtype, expected, tensor(dtype, values), outputs, again === null ? null : tensor(dtype, again), (i) => [i]);
}

const uniform = (seed: number, n = N) => {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => Math.fround(r()));
};
const normal = (seed: number, n = N, std = 1) => {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => std * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
};
const passed = (o: ReturnType<typeof judge>) => o.problem === null && o.mismatches === 0 && o.margin !== null && o.margin <= 1;

describe('random outputs judged by distribution', () => {
  it('passes independent uniform draws, with a margin from the worst statistic', () => {
    const o = judge({ kind: 'distribution', law: 'uniform' }, uniform(1), uniform(2));
    expect(passed(o)).toBe(true);
    expect(o.margin).toBeGreaterThan(0);
    expect(o.worst?.index).toEqual([]);
  });

  it('fails 1.0 in a uniform draw, a 3% bias, neighbours that repeat, and a repeat that is the first draw again', () => {
    const x = uniform(1);
    x[17] = 1;
    const one = judge({ kind: 'distribution', law: 'uniform' }, x, uniform(2));
    expect(one.mismatches).toBe(1);
    expect(one.worst).toMatchObject({ index: [17], actual: '1' });
    const biased = judge({ kind: 'distribution', law: 'uniform' }, uniform(1).map((v) => Math.min(v * 1.03, 0.9999)), uniform(2));
    expect(biased.problem).toMatch(/^KS distance from U\[0, 1\)/);
    const pairs = uniform(1).map((v, i, a) => (i % 2 === 1 ? (a[i - 1] as number) : v));
    expect(judge({ kind: 'distribution', law: 'uniform' }, pairs, uniform(2)).problem).toMatch(/^neighbour correlation/);
    expect(judge({ kind: 'distribution', law: 'uniform' }, uniform(1), uniform(1)).problem).toMatch(/generator did not advance/);
    // a repeat that differs yet follows the first draw
    const shifted = uniform(1).map((v) => (v + 0.001) % 1);
    expect(judge({ kind: 'distribution', law: 'uniform' }, uniform(1), shifted).problem).toMatch(/^correlation with the repeated call/);
  });

  it('passes standard normal draws and fails a standard deviation of 1.05 or an infinity', () => {
    expect(passed(judge({ kind: 'distribution', law: 'normal' }, normal(3), normal(4)))).toBe(true);
    expect(judge({ kind: 'distribution', law: 'normal' }, normal(3, N, 1.05), normal(4)).problem).toMatch(/^(KS distance|mean square)/);
    const x = normal(3);
    x[5] = -Infinity;
    expect(judge({ kind: 'distribution', law: 'normal' }, x, normal(4)).mismatches).toBe(1);
  });

  it('judges a permutation by validity and rank correlation', () => {
    const n = 5000;
    const r = seededRandom(9);
    const perm = (rand: () => number) => {
      const p = Float64Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [p[i], p[j]] = [p[j] as number, p[i] as number];
      }
      return p;
    };
    const a = perm(r);
    const b = perm(r);
    expect(passed(judge({ kind: 'permutation' }, a, b, 'int64'))).toBe(true);
    const dup = Float64Array.from(a);
    dup[3] = dup[4] as number;
    expect(judge({ kind: 'permutation' }, dup, b, 'int64').mismatches).toBe(1);
    // nearly sorted: neighbours swapped pairwise
    const nearly = Float64Array.from({ length: n }, (_, i) => i ^ 1);
    expect(judge({ kind: 'permutation' }, nearly, b, 'int64').problem).toMatch(/^rank correlation with 0 … n−1/);
    // randperm(7) twice the same happens once in 5040 calls: not a failure
    expect(passed(judge({ kind: 'permutation' }, [3, 1, 0, 6, 2, 5, 4], [3, 1, 0, 6, 2, 5, 4], 'int64'))).toBe(true);
  });

  it('judges a dropout mask by its share and a dropout output by the kept values and zeros', () => {
    const r = seededRandom(5);
    const mask = Float64Array.from({ length: N }, () => (r() < 0.9 ? 1 : 0));
    const mask2 = Float64Array.from({ length: N }, () => (r() < 0.9 ? 1 : 0));
    expect(passed(judge({ kind: 'bernoulli', p: 0.9 }, mask, mask2, 'bool'))).toBe(true);
    expect(judge({ kind: 'bernoulli', p: 0.85 }, mask, mask2, 'bool').problem).toMatch(/^share of ones/);
    // p = 0: every element kept, and a repeat is the same by right
    const ones = new Float64Array(N).fill(1);
    expect(passed(judge({ kind: 'bernoulli', p: 1 }, ones, ones, 'bool'))).toBe(true);

    const x = Float64Array.from({ length: 8 }, (_, i) => (i + 1) / 0.9);
    const keep = tensor('bool', [1, 0, 1, 1, 0, 1, 1, 1]);
    const out = Float64Array.from(x, (v, i) => (keep.values[i] === 1 ? Math.fround(v) : 0));
    const ref = { shape: [8], values: x };
    const ok = judgeRandom({ kind: 'dropout', mask: 1, ulps: 1.5 }, 'float32', ref, tensor('float32', out), [tensor('float32', out), keep], null, (i) => [i]);
    expect(ok.mismatches).toBe(0);
    const unscaled = Float64Array.from(out, (v) => v * 0.9);
    const bad = judgeRandom({ kind: 'dropout', mask: 1, ulps: 1.5 }, 'float32', ref, tensor('float32', unscaled), [tensor('float32', unscaled), keep], null, (i) => [i]);
    expect(bad.mismatches).toBe(6);
    const leaked = Float64Array.from(out);
    leaked[1] = 2;
    const dropped = judgeRandom({ kind: 'dropout', mask: 1, ulps: 1.5 }, 'float32', ref, tensor('float32', leaked), [tensor('float32', leaked), keep], null, (i) => [i]);
    expect(dropped.worst).toMatchObject({ index: [1], expected: '0 (dropped)' });
  });
});
