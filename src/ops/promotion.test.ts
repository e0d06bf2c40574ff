import { describe, expect, it } from 'vitest';
import { promoteTypes, resultType } from './promotion.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';

const T = (dtype: Parameters<typeof promoteTypes>[0], rank = 1) => ({ kind: 'tensor' as const, dtype, rank });
const S = (scalarKind: 'bool' | 'int' | 'float') => ({ kind: 'scalar' as const, scalarKind });

describe('promoteTypes', () => {
  it.each([
    ['int32', 'float16', 'float16'],
    ['uint8', 'int8', 'int16'],
    ['uint8', 'int64', 'int64'],
    ['bool', 'bool', 'bool'],
    ['bool', 'uint8', 'uint8'],
    ['float16', 'bfloat16', 'float32'],
    ['bfloat16', 'float64', 'float64'],
    ['int64', 'float16', 'float16'],
    ['int16', 'int32', 'int32'],
  ] as const)('%s + %s → %s', (a, b, r) => {
    expect(promoteTypes(a, b)).toBe(r);
    expect(promoteTypes(b, a)).toBe(r);
  });
  it('refuses float8 with another type', () => {
    expect(() => promoteTypes('float8_e4m3fn', 'float16')).toThrow(/float8/);
  });
});

describe('resultType', () => {
  it('a float scalar with an integer tensor gives the default dtype float32', () => {
    expect(resultType([T('int64'), S('float')])).toBe('float32');
  });
  it('an int scalar never widens a tensor of the same or higher category', () => {
    expect(resultType([T('float16'), S('int')])).toBe('float16');
    expect(resultType([T('uint8'), S('int')])).toBe('uint8');
    expect(resultType([T('float16'), S('float')])).toBe('float16');
  });
  it('a bool tensor with an int scalar gives int64', () => {
    expect(resultType([T('bool'), S('int')])).toBe('int64');
  });
  it('zero-dim tensors count only when their category is higher', () => {
    expect(resultType([T('float16'), T('float64', 0)])).toBe('float16');
    expect(resultType([T('int32'), T('float64', 0)])).toBe('float64');
    expect(resultType([T('int8'), T('int64', 0)])).toBe('int8');
    expect(resultType([T('int32', 0), T('int64', 0)])).toBe('int64');
  });
  it('a zero-dim tensor beats a scalar of its category', () => {
    expect(resultType([T('int32'), T('float16', 0), S('float')])).toBe('float16');
  });
});

describe('broadcast', () => {
  it('aligns trailing dims and stretches ones', () => {
    expect(broadcastShapes([4, 1, 8], [3, 1])).toEqual([4, 3, 8]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes([0], [1])).toEqual([0]);
    expect(() => broadcastShapes([2, 3], [4])).toThrow(/not broadcastable/);
  });
  it('maps output elements to the element they read', () => {
    expect(Array.from(broadcastIndex([3, 1], [3, 2]))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(broadcastIndex([2], [3, 2]))).toEqual([0, 1, 0, 1, 0, 1]);
    expect(Array.from(broadcastIndex([], [2, 2]))).toEqual([0, 0, 0, 0]);
  });
});
