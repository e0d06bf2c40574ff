import { describe, expect, it } from 'vitest';
import { judgeOutput } from '../judge/judge.js';
import { roundToFloat } from '../tensor/dtype.js';
import { drawValues } from '../tensor/recipes.js';
import type { RefTensor } from '../tensor/tensor.js';
import { arg } from './args.js';
import { mm } from './matmul.js';
import { exactInAnyOrder, gridExponent, lowBitExponent } from './numerics.js';
import { meanDim, sumDimIntList } from './reduction.js';
import { opCall } from './types.js';

/**
 * Precision witnesses: inputs on a grid whose every order of accumulation is exact in float32, so that a correct
 * float32 accumulator is exact and a narrower one (TF32 operands, a float16 running sum) misses by whole steps.
 */
const SEED = '5eed5eed5eed5eed';
const spec = (recipe: Parameters<typeof drawValues>[0], shape: number[]) => ({ dtype: 'float32' as const, shape, recipe });
const tensor = (shape: number[], values: Float64Array): RefTensor => ({ dtype: 'float32', shape, values });

describe('grids', () => {
  it('lowBitExponent is the exponent of the last set bit of the significand', () => {
    expect([1, 2, 3, 0.75, 1 + 2 ** -12, -(2 ** -1074), 2 ** 1000 * 3].map(lowBitExponent)).toEqual([0, 1, 0, -2, -12, -1074, 1000]);
    expect(gridExponent([0, 4, -12, 6])).toBe(1);
    expect(gridExponent([0, 0])).toBe(Infinity);
  });
  it('a sum is exact in any order while Σ|terms| stays below 2^(24 + g) in float32', () => {
    expect(exactInAnyOrder(2 ** 15, -8, 'float32')).toBe(true);
    expect(exactInAnyOrder(2 ** 16, -8, 'float32')).toBe(false);
    expect(exactInAnyOrder(2 ** 15, -8, 'float16')).toBe(false);
  });
});

describe('a float32 sum of 65,536 values on the 2^-8 grid', () => {
  const n = 65536;
  const x = tensor([n], drawValues({ kind: 'grid', low: -256, high: 256, exponent: -8 }, 'float32', n, SEED, 0));
  const bound = sumDimIntList.bind(opCall({ args: [arg.tensor(0), arg.ints([0])], kwargs: {}, inputs: [spec({ kind: 'grid', low: -256, high: 256, exponent: -8 }, [n])] }));
  const [ref] = bound.reference([x]);
  const spec0 = bound.outputs[0]!;

  it('is a witness: exact in every order, so only the exact float32 value passes', () => {
    expect(Array.from(ref!.exact ?? [])).toEqual([1]);
    const exact = ref!.values[0]!;
    expect(judgeOutput(0, spec0, ref!, { dtype: 'float32', shape: [], values: Float64Array.of(exact) }, [x]).mismatches).toBe(0);
    expect(judgeOutput(0, spec0, ref!, { dtype: 'float32', shape: [], values: Float64Array.of(exact + 2 ** -8) }, [x]).mismatches).toBe(1);
  });

  it('fails a running sum kept at float16 precision, by far', () => {
    let s = 0;
    for (const v of x.values) s = roundToFloat('float16', s + v);
    const m = judgeOutput(0, spec0, ref!, { dtype: 'float32', shape: [], values: Float64Array.of(s) }, [x]);
    expect(m.mismatches).toBe(1);
    expect(m.margin).toBeGreaterThan(1000); // allowed: half a float32 ULP of the exact sum
  });

  it('a mean of the same values allows the two roundings of sum · (1/n) and no more', () => {
    const mean = meanDim.bind(opCall({ args: [arg.tensor(0), arg.ints([0])], kwargs: {}, inputs: [spec({ kind: 'grid', low: -256, high: 256, exponent: -8 }, [n])] }));
    const [r] = mean.reference([x]);
    expect(r!.exact?.[0]).toBe(1);
    const viaReciprocal = Math.fround(Math.fround(ref!.values[0]!) * Math.fround(1 / n));
    expect(judgeOutput(0, mean.outputs[0]!, r!, { dtype: 'float32', shape: [], values: Float64Array.of(viaReciprocal) }, [x]).mismatches).toBe(0);
  });
});

describe('a float32 mm with K = 4096 whose operands carry a bit beyond TF32', () => {
  const [n, k, p] = [4, 4096, 4];
  const aRecipe = { kind: 'choice' as const, values: [1, 1 + 2 ** -12, -1, -(1 + 2 ** -12)] };
  const bRecipe = { kind: 'choice' as const, values: [-1, 0, 0, 1] };
  const a = tensor([n, k], drawValues(aRecipe, 'float32', n * k, SEED, 0));
  const b = tensor([k, p], drawValues(bRecipe, 'float32', k * p, SEED, 1));
  const bound = mm.bind(opCall({ args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, inputs: [spec(aRecipe, [n, k]), spec(bRecipe, [k, p])] }));
  const [ref] = bound.reference([a, b]);

  it('is a witness for every element, and TF32 operands miss by thousands of float32 ULPs', () => {
    expect(Array.from(ref!.exact ?? [])).toEqual(new Array(n * p).fill(1));
    const tf32 = (x: number) => roundToFloat('float32', Math.round(x * 2 ** 10) / 2 ** 10); // 10 explicit mantissa bits near 1
    const out = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) for (let t = 0; t < k; t++) out[i * p + j]! += tf32(a.values[i * k + t]!) * b.values[t * p + j]!;
    const m = judgeOutput(0, bound.outputs[0]!, ref!, { dtype: 'float32', shape: [n, p], values: out.map(Math.fround) }, [a, b]);
    expect(m.mismatches).toBeGreaterThan(n * p / 2);
    expect(m.maxUlpError).toBeGreaterThan(1000);
    const right = judgeOutput(0, bound.outputs[0]!, ref!, { dtype: 'float32', shape: [n, p], values: ref!.values.map(Math.fround) }, [a, b]);
    expect(right.mismatches).toBe(0);
  });

  it('random operands symmetric around zero get the probabilistic bound; others the worst case', () => {
    const random = { kind: 'uniform' as const, low: -1, high: 1 };
    const call = (r: typeof random | typeof aRecipe) => opCall({ args: [arg.tensor(0), arg.tensor(1)], kwargs: {}, inputs: [spec(r, [n, k]), spec(r, [k, p])] });
    expect(mm.bind(call(random)).outputs[0]!.accuracy).toMatchObject({ model: 'probabilistic' });
    expect(mm.bind(call(aRecipe)).outputs[0]!.accuracy).not.toHaveProperty('model');
  });
});
