import { z } from 'zod';
import { DTypeSchema } from './dtype.js';

/**
 * How an input is laid out in device memory. The logical values are the same for every layout;
 * only the storage around them differs, and storage the view does not cover is filled with
 * poison values so that a device reading the wrong elements gets caught.
 * - contiguous: row-major
 * - transposed: storage holds the last two dims swapped; the view swaps them back (needs rank ≥ 2)
 * - strided: every `step`-th element of the last dim (a slice with a step)
 * - expanded: storage has size 1 in dims where `shape` is larger, viewed with stride 0 (a broadcast);
 *   the recipe's values are drawn for the small storage
 * - offset: contiguous, starting `offset` elements into the storage
 */
export const LayoutSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('contiguous') }),
  z.object({ kind: z.literal('transposed') }),
  z.object({ kind: z.literal('strided'), step: z.number().int().min(2) }),
  z.object({ kind: z.literal('expanded'), from: z.array(z.number().int().nonnegative()) }),
  z.object({ kind: z.literal('offset'), offset: z.number().int().positive() }),
]);
export type Layout = z.infer<typeof LayoutSchema>;

/**
 * How values are drawn (deterministically from the case's seed and the input's index).
 * - uniform: floats uniform in [low, high), rounded to the dtype
 * - normal: floats N(mean, std), rounded to the dtype
 * - int: integers uniform in [low, high] (inclusive), clamped to the dtype's range
 * - special: a mix of ±0, ±inf, NaN, largest finite, smallest normal, values at rounding ties,
 *   and ordinary values, in shuffled positions
 * - subnormal: floats only: subnormal values (their own case group, so a device that flushes them fails
 *   exactly those cases), with ±0 and ±smallest normal around them
 * - bool: true with probability p
 * - ties: integers-valued floats from a small set, so that maxima repeat (for argmax and friends)
 * - grid: integers in [low, high] times 2^exponent: values on a common grid, so that sums and products of a
 *   bounded number of them are exact in float32 in any order (precision witnesses)
 * - choice: each value picked uniformly from a list (constant rows, values one bit beyond a narrow format)
 * - sprinkle: N(mean, std), with a fraction of the positions replaced by values picked from a list (NaN or ±inf
 *   inside reductions and products, masked rows of a softmax)
 * - permutation: index values without duplicates: lines of `length` elements (along an axis of `stride` in row-major
 *   order), each the first `length` entries of a random permutation of 0..n−1; with `wrap`, a fraction of them
 *   written as the negative index v − n that wraps to the same position (index_put without duplicates, scatter)
 * - arange: start + i·step for the i-th element in row-major order: sorted values (the offsets of embedding bags)
 * - values: exactly these values, row-major, one per element drawn (a captured model's real weights, `graph capture
 *   --keep-weights`), rounded to the dtype; nothing is drawn from the seed
 */
/** A value a recipe names: a number, or the text of a value JSON cannot spell. */
export const RecipeValueSchema = z.union([z.number(), z.enum(['inf', '-inf', 'nan'])]);
export type RecipeValue = z.infer<typeof RecipeValueSchema>;

export const RecipeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uniform'), low: z.number(), high: z.number() }),
  z.object({ kind: z.literal('normal'), mean: z.number(), std: z.number().positive() }),
  z.object({ kind: z.literal('int'), low: z.number().int(), high: z.number().int() }),
  z.object({ kind: z.literal('special') }),
  z.object({ kind: z.literal('subnormal') }),
  z.object({ kind: z.literal('bool'), p: z.number().min(0).max(1) }),
  z.object({ kind: z.literal('ties'), levels: z.number().int().positive() }),
  z.object({ kind: z.literal('grid'), low: z.number().int(), high: z.number().int(), exponent: z.number().int() }),
  z.object({ kind: z.literal('choice'), values: z.array(RecipeValueSchema).min(1) }),
  z.object({
    kind: z.literal('sprinkle'),
    mean: z.number(),
    std: z.number().positive(),
    values: z.array(RecipeValueSchema).min(1),
    fraction: z.number().gt(0).max(1),
  }),
  z.object({
    kind: z.literal('permutation'),
    n: z.number().int().positive(),
    length: z.number().int().positive(),
    stride: z.number().int().positive().optional(),
    wrap: z.number().min(0).max(1).optional(),
  }),
  z.object({ kind: z.literal('arange'), start: z.number(), step: z.number() }),
  z.object({ kind: z.literal('values'), values: z.array(RecipeValueSchema) }),
]);
export type Recipe = z.infer<typeof RecipeSchema>;

export const InputSpecSchema = z.object({
  dtype: DTypeSchema,
  shape: z.array(z.number().int().nonnegative()),
  layout: LayoutSchema,
  recipe: RecipeSchema,
});
export type InputSpec = z.infer<typeof InputSpecSchema>;
