import { z } from 'zod';
import { DTypeSchema } from '../tensor/dtype.js';

/**
 * One argument of an ATen call, typed the way the schema types it, so that a worker can rebuild the
 * exact call: an int and a float scalar are different (they promote differently), and tensors are
 * references to the case's inputs by index.
 */
export const ArgSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tensor'), index: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('tensors'), indices: z.array(z.number().int().nonnegative()) }),
  z.object({ kind: z.literal('int'), value: z.number().int() }),
  // non-finite floats travel as strings because JSON has no spelling for them
  z.object({ kind: z.literal('float'), value: z.union([z.number(), z.enum(['inf', '-inf', 'nan'])]) }),
  z.object({ kind: z.literal('bool'), value: z.boolean() }),
  z.object({ kind: z.literal('ints'), value: z.array(z.number().int()) }),
  z.object({ kind: z.literal('str'), value: z.string() }),
  z.object({ kind: z.literal('dtype'), value: DTypeSchema }),
  z.object({ kind: z.literal('none') }),
]);
export type Arg = z.infer<typeof ArgSchema>;

export const arg = {
  tensor: (index: number): Arg => ({ kind: 'tensor', index }),
  tensors: (indices: number[]): Arg => ({ kind: 'tensors', indices }),
  int: (value: number): Arg => ({ kind: 'int', value }),
  float: (value: number): Arg => ({
    kind: 'float',
    value: Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : value,
  }),
  bool: (value: boolean): Arg => ({ kind: 'bool', value }),
  ints: (value: number[]): Arg => ({ kind: 'ints', value }),
  str: (value: string): Arg => ({ kind: 'str', value }),
  none: (): Arg => ({ kind: 'none' }),
};

/** The numeric value of a scalar arg (int, float or bool). */
export function scalarValue(a: Arg): number {
  switch (a.kind) {
    case 'int':
      return a.value;
    case 'bool':
      return a.value ? 1 : 0;
    case 'float':
      return a.value === 'nan' ? NaN : a.value === 'inf' ? Infinity : a.value === '-inf' ? -Infinity : a.value;
    default:
      throw new Error(`argument of kind ${a.kind} is not a scalar`);
  }
}
