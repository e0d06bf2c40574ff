import { describe, expect, it } from 'vitest';
import { decodeValues, encodeValues } from './codec.js';
import { DTYPES, dtypeInfo, floatFormat, minSubnormal, type DType } from './dtype.js';
import { drawValues, recipeProblem, specialValues } from './recipes.js';
import type { Recipe } from './spec.js';

const SEED = '00c0ffee12345678';
const RECIPES: Recipe[] = [
  { kind: 'uniform', low: -3, high: 5 },
  { kind: 'normal', mean: 1, std: 2 },
  { kind: 'int', low: -1000, high: 1000 },
  { kind: 'special' },
  { kind: 'bool', p: 0.3 },
  { kind: 'ties', levels: 4 },
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
