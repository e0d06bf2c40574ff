import { describe, expect, it } from 'vitest';
import { decodeValues, encodeValues } from './codec.js';
import { DTYPES, dtypeInfo, floatFormat, minSubnormal, type DType } from './dtype.js';
import { drawValues, isSignSymmetricRandom, recipeProblem, specialValues } from './recipes.js';
import type { Recipe } from './spec.js';

const SEED = '00c0ffee12345678';
const RECIPES: Recipe[] = [
  { kind: 'uniform', low: -3, high: 5 },
  { kind: 'normal', mean: 1, std: 2 },
  { kind: 'int', low: -1000, high: 1000 },
  { kind: 'special' },
  { kind: 'bool', p: 0.3 },
  { kind: 'ties', levels: 4 },
  { kind: 'grid', low: -64, high: 64, exponent: -3 },
  { kind: 'choice', values: [1, -1, 0.5, 3] },
  { kind: 'sprinkle', mean: 0, std: 1, values: ['nan', '-inf', 2], fraction: 0.1 },
  { kind: 'permutation', n: 12, length: 10, stride: 3, wrap: 0.5 },
];
const COMBOS = DTYPES.flatMap((dtype) =>
  RECIPES.filter((r) => recipeProblem(r, dtype) === null).map((recipe) => ({ dtype, recipe, name: `${recipe.kind} ${dtype}` })),
);

function sameValues(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]) || (Number.isNaN(x) && Number.isNaN(b[i] as number)));
}

describe.each(COMBOS)('$name', ({ dtype, recipe }) => {
  const values = drawValues(recipe, dtype, 1000, SEED, 2);

  it('draws values the dtype holds exactly', () => {
    expect(sameValues(decodeValues(dtype, encodeValues(dtype, values)), values)).toBe(true);
  });
  it('is deterministic in (seed, input index) and changes with either', () => {
    expect(sameValues(drawValues(recipe, dtype, 1000, SEED, 2), values)).toBe(true);
    if (dtype !== 'bool' || recipe.kind !== 'special') {
      expect(sameValues(drawValues(recipe, dtype, 1000, SEED, 3), values)).toBe(false);
      expect(sameValues(drawValues(recipe, dtype, 1000, '00c0ffee12345679', 2), values)).toBe(false);
    }
  });
});

describe('recipe semantics', () => {
  it('uniform stays within [low, high] after rounding', () => {
    for (const dtype of ['float64', 'float32', 'float16', 'bfloat16', 'float8_e4m3fn'] as DType[]) {
      const v = drawValues({ kind: 'uniform', low: -3, high: 5 }, dtype, 5000, SEED, 0);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-3);
      expect(Math.max(...v)).toBeLessThanOrEqual(5);
      expect(Math.max(...v)).toBeGreaterThan(4.5);
    }
  });

  it('normal has the requested mean and spread', () => {
    const v = drawValues({ kind: 'normal', mean: 1, std: 2 }, 'float64', 20000, SEED, 0);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(sd - 2)).toBeLessThan(0.05);
  });

  it('int draws every integer of [low, high] clamped to the dtype range', () => {
    const v = drawValues({ kind: 'int', low: -1000, high: 1000 }, 'int8', 20000, SEED, 0);
    expect(Math.min(...v)).toBe(-128);
    expect(Math.max(...v)).toBe(127);
    expect(v.every(Number.isInteger)).toBe(true);
    const small = drawValues({ kind: 'int', low: 2, high: 4 }, 'int32', 3000, SEED, 0);
    expect(new Set(small)).toEqual(new Set([2, 3, 4]));
    const u = drawValues({ kind: 'int', low: -5, high: 5 }, 'uint8', 1000, SEED, 0);
    expect(new Set(u)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });

  it('int64 never leaves the range a float64 reference holds exactly', () => {
    const v = drawValues({ kind: 'int', low: 0, high: 2 ** 62 }, 'int64', 1000, SEED, 0);
    expect(v.every((x) => Number.isSafeInteger(x) && x >= 0)).toBe(true);
    expect(Math.max(...v)).toBeGreaterThan(2 ** 52);
    expect(recipeProblem({ kind: 'int', low: -(2 ** 62), high: 2 ** 62 }, 'int64')).toMatch(/wider than 2\^53/);
    const s = drawValues({ kind: 'special' }, 'int64', 100, SEED, 0);
    expect(s.every((x) => Number.isSafeInteger(x))).toBe(true);
  });

  it('ties repeat a few levels so maxima are shared', () => {
    const v = drawValues({ kind: 'ties', levels: 3 }, 'float16', 300, SEED, 0);
    expect(new Set(v)).toEqual(new Set([0, 1, 2]));
    expect(v.filter((x) => x === 2).length).toBeGreaterThan(50);
  });

  it('bool is 1 with probability p, exactly all or nothing at the ends', () => {
    const v = drawValues({ kind: 'bool', p: 0.3 }, 'bool', 10000, SEED, 0);
    expect(Math.abs(v.reduce((a, b) => a + b, 0) / v.length - 0.3)).toBeLessThan(0.02);
    expect(drawValues({ kind: 'bool', p: 0 }, 'bool', 100, SEED, 0).every((x) => x === 0)).toBe(true);
    expect(drawValues({ kind: 'bool', p: 1 }, 'bool', 100, SEED, 0).every((x) => x === 1)).toBe(true);
  });

  it('bool tensors take only bool and special', () => {
    expect(recipeProblem({ kind: 'uniform', low: 0, high: 1 }, 'bool')).toMatch(/cannot fill a bool tensor/);
    expect(() => drawValues({ kind: 'ties', levels: 2 }, 'bool', 4, SEED, 0)).toThrow(/bool/);
    expect(Array.from(drawValues({ kind: 'special' }, 'bool', 5, SEED, 0))).toEqual([0, 1, 0, 1, 0]);
  });

  it('a longer draw starts with the shorter one (except special, whose shuffle spans the whole tensor)', () => {
    for (const recipe of RECIPES.filter((r) => r.kind !== 'special')) {
      const long = drawValues(recipe, 'float32', 100, SEED, 1);
      const short = drawValues(recipe, 'float32', 37, SEED, 1);
      expect(sameValues(long.subarray(0, 37), short)).toBe(true);
    }
  });
});

describe('special', () => {
  const FLOATS: DType[] = ['float64', 'float32', 'float16', 'bfloat16', 'float8_e4m3fn', 'float8_e5m2'];

  it.each(FLOATS)('%s holds every edge value, at least half the tensor, in shuffled positions', (dtype) => {
    const f = floatFormat(dtype);
    const v = drawValues({ kind: 'special' }, dtype, 200, SEED, 0);
    const has = (x: number): boolean => v.some((y) => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)));
    const edges = [NaN, 0, -0, f.maxFinite, -f.maxFinite, 2 ** f.minExponent, -(2 ** f.minExponent), 0.5, 1.5, 2.5, -2.5];
    for (const x of edges) expect(has(x), `${dtype} ${x}`).toBe(true);
    // subnormals are a case group of their own (the `subnormal` recipe), never mixed in here
    expect(v.some((y) => y !== 0 && Math.abs(y) < 2 ** f.minExponent), dtype).toBe(false);
    expect(has(Infinity)).toBe(f.hasInfinity);
    expect(has(-Infinity)).toBe(f.hasInfinity);
    const specials = specialValues(dtype);
    const isSpecial = (y: number): boolean => specials.some((x) => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)));
    expect(v.filter(isSpecial).length).toBeGreaterThanOrEqual(100);
    // Shuffled: the edge values are not all bunched at the start.
    expect(Array.from(v.subarray(100)).filter(isSpecial).length).toBeGreaterThan(20);
  });

  it.each(FLOATS)('subnormal draws %s subnormals of both signs, with ±0 and ±smallest normal around them', (dtype) => {
    const f = floatFormat(dtype);
    const minNormal = 2 ** f.minExponent;
    const v = Array.from(drawValues({ kind: 'subnormal' }, dtype, 400, SEED, 0));
    const sub = v.filter((y) => y !== 0 && Math.abs(y) < minNormal);
    expect(sub.length).toBeGreaterThan(250);
    expect(sub.some((y) => y < 0) && sub.some((y) => y > 0)).toBe(true);
    for (const y of sub) expect(Math.abs(y) / minSubnormal(dtype) % 1).toBe(0);
    for (const x of [0, minNormal, -minNormal, minNormal - minSubnormal(dtype)]) expect(v).toContain(x);
    expect(v.every((y) => Math.abs(y) <= minNormal)).toBe(true);
  });

  it('subnormal is refused for integer and bool dtypes', () => {
    expect(recipeProblem({ kind: 'subnormal' }, 'int32')).toMatch(/needs a floating dtype/);
    expect(recipeProblem({ kind: 'subnormal' }, 'bool')).not.toBeNull();
  });

  it('integer dtypes get min, max, 0, -1, 1 (unsigned: 0, max, 1)', () => {
    for (const dtype of ['int8', 'int16', 'int32'] as DType[]) {
      const info = dtypeInfo(dtype);
      const v = new Set(drawValues({ kind: 'special' }, dtype, 50, SEED, 0));
      for (const x of [info.min, info.max, 0, -1, 1]) expect(v.has(x as number), `${dtype} ${x}`).toBe(true);
    }
    const u = new Set(drawValues({ kind: 'special' }, 'uint8', 50, SEED, 0));
    for (const x of [0, 255, 1]) expect(u.has(x)).toBe(true);
  });

  it('a short tensor gets the most telling edge values first', () => {
    const v = Array.from(drawValues({ kind: 'special' }, 'float16', 3, SEED, 0));
    expect(v.some(Number.isNaN)).toBe(true);
    expect(v).toContain(Infinity);
    expect(v).toContain(-Infinity);
    expect(drawValues({ kind: 'special' }, 'float32', 0, SEED, 0).length).toBe(0);
  });
});

describe('witness and regime recipes', () => {
  it('grid draws integers times 2^exponent over the whole range, and refuses a grid its dtype cannot hold', () => {
    const v = drawValues({ kind: 'grid', low: -256, high: 256, exponent: -8 }, 'float32', 20000, SEED, 0);
    expect(v.every((x) => Number.isInteger(x * 256) && Math.abs(x) <= 1)).toBe(true);
    expect(Math.min(...v)).toBe(-1);
    expect(Math.max(...v)).toBe(1);
    expect(recipeProblem({ kind: 'grid', low: -4096, high: 4096, exponent: -12 }, 'float32')).toBeNull();
    expect(recipeProblem({ kind: 'grid', low: 0, high: 4097, exponent: -12 }, 'bfloat16')).toMatch(/not exact in bfloat16/);
    expect(recipeProblem({ kind: 'grid', low: -64, high: 64, exponent: -3 }, 'int64')).toMatch(/not exact in int64/);
    expect(recipeProblem({ kind: 'grid', low: -200, high: 200, exponent: 0 }, 'int8')).toMatch(/not exact in int8/);
  });

  it('choice picks only the listed values, each about equally often', () => {
    const v = drawValues({ kind: 'choice', values: [1, 1 + 2 ** -12, -1] }, 'float32', 30000, SEED, 0);
    const counts = [1, 1 + 2 ** -12, -1].map((x) => v.filter((y) => y === x).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(30000);
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
    // a value a narrow dtype cannot hold is rounded: 1 + 2^-12 is 1 in bfloat16
    expect(new Set(drawValues({ kind: 'choice', values: [1, 1 + 2 ** -12] }, 'bfloat16', 100, SEED, 0))).toEqual(new Set([1]));
  });

  it('sprinkle replaces about the given fraction with the listed values and keeps the rest normal', () => {
    const v = drawValues({ kind: 'sprinkle', mean: 5, std: 1, values: ['-inf'], fraction: 0.25 }, 'float32', 40000, SEED, 0);
    const masked = v.filter((x) => x === -Infinity).length;
    expect(Math.abs(masked - 10000)).toBeLessThan(400);
    const rest = v.filter((x) => x !== -Infinity);
    expect(Math.abs(rest.reduce((a, b) => a + b, 0) / rest.length - 5)).toBeLessThan(0.05);
    expect(recipeProblem({ kind: 'sprinkle', mean: 0, std: 1, values: ['nan'], fraction: 0.5 }, 'int32')).toMatch(/names NaN, which int32 cannot hold/);
  });

  it('only independent draws symmetric around zero count as random for the probabilistic bounds', () => {
    expect(isSignSymmetricRandom({ kind: 'uniform', low: -4, high: 4 })).toBe(true);
    expect(isSignSymmetricRandom({ kind: 'normal', mean: 0, std: 3 })).toBe(true);
    expect(isSignSymmetricRandom({ kind: 'uniform', low: 1 / 64, high: 16 })).toBe(false);
    expect(isSignSymmetricRandom({ kind: 'normal', mean: 1e4, std: 1 })).toBe(false);
    expect(isSignSymmetricRandom({ kind: 'grid', low: -8, high: 8, exponent: 0 })).toBe(false);
    expect(isSignSymmetricRandom({ kind: 'special' })).toBe(false);
  });
});

describe('index recipes: permutation and arange', () => {
  it('fills each row of the last dim with distinct values of 0..n−1, every value in turn', () => {
    // a [40, 16] index into a dim of 16: every row a full permutation
    const v = drawValues({ kind: 'permutation', n: 16, length: 16 }, 'int64', 640, SEED, 0);
    for (let r = 0; r < 40; r++) expect(new Set(v.subarray(r * 16, r * 16 + 16))).toEqual(new Set(Array.from({ length: 16 }, (_, k) => k)));
    // rows differ: they are independent permutations
    expect(Array.from(v.subarray(0, 16))).not.toEqual(Array.from(v.subarray(16, 32)));
  });

  it('runs lines along an earlier dim with a stride: every column of a [5, 7] index distinct in 0..9', () => {
    const v = drawValues({ kind: 'permutation', n: 10, length: 5, stride: 7 }, 'int32', 35, SEED, 1);
    for (let c = 0; c < 7; c++) {
      const col = Array.from({ length: 5 }, (_, r) => v[r * 7 + c] as number);
      expect(new Set(col).size).toBe(5);
      expect(col.every((x) => Number.isInteger(x) && x >= 0 && x < 10)).toBe(true);
    }
    // rows are not permutations here: some row repeats a value somewhere (with overwhelming probability)
    const rowsDistinct = Array.from({ length: 5 }, (_, r) => new Set(v.subarray(r * 7, r * 7 + 7)).size === 7);
    expect(rowsDistinct.every(Boolean)).toBe(false);
  });

  it('a partial line is a prefix of a permutation: 3 distinct values of 0..99 per row', () => {
    const v = drawValues({ kind: 'permutation', n: 100, length: 3 }, 'int64', 3000, SEED, 2);
    for (let r = 0; r < 1000; r++) expect(new Set(v.subarray(3 * r, 3 * r + 3)).size).toBe(3);
    // all of 0..99 appear somewhere: the prefix is drawn from the whole range, not its start
    expect(new Set(v).size).toBe(100);
  });

  it('wraps a fraction of the values to v − n, which index the same positions', () => {
    const v = drawValues({ kind: 'permutation', n: 8, length: 8, wrap: 0.5 }, 'int8', 800, SEED, 3);
    const negative = Array.from(v).filter((x) => x < 0).length;
    expect(negative).toBeGreaterThan(300);
    expect(negative).toBeLessThan(500);
    for (let r = 0; r < 100; r++) {
      const row = Array.from(v.subarray(8 * r, 8 * r + 8));
      expect(row.every((x) => x >= -8 && x < 8)).toBe(true);
      expect(new Set(row.map((x) => (x + 8) % 8)).size).toBe(8);
    }
  });

  it('arange counts from start by step, whatever the seed, rounded to floats, clamped to integer ranges', () => {
    expect(Array.from(drawValues({ kind: 'arange', start: -7, step: 3 }, 'int64', 4, '00c0ffee12345679', 5))).toEqual([-7, -4, -1, 2]);
    expect(Array.from(drawValues({ kind: 'arange', start: 0, step: 3 }, 'int32', 5, SEED, 0))).toEqual([0, 3, 6, 9, 12]);
    expect(Array.from(drawValues({ kind: 'arange', start: 120, step: 4 }, 'int8', 4, SEED, 0))).toEqual([120, 124, 127, 127]);
    expect(Array.from(drawValues({ kind: 'arange', start: 0, step: 0.1 }, 'float32', 3, SEED, 0))).toEqual([0, Math.fround(0.1), Math.fround(0.2)]);
    expect(recipeProblem({ kind: 'arange', start: 0, step: 0.5 }, 'int64')).toMatch(/not integral/);
  });

  it('refuses more values than the range holds and dtypes that cannot hold the range', () => {
    expect(recipeProblem({ kind: 'permutation', n: 4, length: 5 }, 'int64')).toMatch(/no 5 distinct values/);
    expect(recipeProblem({ kind: 'permutation', n: 300, length: 3 }, 'int8')).toMatch(/does not fit int8/);
    expect(recipeProblem({ kind: 'permutation', n: 4, length: 3, wrap: 0.5 }, 'uint8')).toMatch(/negative wraps does not fit uint8/);
    expect(recipeProblem({ kind: 'permutation', n: 4, length: 3 }, 'uint8')).toBeNull();
    expect(recipeProblem({ kind: 'permutation', n: 4000, length: 3 }, 'float16')).toMatch(/does not fit float16/);
    expect(recipeProblem({ kind: 'permutation', n: 4, length: 3 }, 'bool')).toMatch(/cannot fill a bool tensor/);
  });
});
