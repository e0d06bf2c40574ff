import { describe, expect, it } from 'vitest';
import { decodeValues } from './codec.js';
import type { DType } from './dtype.js';
import {
  contiguousBytes,
  fromValues,
  inputSpecProblem,
  isContiguous,
  materialize,
  readLogical,
  toRef,
  validateView,
} from './materialize.js';
import { drawValues } from './recipes.js';
import type { InputSpec, Layout } from './spec.js';
import { numel, unravelIndex, type TensorData } from './tensor.js';

const SEED = '5eed5eed5eed5eed';

function same(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]) || (Number.isNaN(x) && Number.isNaN(b[i] as number)));
}

const LAYOUTS: Layout[] = [{ kind: 'transposed' }, { kind: 'strided', step: 3 }, { kind: 'offset', offset: 5 }];
const DTYPE_RECIPES: [DType, InputSpec['recipe']][] = [
  ['float32', { kind: 'uniform', low: -2, high: 2 }],
  ['float16', { kind: 'special' }],
  ['bfloat16', { kind: 'normal', mean: 0, std: 3 }],
  ['float8_e4m3fn', { kind: 'special' }],
  ['float64', { kind: 'uniform', low: 0, high: 1 }],
  ['int64', { kind: 'special' }],
  ['int8', { kind: 'int', low: -5, high: 5 }],
  ['uint8', { kind: 'special' }],
  ['bool', { kind: 'bool', p: 0.5 }],
];

describe.each(DTYPE_RECIPES)('%s inputs', (dtype, recipe) => {
  const shape = [2, 3, 4];
  const contiguous = materialize({ dtype, shape, layout: { kind: 'contiguous' }, recipe }, SEED, 1);

  it('contiguous: row-major bytes of the drawn values', () => {
    expect(contiguous.strides).toEqual([12, 4, 1]);
    expect(contiguous.offset).toBe(0);
    expect(same(readLogical(contiguous), drawValues(recipe, dtype, 24, SEED, 1))).toBe(true);
  });

  it.each(LAYOUTS)('layout $kind: same logical values and bytes as contiguous, poison where the view is not', (layout) => {
    const t = materialize({ dtype, shape, layout, recipe }, SEED, 1);
    expect(validateView(t)).toBeNull();
    expect(isContiguous(t)).toBe(layout.kind === 'offset');
    expect(same(readLogical(t), readLogical(contiguous))).toBe(true);
    expect(Array.from(contiguousBytes(t))).toEqual(Array.from(contiguous.storage));
    // Every storage element outside the view holds poison.
    const covered = new Set<number>();
    for (let i = 0; i < numel(shape); i++) {
      const idx = unravelIndex(i, shape);
      covered.add(idx.reduce((pos, k, d) => pos + k * (t.strides[d] as number), t.offset));
    }
    const storage = decodeValues(dtype, t.storage);
    const poison = dtype === 'bool' ? 1 : dtype.startsWith('float') || dtype === 'bfloat16' ? NaN : dtype === 'int64' ? 2 ** 63 : dtype === 'int8' ? 127 : 255;
    const uncovered = Array.from(storage).filter((_, pos) => !covered.has(pos));
    expect(uncovered.length).toBe(storage.length - numel(shape));
    for (const v of uncovered) expect(Object.is(v, poison) || (Number.isNaN(v) && Number.isNaN(poison))).toBe(true);
  });
});

describe('layout placement', () => {
  const recipe = { kind: 'uniform', low: -1, high: 1 } as const;

  it('transposed storage holds the last two dims swapped', () => {
    const t = materialize({ dtype: 'float32', shape: [2, 3], layout: { kind: 'transposed' }, recipe }, SEED, 0);
    expect(t.strides).toEqual([1, 2]);
    const logical = readLogical(t);
    const storage = decodeValues('float32', t.storage);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(storage[j * 2 + i]).toBe(logical[i * 3 + j]);
  });

  it('strided takes every step-th element of a longer last dim', () => {
    const t = materialize({ dtype: 'float32', shape: [2, 3], layout: { kind: 'strided', step: 2 }, recipe }, SEED, 0);
    expect(t.strides).toEqual([6, 2]);
    expect(t.storage.length).toBe(12 * 4);
  });

  it('expanded draws values for the small shape and repeats them with stride 0', () => {
    const spec: InputSpec = { dtype: 'float16', shape: [4, 3, 5], layout: { kind: 'expanded', from: [3, 1] }, recipe };
    const t = materialize(spec, SEED, 2);
    expect(t.strides).toEqual([0, 1, 0]);
    expect(t.storage.length).toBe(3 * 2);
    const small = drawValues(recipe, 'float16', 3, SEED, 2);
    const logical = readLogical(t);
    for (let i = 0; i < 60; i++) expect(logical[i]).toBe(small[unravelIndex(i, [4, 3, 5])[1] as number]);
    expect(isContiguous(t)).toBe(false);
    expect(Array.from(contiguousBytes(t)).length).toBe(120);
  });

  it('handles scalars and empty tensors', () => {
    const s = materialize({ dtype: 'float32', shape: [], layout: { kind: 'offset', offset: 2 }, recipe }, SEED, 0);
    expect(s.offset).toBe(2);
    expect(readLogical(s).length).toBe(1);
    expect(Number.isNaN(decodeValues('float32', s.storage)[0])).toBe(true);
    const e = materialize({ dtype: 'int32', shape: [3, 0], layout: { kind: 'transposed' }, recipe: { kind: 'int', low: 0, high: 3 } }, SEED, 0);
    expect(readLogical(e).length).toBe(0);
    expect(contiguousBytes(e).length).toBe(0);
  });

  it('rejects layouts that do not fit the shape and recipes that do not fit the dtype', () => {
    expect(inputSpecProblem({ dtype: 'float32', shape: [4], layout: { kind: 'transposed' }, recipe })).toMatch(/rank ≥ 2/);
    expect(inputSpecProblem({ dtype: 'float32', shape: [4, 3], layout: { kind: 'expanded', from: [2, 3] }, recipe })).toMatch(/dim 0 is 2/);
    expect(inputSpecProblem({ dtype: 'bool', shape: [4], layout: { kind: 'contiguous' }, recipe })).toMatch(/bool/);
    expect(() => materialize({ dtype: 'float32', shape: [], layout: { kind: 'strided', step: 2 }, recipe }, SEED, 0)).toThrow(/rank/);
  });
});

describe('literal values (the values recipe)', () => {
  const contiguous = { kind: 'contiguous' } as const;

  it('gives exactly the listed values, row-major, rounded to the dtype, whatever the seed', () => {
    const values = [1.5, -0, 0.1, 'inf', '-inf', 'nan', 65519, 1e-8] as const;
    const spec: InputSpec = { dtype: 'float16', shape: [2, 4], layout: contiguous, recipe: { kind: 'values', values: [...values] } };
    expect(inputSpecProblem(spec)).toBeNull();
    const a = readLogical(materialize(spec, SEED, 0));
    const b = readLogical(materialize(spec, 'feedfacefeedface', 3));
    expect(same(a, b)).toBe(true);
    // 0.1 and 1e-8 round to nearest float16 (1e-8 to the subnormal 0, keeping no sign), 65519 to 65504
    expect(Array.from(a)).toEqual([1.5, -0, 0.0999755859375, Infinity, -Infinity, NaN, 65504, 0]);
    expect(Object.is(a[1], -0)).toBe(true);
    const f32 = readLogical(materialize({ ...spec, dtype: 'float32' }, SEED, 0));
    expect(f32[2]).toBe(Math.fround(0.1));
    expect(f32[7]).toBe(Math.fround(1e-8));
  });

  it('keeps its values under every layout, and reads integers and bools exactly', () => {
    const recipe: InputSpec['recipe'] = { kind: 'values', values: [1, 2, 3, 4, 5, 6] };
    for (const layout of LAYOUTS) {
      expect(Array.from(readLogical(materialize({ dtype: 'int64', shape: [2, 3], layout, recipe }, SEED, 0)))).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const expanded = materialize({ dtype: 'int8', shape: [4, 3], layout: { kind: 'expanded', from: [3] }, recipe: { kind: 'values', values: [-7, 0, 7] } }, SEED, 0);
    expect(Array.from(readLogical(expanded))).toEqual([-7, 0, 7, -7, 0, 7, -7, 0, 7, -7, 0, 7]);
    const flags = materialize({ dtype: 'bool', shape: [3], layout: contiguous, recipe: { kind: 'values', values: [1, 0, 1] } }, SEED, 0);
    expect(Array.from(readLogical(flags))).toEqual([1, 0, 1]);
  });

  it('refuses a count other than the elements drawn, and values the dtype cannot hold', () => {
    expect(inputSpecProblem({ dtype: 'float32', shape: [2, 3], layout: contiguous, recipe: { kind: 'values', values: [1, 2, 3] } })).toBe(
      "recipe 'values' holds 3 values, but the input has 6 elements ([2, 3])",
    );
    expect(inputSpecProblem({ dtype: 'float32', shape: [4, 3], layout: { kind: 'expanded', from: [3] }, recipe: { kind: 'values', values: [1, 2, 3] } })).toBeNull();
    expect(inputSpecProblem({ dtype: 'int8', shape: [2], layout: contiguous, recipe: { kind: 'values', values: [1, 200] } })).toMatch(/names 200, which int8 cannot hold/);
    expect(inputSpecProblem({ dtype: 'int32', shape: [2], layout: contiguous, recipe: { kind: 'values', values: [1, 0.5] } })).toMatch(/names 0.5/);
    expect(inputSpecProblem({ dtype: 'int64', shape: [1], layout: contiguous, recipe: { kind: 'values', values: ['nan'] } })).toMatch(/names nan/);
    expect(inputSpecProblem({ dtype: 'bool', shape: [1], layout: contiguous, recipe: { kind: 'values', values: [2] } })).toMatch(/names 2, which bool cannot hold/);
    expect(() => materialize({ dtype: 'float32', shape: [2], layout: contiguous, recipe: { kind: 'values', values: [1] } }, SEED, 0)).toThrow(/1 values/);
  });
});

describe('views read back', () => {
  const base = fromValues('float32', [2, 3], [1, 2, 3, 4, 5, 6]);

  it('readLogical follows strides and offset', () => {
    const t: TensorData = { ...base, shape: [3, 2], strides: [1, 3] };
    expect(Array.from(readLogical(t))).toEqual([1, 4, 2, 5, 3, 6]);
    const tail: TensorData = { ...base, shape: [2], strides: [2], offset: 1 };
    expect(Array.from(readLogical(tail))).toEqual([2, 4]);
    expect(toRef(tail)).toEqual({ dtype: 'float32', shape: [2], values: new Float64Array([2, 4]) });
    expect(Array.from(new Float32Array(contiguousBytes(tail).buffer))).toEqual([2, 4]);
  });

  it('isContiguous follows PyTorch: size-1 dims and empty tensors do not count', () => {
    expect(isContiguous(base)).toBe(true);
    expect(isContiguous({ ...base, shape: [1, 6], strides: [99, 1] })).toBe(true);
    expect(isContiguous({ ...base, shape: [3, 2], strides: [1, 3] })).toBe(false);
    expect(isContiguous({ ...base, shape: [0, 2], strides: [7, 7] })).toBe(true);
  });

  it('fromValues checks the count', () => {
    expect(() => fromValues('float32', [2, 2], [1, 2, 3])).toThrow(/3 values for shape \[2, 2\]/);
  });

  it('validateView rejects views that read outside the storage or are malformed', () => {
    expect(validateView(base)).toBeNull();
    expect(validateView({ ...base, shape: [2, 4] })).toMatch(/reaches element 6, but the storage holds 6 float32 elements/);
    expect(validateView({ ...base, offset: 1 })).toMatch(/reaches element 6/);
    expect(validateView({ ...base, strides: [3] })).toMatch(/1 strides for a 2-dim shape/);
    expect(validateView({ ...base, strides: [3, -1] })).toMatch(/strides/);
    expect(validateView({ ...base, shape: [2, 1.5] })).toMatch(/shape/);
    expect(validateView({ ...base, offset: -1 })).toMatch(/offset/);
    expect(validateView({ ...base, storage: base.storage.subarray(0, 22) })).toMatch(/whole number/);
    expect(validateView({ ...base, dtype: 'complex64' as DType })).toMatch(/unknown dtype/);
    expect(validateView({ ...base, shape: [2 ** 40, 2 ** 40], strides: [1, 1] })).toMatch(/too large/);
    expect(validateView({ ...base, shape: [0, 5], strides: [1, 1], offset: 6 })).toBeNull();
    expect(validateView({ ...base, shape: [0], strides: [1], offset: 7 })).toMatch(/past the end/);
    expect(() => readLogical({ ...base, shape: [7], strides: [1] })).toThrow(/invalid tensor view/);
  });
});

describe('performance', () => {
  it('materialises a 1M-element float32 input quickly', () => {
    const spec: InputSpec = { dtype: 'float32', shape: [1024, 1024], layout: { kind: 'contiguous' }, recipe: { kind: 'uniform', low: -1, high: 1 } };
    materialize(spec, SEED, 0);
    const t0 = performance.now();
    const t = materialize(spec, SEED, 0);
    const ms = performance.now() - t0;
    expect(t.storage.length).toBe(4 << 20);
    // Typically ~40 ms; the bound leaves room for a loaded CI machine.
    expect(ms).toBeLessThan(500);
  });
});
