import { describe, expect, it } from 'vitest';
import { bfloat16Bits, float16Bits } from '../tensor/codec.js';
import type { DType } from '../tensor/dtype.js';
import { arg, type Arg } from './args.js';
import type { OpCall, OpDef, RefOutput } from './types.js';
import { VIEW_OPS } from './views.js';

/*
 * The view, copy and pad ops against values computed independently: recorded from PyTorch 1.13 (Debian's CPU
 * build: `torch.ops.aten.<op>(torch.arange(n, dtype=torch.float64).reshape(shape), *args).flatten().tolist()`, the
 * calls in RECORDED_CALLS), or worked out by hand where stated. Error messages are PyTorch 1.13's, copied from the
 * exceptions it raised.
 */

function op(name: string): OpDef {
  const found = VIEW_OPS.find((o) => o.name === name);
  if (!found) throw new Error(`no ${name} in VIEW_OPS`);
  return found;
}

interface In {
  dtype: DType;
  shape: number[];
  values?: number[];
}

const t = (i: number): Arg => arg.tensor(i);
const { int, ints, none } = arg;

function callOf(inputs: In[], args: Arg[], kwargs: Record<string, Arg> = {}): OpCall {
  return { args, kwargs, inputs: inputs.map((x) => ({ dtype: x.dtype, shape: x.shape })) };
}

const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const arange = (shape: number[]): number[] => Array.from({ length: count(shape) }, (_, i) => i);

/** Binds and runs the reference; inputs without values are arange. */
function run(name: string, inputs: In[], args: Arg[], kwargs: Record<string, Arg> = {}) {
  const bound = op(name).bind(callOf(inputs, args, kwargs));
  const refs = inputs.map((x) => ({ dtype: x.dtype, shape: x.shape, values: Float64Array.from(x.values ?? arange(x.shape)) }));
  return { outputs: bound.outputs, results: bound.reference(refs) };
}

const vals = (r: RefOutput | undefined): number[] => [...(r?.values ?? [])];
const bindError = (name: string, inputs: In[], args: Arg[], kwargs: Record<string, Arg> = {}) => () => op(name).bind(callOf(inputs, args, kwargs));
const f64 = (...shape: number[]): In => ({ dtype: 'float64', shape });

/** Recorded from torch 1.13 (see the header): the call, then torch's output shape and values. */
const RECORDED: Record<string, { shape: number[]; values: number[] }> = {
  'diagonal 3x4 offset -1 dims 1 0': { shape: [3], values: [1, 6, 11] },
  'diagonal 2x3x4 offset 1 dims -1 0': { shape: [3, 1], values: [12, 16, 20] },
  'as_strided 12 window [4,3] [1,1] off 2': { shape: [4, 3], values: [2, 3, 4, 3, 4, 5, 4, 5, 6, 5, 6, 7] },
  'expand 3x1 [2,-1,4]': { shape: [2, 3, 4], values: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2] },
  'flip 2x3x4 [0,2]': { shape: [2, 3, 4], values: [15, 14, 13, 12, 19, 18, 17, 16, 23, 22, 21, 20, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8] },
  'repeat 2x3 [2,1,2]': { shape: [2, 2, 6], values: [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5] },
  'select 2x3x4 -2 -1': { shape: [2, 4], values: [8, 9, 10, 11, 20, 21, 22, 23] },
  'slice 6x5 dim1 -100 100 3': { shape: [6, 2], values: [0, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28] },
  'slice 7 dim0 1 None 3': { shape: [2], values: [1, 4] },
  'constant_pad_nd 4x5 [-1,2,1,-2] 9': { shape: [3, 6], values: [9, 9, 9, 9, 9, 9, 1, 2, 3, 4, 9, 9, 6, 7, 8, 9, 9, 9] },
  'reflection_pad1d 1x2x5 [-1,4]': { shape: [1, 2, 8], values: [1, 2, 3, 4, 3, 2, 1, 0, 6, 7, 8, 9, 8, 7, 6, 5] },
  'reflection_pad2d 1x1x4x5 [-1,2,1,-2]': { shape: [1, 1, 3, 6], values: [6, 7, 8, 9, 8, 7, 1, 2, 3, 4, 3, 2, 6, 7, 8, 9, 8, 7] },
  'reflection_pad3d 1x1x3x4x5 [-1,1,0,2,1,0]': { shape: [1, 1, 4, 6, 5], values: [21, 22, 23, 24, 23, 26, 27, 28, 29, 28, 31, 32, 33, 34, 33, 36, 37, 38, 39, 38, 31, 32, 33, 34, 33, 26, 27, 28, 29, 28, 1, 2, 3, 4, 3, 6, 7, 8, 9, 8, 11, 12, 13, 14, 13, 16, 17, 18, 19, 18, 11, 12, 13, 14, 13, 6, 7, 8, 9, 8, 21, 22, 23, 24, 23, 26, 27, 28, 29, 28, 31, 32, 33, 34, 33, 36, 37, 38, 39, 38, 31, 32, 33, 34, 33, 26, 27, 28, 29, 28, 41, 42, 43, 44, 43, 46, 47, 48, 49, 48, 51, 52, 53, 54, 53, 56, 57, 58, 59, 58, 51, 52, 53, 54, 53, 46, 47, 48, 49, 48] },
  'replication_pad2d 1x1x4x5 [-1,2,0,-2]': { shape: [1, 1, 2, 6], values: [1, 2, 3, 4, 4, 4, 6, 7, 8, 9, 9, 9] },
  'replication_pad3d 1x1x3x4x5 [-2,1,0,1,1,-1]': { shape: [1, 1, 3, 5, 4], values: [2, 3, 4, 4, 7, 8, 9, 9, 12, 13, 14, 14, 17, 18, 19, 19, 17, 18, 19, 19, 2, 3, 4, 4, 7, 8, 9, 9, 12, 13, 14, 14, 17, 18, 19, 19, 17, 18, 19, 19, 22, 23, 24, 24, 27, 28, 29, 29, 32, 33, 34, 34, 37, 38, 39, 39, 37, 38, 39, 39] },
  'col2im 6x14 [5,6] [3,2] [2,1] [1,1] [2,1]': { shape: [1, 5, 6], values: [0, 0, 0, 0, 0, 0, 100, 104, 108, 112, 116, 120, 0, 0, 0, 0, 0, 0, 212, 216, 220, 224, 228, 232, 0, 0, 0, 0, 0, 0] },
  'col2im 1x18x16 [4,4] [3,3] [1,1] [1,1] [1,1]': { shape: [1, 2, 4, 4], values: [138, 258, 264, 210, 363, 621, 630, 471, 387, 657, 666, 495, 362, 594, 600, 434, 714, 1122, 1128, 786, 1227, 1917, 1926, 1335, 1251, 1953, 1962, 1359, 938, 1458, 1464, 1010] },
};

/** The calls behind RECORDED: op, input shape (float64 arange) and arguments after it. */
const RECORDED_CALLS: Record<string, [string, number[], Arg[]]> = {
  'diagonal 3x4 offset -1 dims 1 0': ['aten.diagonal.default', [3, 4], [int(-1), int(1), int(0)]],
  'diagonal 2x3x4 offset 1 dims -1 0': ['aten.diagonal.default', [2, 3, 4], [int(1), int(-1), int(0)]],
  'as_strided 12 window [4,3] [1,1] off 2': ['aten.as_strided.default', [12], [ints([4, 3]), ints([1, 1]), int(2)]],
  'expand 3x1 [2,-1,4]': ['aten.expand.default', [3, 1], [ints([2, -1, 4])]],
  'flip 2x3x4 [0,2]': ['aten.flip.default', [2, 3, 4], [ints([0, 2])]],
  'repeat 2x3 [2,1,2]': ['aten.repeat.default', [2, 3], [ints([2, 1, 2])]],
  'select 2x3x4 -2 -1': ['aten.select.int', [2, 3, 4], [int(-2), int(-1)]],
  'slice 6x5 dim1 -100 100 3': ['aten.slice.Tensor', [6, 5], [int(1), int(-100), int(100), int(3)]],
  'slice 7 dim0 1 None 3': ['aten.slice.Tensor', [7], [int(0), int(1), none(), int(3)]],
  'constant_pad_nd 4x5 [-1,2,1,-2] 9': ['aten.constant_pad_nd.default', [4, 5], [ints([-1, 2, 1, -2]), int(9)]],
  'reflection_pad1d 1x2x5 [-1,4]': ['aten.reflection_pad1d.default', [1, 2, 5], [ints([-1, 4])]],
  'reflection_pad2d 1x1x4x5 [-1,2,1,-2]': ['aten.reflection_pad2d.default', [1, 1, 4, 5], [ints([-1, 2, 1, -2])]],
  'reflection_pad3d 1x1x3x4x5 [-1,1,0,2,1,0]': ['aten.reflection_pad3d.default', [1, 1, 3, 4, 5], [ints([-1, 1, 0, 2, 1, 0])]],
  'replication_pad2d 1x1x4x5 [-1,2,0,-2]': ['aten.replication_pad2d.default', [1, 1, 4, 5], [ints([-1, 2, 0, -2])]],
  'replication_pad3d 1x1x3x4x5 [-2,1,0,1,1,-1]': ['aten.replication_pad3d.default', [1, 1, 3, 4, 5], [ints([-2, 1, 0, 1, 1, -1])]],
  'col2im 6x14 [5,6] [3,2] [2,1] [1,1] [2,1]': ['aten.col2im.default', [6, 14], [[5, 6], [3, 2], [2, 1], [1, 1], [2, 1]].map((v) => ints(v))],
  'col2im 1x18x16 [4,4] [3,3] [1,1] [1,1] [1,1]': ['aten.col2im.default', [1, 18, 16], [[4, 4], [3, 3], [1, 1], [1, 1], [1, 1]].map((v) => ints(v))],
};

describe('views, copies and pads: values recorded from PyTorch 1.13', () => {
  it.each(Object.keys(RECORDED))('%s', (key) => {
    const [name, shape, args] = RECORDED_CALLS[key] ?? ['', [], []];
    const want = RECORDED[key];
    const { outputs, results } = run(name, [f64(...shape)], [t(0), ...args]);
    expect(outputs[0]?.shape).toEqual(want?.shape);
    expect(outputs[0]?.dtype).toBe('float64');
    expect(vals(results[0])).toEqual(want?.values);
  });

  it('has a recorded call for every recorded result', () => {
    expect(Object.keys(RECORDED_CALLS).sort()).toEqual(Object.keys(RECORDED).sort());
  });
});

describe('views and copies by hand', () => {
  it('split_with_sizes returns one output per size, zero-size pieces included', () => {
    const { outputs, results } = run('aten.split_with_sizes.default', [{ dtype: 'int32', shape: [7, 2] }], [t(0), ints([2, 0, 5])]);
    expect(outputs.map((o) => o.shape)).toEqual([[2, 2], [0, 2], [5, 2]]);
    expect(outputs.every((o) => o.dtype === 'int32')).toBe(true);
    expect(results.map(vals)).toEqual([[0, 1, 2, 3], [], [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]]);
    const last = run('aten.split_with_sizes.default', [f64(2, 5)], [t(0), ints([1, 3, 1]), int(-1)]);
    expect(last.results.map(vals)).toEqual([[0, 5], [1, 2, 3, 6, 7, 8], [4, 9]]);
  });

  it('slice wraps negative bounds, clamps out-of-range ones, and an end before the start is empty', () => {
    const shape = (args: Arg[]) => run('aten.slice.Tensor', [f64(6, 5)], [t(0), ...args]).outputs[0]?.shape;
    expect(shape([int(1), int(-4), int(-1)])).toEqual([6, 3]);
    expect(shape([int(0), int(4), int(2)])).toEqual([0, 5]);
    expect(shape([int(0), int(10), int(20)])).toEqual([0, 5]);
    expect(shape([int(0), none(), none(), int(4)])).toEqual([2, 5]);
    expect(shape([])).toEqual([6, 5]);
    // rows 1, 3, 5 of a 6x5 arange
    expect(vals(run('aten.slice.Tensor', [f64(6, 5)], [t(0), int(0), int(1), none(), int(2)]).results[0])).toEqual([5, 6, 7, 8, 9, 15, 16, 17, 18, 19, 25, 26, 27, 28, 29]);
  });

  it('squeeze, unsqueeze and squeeze.dims change only the shape, and only of size-1 dims', () => {
    const shape = (name: string, s: number[], a: Arg) => run(name, [f64(...s)], [t(0), a]).outputs[0]?.shape;
    expect(shape('aten.squeeze.dim', [3, 1, 4], int(1))).toEqual([3, 4]);
    expect(shape('aten.squeeze.dim', [3, 1, 4], int(0))).toEqual([3, 1, 4]);
    expect(shape('aten.squeeze.dim', [], int(-1))).toEqual([]);
    expect(shape('aten.squeeze.dim', [0, 1], int(1))).toEqual([0]);
    expect(shape('aten.squeeze.dims', [3, 1, 4, 1], ints([1, 3]))).toEqual([3, 4]);
    expect(shape('aten.squeeze.dims', [1, 3, 1], ints([0, -1]))).toEqual([3]);
    expect(shape('aten.squeeze.dims', [0, 1], ints([0, 1]))).toEqual([0]);
    expect(shape('aten.unsqueeze.default', [3, 4], int(2))).toEqual([3, 4, 1]);
    expect(shape('aten.unsqueeze.default', [3, 4], int(-3))).toEqual([1, 3, 4]);
    expect(shape('aten.unsqueeze.default', [], int(-1))).toEqual([1]);
  });

  it('diagonal: its length, and empty past either end', () => {
    const shape = (s: number[], args: Arg[]) => run('aten.diagonal.default', [f64(...s)], [t(0), ...args]).outputs[0]?.shape;
    expect(shape([4, 5], [])).toEqual([4]);
    expect(shape([4, 5], [int(2)])).toEqual([3]);
    expect(shape([4, 5], [int(-3)])).toEqual([1]);
    expect(shape([4, 5], [int(5)])).toEqual([0]);
    expect(shape([4, 5], [int(-4)])).toEqual([0]);
    expect(shape([0, 3], [])).toEqual([0]);
    // by hand: the diagonal of a 4x5 arange from (0, 2) is 2, 8, 14
    expect(vals(run('aten.diagonal.default', [f64(4, 5)], [t(0), int(2)]).results[0])).toEqual([2, 8, 14]);
  });

  it('expand, repeat and flip handle scalars and zero-size dims', () => {
    expect(run('aten.expand.default', [f64()], [t(0), ints([2, 3])]).outputs[0]?.shape).toEqual([2, 3]);
    expect(run('aten.expand.default', [f64(0, 1)], [t(0), ints([-1, 5])]).outputs[0]?.shape).toEqual([0, 5]);
    expect(run('aten.expand.default', [f64(3, 1)], [t(0), ints([3, 0])]).outputs[0]?.shape).toEqual([3, 0]);
    expect(run('aten.repeat.default', [f64(2, 3)], [t(0), ints([0, 1])]).outputs[0]?.shape).toEqual([0, 3]);
    expect(run('aten.repeat.default', [f64()], [t(0), ints([2, 3])]).outputs[0]?.shape).toEqual([2, 3]);
    expect(vals(run('aten.flip.default', [f64()], [t(0), ints([0])]).results[0])).toEqual([0]);
    // a dim of size 1 flips to itself
    expect(vals(run('aten.flip.default', [f64(1, 5)], [t(0), ints([0])]).results[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('copies keep the sign of zero, NaN and infinities, and are judged exactly', () => {
    const values = [-0, 0, NaN, Infinity, -Infinity, 2 ** -1074];
    for (const name of ['aten.alias.default', 'aten._to_copy.default', 'aten.flip.default']) {
      const args = name === 'aten.flip.default' ? [t(0), ints([])] : [t(0)];
      const { outputs, results } = run(name, [{ dtype: 'float64', shape: [6], values }], args);
      expect(outputs[0]?.accuracy).toEqual({ kind: 'exact', signedZero: true });
      expect(Object.is(results[0]?.values[0], -0)).toBe(true);
      expect(vals(results[0])).toEqual(values);
    }
  });

  it('as_strided reads overlapping and broadcast windows of a contiguous input', () => {
    // by hand: stride 0 repeats the row, storage offset 6 with strides [5, 2] reads 6, 8, 10 and 11, 13, 15
    expect(vals(run('aten.as_strided.default', [f64(5)], [t(0), ints([3, 5]), ints([0, 1])]).results[0])).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    expect(vals(run('aten.as_strided.default', [f64(4, 5)], [t(0), ints([2, 3]), ints([5, 2]), int(6)]).results[0])).toEqual([6, 8, 10, 11, 13, 15]);
    expect(vals(run('aten.as_strided.default', [f64(3)], [t(0), ints([]), ints([]), int(2)]).results[0])).toEqual([2]);
    expect(run('aten.as_strided.default', [f64(4)], [t(0), ints([0, 3]), ints([1, 1])]).outputs[0]?.shape).toEqual([0, 3]);
  });
});

describe('conversions (_to_copy, copy): PyTorch 1.13 results, recorded with torch.ops.aten._to_copy', () => {
  const convert = (from: DType, to: DType, values: number[]) =>
    run('aten._to_copy.default', [{ dtype: from, shape: [values.length], values }], [t(0)], { dtype: { kind: 'dtype', value: to } });

  it('takes the dtype keyword, and keeps the input dtype without it', () => {
    expect(convert('int8', 'float16', [1]).outputs[0]?.dtype).toBe('float16');
    expect(run('aten._to_copy.default', [{ dtype: 'int8', shape: [2] }], [t(0)]).outputs[0]?.dtype).toBe('int8');
  });

  it('rounds int64 and float64 to float16 and bfloat16 through float32 (twice)', () => {
    const big = [2 ** 24 + 2 ** 16 + 1, 2 ** 24 + 2 ** 16, 2 ** 53 - 1, 65520, 65519];
    expect(vals(convert('int64', 'bfloat16', big).results[0])).toEqual([2 ** 24, 2 ** 24, 2 ** 53, 65536, 65536]);
    expect(vals(convert('int64', 'float16', big).results[0])).toEqual([Infinity, Infinity, Infinity, Infinity, 65504]);
    expect(vals(convert('int64', 'float32', big).results[0])).toEqual([16842752, 16842752, 2 ** 53, 65520, 65519]);
    const d = [1 + 2 ** -11 + 2 ** -40, 1 + 2 ** -8 + 2 ** -40, 1e-310];
    expect(vals(convert('float64', 'float16', d).results[0])).toEqual([1, 1.00390625, 0]);
    expect(vals(convert('float64', 'bfloat16', d).results[0])).toEqual([1, 1, 0]);
    expect(vals(convert('float64', 'float32', d).results[0])).toEqual([1.00048828125, 1.00390625, 0]);
  });

  it('rounds to nearest even into float16 and bfloat16, overflowing past the largest finite', () => {
    expect(vals(convert('float16', 'bfloat16', [1, 2 ** -14, 2 ** -24, 65504]).results[0])).toEqual([1, 6.103515625e-5, 5.960464477539063e-8, 65536]);
    // by hand: 1 + 2^-8 is a bfloat16 tie (to even: 1), 1 + 3·2^-8 rounds up to 1 + 2^-6; float16 ties likewise
    expect(vals(convert('float32', 'bfloat16', [1 + 2 ** -8, 1 + 3 * 2 ** -8]).results[0])).toEqual([1, 1 + 2 ** -6]);
    expect(vals(convert('float32', 'float16', [65519, 65520, 2 ** -25, 3 * 2 ** -26]).results[0])).toEqual([65504, Infinity, 0, 2 ** -24]);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(Object.is(vals(convert('float32', 'float16', [-0]).results[0])[0], -0)).toBe(true);
    expect(bfloat16Bits(vals(convert('float32', 'bfloat16', [-(2 ** -133)]).results[0])[0] ?? 0)).toBe(0x8001);
  });

  it('truncates floats into integers, wraps integers, and makes bool of anything non-zero (NaN included)', () => {
    expect(vals(convert('float32', 'uint8', [-0.5, 255.9, -0.9, 127.9]).results[0])).toEqual([0, 255, 0, 127]);
    expect(vals(convert('float32', 'int8', [127.9, -128.9]).results[0])).toEqual([127, -128]);
    expect(vals(convert('float32', 'int32', [2147483520, -2147483648]).results[0])).toEqual([2147483520, -2147483648]);
    expect(vals(convert('float32', 'bool', [-0.5, NaN, -0, 2 ** -149]).results[0])).toEqual([1, 1, 0, 1]);
    expect(vals(convert('uint8', 'int8', [200, 255, 0]).results[0])).toEqual([-56, -1, 0]);
    expect(vals(convert('int8', 'uint8', [-1, -128]).results[0])).toEqual([255, 128]);
  });

  it('copy gives self\'s dtype and shape, with src broadcast and converted', () => {
    const r = run('aten.copy.default', [{ dtype: 'int64', shape: [2, 3] }, { dtype: 'float32', shape: [3], values: [Math.fround(-2.7), Math.fround(3.9), -0] }], [t(0), t(1)]);
    expect(r.outputs[0]?.dtype).toBe('int64');
    expect(r.outputs[0]?.shape).toEqual([2, 3]);
    expect(vals(r.results[0])).toEqual([-2, 3, 0, -2, 3, 0]);
  });
});

describe('constant_pad_nd fills with the value converted as fill_ converts it (recorded from PyTorch 1.13)', () => {
  const fill = (dtype: DType, value: Arg) => vals(run('aten.constant_pad_nd.default', [{ dtype, shape: [2], values: [0, 0] }], [t(0), ints([1, 1]), value]).results[0])[0];

  it('rounds, truncates and wraps the value', () => {
    expect(fill('uint8', int(-1))).toBe(255);
    expect(fill('uint8', int(-255))).toBe(1);
    expect(fill('float16', arg.float(1 / 3))).toBe(0.333251953125);
    expect(fill('bfloat16', arg.float(1 / 3))).toBe(0.333984375);
    expect(fill('int8', arg.float(2.5))).toBe(2);
    expect(fill('bool', arg.float(2.5))).toBe(1);
    expect(fill('bool', arg.float(NaN))).toBe(1);
    expect(fill('float16', arg.float(Infinity))).toBe(Infinity);
    expect(fill('float32', arg.float(NaN))).toBeNaN();
  });

  it('raises where the value overflows the dtype, and only where something is filled', () => {
    const pad = (dtype: DType, value: Arg, pads = [1, 1]) => bindError('aten.constant_pad_nd.default', [{ dtype, shape: [2] }], [t(0), ints(pads), value]);
    expect(pad('float16', arg.float(65519))).toThrow('value cannot be converted to type at::Half without overflow');
    expect(pad('bfloat16', arg.float(1e300))).toThrow('value cannot be converted to type at::BFloat16 without overflow');
    expect(pad('float32', arg.float(1e300))).toThrow('value cannot be converted to type float without overflow');
    expect(pad('int8', arg.float(-128.9))).toThrow('value cannot be converted to type int8_t without overflow');
    expect(pad('int8', int(300))).toThrow('value cannot be converted to type int8_t without overflow');
    expect(pad('int32', arg.float(NaN))).toThrow('value cannot be converted to type int without overflow');
    expect(pad('int64', arg.float(NaN))).toThrow('value cannot be converted to type int64_t without overflow');
    expect(pad('int16', arg.float(1e300))).toThrow('value cannot be converted to type int16_t without overflow');
    expect(pad('uint8', int(-256))).toThrow('value cannot be converted to type uint8_t without overflow');
    expect(pad('uint8', arg.float(-0.5))).toThrow('value cannot be converted to type uint8_t without overflow');
    // crop only: PyTorch returns the narrowed clone before it converts the value
    expect(pad('float16', arg.float(1e10), [-1, 0])).not.toThrow();
  });
});

describe('bind raises what PyTorch 1.13 raises, with its message', () => {
  const cases: [string, In[], Arg[], string][] = [
    ['aten.diagonal.default', [f64(3, 4)], [t(0), int(0), int(0), int(0)], 'diagonal dimensions cannot be identical 0, 0'],
    ['aten.diagonal.default', [f64(3, 4)], [t(0), int(0), int(0), int(2)], 'Dimension out of range (expected to be in range of [-2, 1], but got 2)'],
    ['aten.diagonal.default', [f64()], [t(0), int(0), int(0), int(1)], 'Dimension out of range (expected to be in range of [-1, 0], but got 1)'],
    ['aten.expand.default', [f64(3)], [t(0), ints([2, 5])], 'The expanded size of the tensor (5) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 5].  Tensor sizes: [3]'],
    ['aten.expand.default', [{ dtype: 'float32', shape: [3, 4] }], [t(0), ints([3])], 'expand(torch.FloatTensor{[3, 4]}, size=[3]): the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)'],
    ['aten.expand.default', [f64(3)], [t(0), ints([-1, 3])], "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0"],
    ['aten.flip.default', [f64(3, 4)], [t(0), ints([0, -2])], 'dim 0 appears multiple times in the list of dims'],
    ['aten.flip.default', [f64(3, 4)], [t(0), ints([2])], 'Dimension out of range (expected to be in range of [-2, 1], but got 2)'],
    ['aten.repeat.default', [f64(3, 4)], [t(0), ints([2])], 'Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor'],
    ['aten.repeat.default', [f64(3, 4)], [t(0), ints([-1, 2])], 'Trying to create tensor with negative dimension -3: [-3, 8]'],
    ['aten.select.int', [f64(3, 4)], [t(0), int(0), int(3)], 'select(): index 3 out of range for tensor of size [3, 4] at dimension 0'],
    ['aten.select.int', [f64(3, 4)], [t(0), int(0), int(-4)], 'select(): index -4 out of range for tensor of size [3, 4] at dimension 0'],
    ['aten.select.int', [f64()], [t(0), int(0), int(0)], 'select() cannot be applied to a 0-dim tensor.'],
    ['aten.select.int', [f64(0, 3)], [t(0), int(0), int(0)], 'select(): index 0 out of range for tensor of size [0, 3] at dimension 0'],
    ['aten.slice.Tensor', [f64(3, 4)], [t(0), int(0), none(), none(), int(0)], 'slice step must be positive'],
    ['aten.slice.Tensor', [f64(3, 4)], [t(0), int(0), none(), none(), int(-1)], 'slice step must be positive'],
    ['aten.slice.Tensor', [f64()], [t(0), int(0)], 'slice() cannot be applied to a 0-dim tensor.'],
    ['aten.split_with_sizes.default', [f64(3, 4)], [t(0), ints([1, 1])], "split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at dimension 0), but got split_sizes=[1, 1]"],
    ['aten.split_with_sizes.default', [f64(3, 4)], [t(0), ints([4, -1])], 'split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=[4, -1]'],
    ['aten.split_with_sizes.default', [f64()], [t(0), ints([1])], 'split expects at least a 1-dimensional tensor'],
    ['aten.squeeze.dim', [f64(2, 3)], [t(0), int(5)], 'Dimension out of range (expected to be in range of [-2, 1], but got 5)'],
    ['aten.squeeze.dim', [f64()], [t(0), int(1)], 'Dimension out of range (expected to be in range of [-1, 0], but got 1)'],
    ['aten.unsqueeze.default', [f64(3, 4)], [t(0), int(3)], 'Dimension out of range (expected to be in range of [-3, 2], but got 3)'],
    ['aten.unsqueeze.default', [f64()], [t(0), int(-2)], 'Dimension out of range (expected to be in range of [-1, 0], but got -2)'],
    ['aten.as_strided.default', [{ dtype: 'float32', shape: [3, 4] }], [t(0), ints([2, 2]), ints([1])], 'mismatch in length of strides and shape'],
    ['aten.as_strided.default', [{ dtype: 'float32', shape: [3, 4] }], [t(0), ints([2, 2]), ints([-1, 1])], 'as_strided: Negative strides are not supported at the moment, got strides: [-1, 1]'],
    ['aten.as_strided.default', [{ dtype: 'float32', shape: [3, 4] }], [t(0), ints([4, 4]), ints([4, 1])], 'setStorage: sizes [4, 4], strides [4, 1], storage offset 0, and itemsize 4 requiring a storage size of 64 are out of bounds for storage of size 48'],
    ['aten.as_strided.default', [{ dtype: 'float32', shape: [3, 4] }], [t(0), ints([2]), ints([1]), int(-1)], 'Tensor: invalid storage offset -1'],
    ['aten.as_strided.default', [{ dtype: 'float32', shape: [3, 4] }], [t(0), ints([]), ints([]), int(12)], 'setStorage: sizes [], strides [], storage offset 12, and itemsize 4 requiring a storage size of 52 are out of bounds for storage of size 48'],
    ['aten.copy.default', [{ dtype: 'int64', shape: [3] }, { dtype: 'float16', shape: [2, 3] }], [t(0), t(1)], 'expand(torch.LongTensor{[2, 3]}, size=[3]): the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)'],
    ['aten.copy.default', [f64(2, 3), f64(4)], [t(0), t(1)], 'The expanded size of the tensor (3) must match the existing size (4) at non-singleton dimension 1.  Target sizes: [2, 3].  Tensor sizes: [4]'],
    ['aten.constant_pad_nd.default', [f64(3, 4)], [t(0), ints([1, 2, 3])], 'Length of pad must be even but instead it equals 3'],
    ['aten.constant_pad_nd.default', [f64(3, 4)], [t(0), ints([1, 1, 1, 1, 1, 1])], 'Length of pad should be no more than twice the number of dimensions of the input. Pad length is 6while the input has 2dimensions.'],
    ['aten.constant_pad_nd.default', [f64(3, 4)], [t(0), ints([-3, -2])], 'start (0) + length (-1) exceeds dimension size (1).'],
    ['aten.constant_pad_nd.default', [f64(4, 5)], [t(0), ints([-6, 0])], 'Dimension out of range (expected to be in range of [-5, 4], but got 6)'],
    ['aten.constant_pad_nd.default', [f64(4, 5)], [t(0), ints([-3, -3, 1, 0])], 'start (0) + length (-1) exceeds dimension size (2).'],
    ['aten.constant_pad_nd.default', [f64(0, 5)], [t(0), ints([1, 1, 0, 0])], 'The input size 0, plus negative padding 0 and 0 resulted in a negative output size, which is invalid. Check dimension 0 of your input.'],
    ['aten.reflection_pad1d.default', [f64(1, 3, 4)], [t(0), ints([4, 0])], 'Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (4, 0) at dimension 2 of input [1, 3, 4]'],
    ['aten.replication_pad2d.default', [f64(1, 2, 4)], [t(0), ints([1, 1, 1])], 'padding size is expected to be 4'],
    ['aten.replication_pad2d.default', [f64(1, 0, 4)], [t(0), ints([1, 1, 1, 1])], 'Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: [1, 0, 4]'],
    ['aten.col2im.default', [f64(1, 12, 11)], [t(0), ...[[4, 5], [2, 2], [1, 1], [0, 0], [1, 1]].map((v) => ints(v))], "Given output_size=(4, 5), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, 1), expected size of input's dimension 2 to match the calculated number of sliding blocks 3 * 4 = 12, but got input.size(2)=11."],
    ['aten.col2im.default', [f64(1, 11, 12)], [t(0), ...[[4, 5], [2, 2], [1, 1], [0, 0], [1, 1]].map((v) => ints(v))], "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=11 and kernel_size=(2, 2)."],
    ['aten.col2im.default', [f64(1, 12, 12)], [t(0), ...[[4, 5], [2, 2], [1, 1], [0, 0], [0, 1]].map((v) => ints(v))], 'stride should be greater than zero, but got stride_height: 0 stride_width: 1'],
    ['aten.col2im.default', [f64(1, 12, 12)], [t(0), ...[[4, 5], [0, 2], [1, 1], [0, 0], [1, 1]].map((v) => ints(v))], 'kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 2'],
    ['aten.col2im.default', [f64(1, 12, 12)], [t(0), ...[[4, 5], [2, 2], [0, 1], [0, 0], [1, 1]].map((v) => ints(v))], 'dilation should be greater than zero, but got dilation_height: 0 dilation_width: 1'],
    ['aten.col2im.default', [f64(1, 12, 12)], [t(0), ...[[4, 5], [2, 2], [1, 1], [-1, 0], [1, 1]].map((v) => ints(v))], 'padding should be non-negative, but got pad_height: -1 pad_width: 0'],
    ['aten.col2im.default', [f64(1, 12, 12)], [t(0), ...[[4, 5], [2, 2], [1, 1], [0], [1, 1]].map((v) => ints(v))], 'It is expected padding equals to 2, but got size 1'],
    ['aten.col2im.default', [f64(1, 12, 0)], [t(0), ...[[1, 1], [2, 2], [1, 1], [0, 0], [1, 1]].map((v) => ints(v))], 'Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: [1, 12, 0]'],
  ];
  it.each(cases.map((c) => [`${c[0]} ${c[3].slice(0, 60)}`, ...c] as const))('%s', (_label, name, inputs, args, message) => {
    expect(bindError(name, inputs, args)).toThrow(message);
  });
});

describe('col2im accumulates overlapping blocks', () => {
  const args = [[4, 5], [2, 2], [1, 1], [0, 0], [1, 1]].map((v) => ints(v));

  it('sums up to four blocks per pixel (recorded from PyTorch 1.13 on ones: 1 2 2 2 1 / 2 4 4 4 2 …)', () => {
    const { outputs, results } = run('aten.col2im.default', [{ dtype: 'float32', shape: [1, 12, 12], values: new Array<number>(144).fill(1) }], [t(0), ...args]);
    expect(outputs[0]?.shape).toEqual([1, 3, 4, 5]);
    expect(outputs[0]?.accuracy).toEqual({ kind: 'accumulation', accumDtype: 'float32' });
    expect(vals(results[0]).slice(0, 20)).toEqual([1, 2, 2, 2, 1, 2, 4, 4, 4, 2, 2, 4, 4, 4, 2, 1, 2, 2, 2, 1]);
    expect(results[0]?.terms).toBe(4);
    expect([...(results[0]?.absSum ?? [])].slice(0, 5)).toEqual([1, 2, 2, 2, 1]);
  });

  it('marks exact sums of grid values as witnesses, and sums that need more bits than float16 has as not', () => {
    const onGrid = new Array<number>(144).fill(0.0625);
    const coarse = run('aten.col2im.default', [{ dtype: 'float16', shape: [1, 12, 12], values: onGrid }], [t(0), ...args]);
    expect([...(coarse.results[0]?.exact ?? [])].every((e) => e === 1)).toBe(true);
    // integers: pixel (0, 0) is 2047 alone (11 bits, exact), pixel (0, 1) is 1 + 2047, whose Σ|terms| reaches 2^11,
    // where a float16 sum is no longer exact in every order
    const wide = onGrid.map((_, i) => (i === 0 || i === 12 ? 2047 : 1));
    const fine = run('aten.col2im.default', [{ dtype: 'float16', shape: [1, 12, 12], values: wide }], [t(0), ...args]);
    expect(fine.results[0]?.exact?.[0]).toBe(1);
    expect(fine.results[0]?.exact?.[1]).toBe(0);
  });
});
