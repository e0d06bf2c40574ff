import type { SuiteDefinition } from '../../src/suite/suite.js';
import { floatFormat, isFloating, type DType } from '../../src/tensor/dtype.js';
import { seedFromId } from '../../src/tensor/prng.js';
import type { Recipe, RecipeValue } from '../../src/tensor/spec.js';
import type { CollectiveCase } from '../../src/workload/case.js';
import type { CollectiveOp, CollectiveSpec, ReduceOp } from '../../src/workload/collective.js';

/**
 * The collectives suite: what data-parallel, tensor-parallel, pipeline and expert-parallel training ask of a node's
 * devices through torch.distributed (docs/collectives.md). Each collective runs on 2, 4 and 8 ranks (a node forms as
 * many as it has devices; a CPU runs processes), on the dtypes gradients and activations travel in, at sizes that are
 * not multiples of the world size (the tail of a chunked ring), and in the value regimes where stacks have shipped
 * defects:
 * - `normal`: random data, judged by the accumulation bound of a sum of `ranks` terms in the tensor's dtype;
 * - `witness`: values on a grid that makes every partial sum exact in the dtype in any order, so the answer is exact:
 *   a transport that narrows float32 to float16 or bfloat16 (a silent compression hook), a rank counted twice or not
 *   at all, or a chunk left unreduced misses by whole grid steps;
 * - `subnormal`: a witness grid below the smallest normal number: a reduction that flushes subnormals to zero fails;
 * - `special`: ±inf and NaN among the values (a sum must propagate them; max sees ±inf only, as backends order NaN
 *   differently), and for copies ±0, NaN and the extremes, which must arrive bit for bit;
 * - `large` (int64): values past 2^48, whose sums a device reducing int64 through float32 or float64 gets wrong.
 */

/** The collectives and their variants: the subject name, op and reduction (broadcast from the last rank: not rank 0). */
const COLLECTIVES: readonly { name: string; op: CollectiveOp; reduce: ReduceOp | null; uneven?: true }[] = [
  { name: 'all_reduce-sum', op: 'all_reduce', reduce: 'sum' },
  { name: 'all_reduce-max', op: 'all_reduce', reduce: 'max' },
  { name: 'all_reduce-avg', op: 'all_reduce', reduce: 'avg' },
  { name: 'reduce_scatter-sum', op: 'reduce_scatter', reduce: 'sum' },
  { name: 'all_gather', op: 'all_gather', reduce: null },
  { name: 'broadcast', op: 'broadcast', reduce: null },
  { name: 'all_to_all', op: 'all_to_all', reduce: null },
  // expert-parallel (MoE) dispatch: every rank sends every other a different number of rows, and itself none
  { name: 'all_to_all-uneven', op: 'all_to_all', reduce: null, uneven: true },
  { name: 'send_recv', op: 'send_recv', reduce: null },
];

const RANKS: readonly number[] = [2, 4, 8];
const DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'int64'];
/** elements per rank: one, a few (fewer than the ranks of a chunk each), and sizes one past a power of two */
const SIZES: readonly number[] = [1, 7, 4097, 262145];
/** the size of the regimes beyond `normal` */
const REGIME_SIZE = 4097;

/**
 * Integers on a grid 2^e whose sum over `ranks` terms stays below 2^(p+1)·2^e, p the dtype's mantissa bits: every
 * partial sum is then exact in the dtype, in any order (exactInAnyOrder).
 */
function witness(dtype: DType, ranks: number, exponent: number): Recipe {
  const high = Math.floor((2 ** (floatFormat(dtype).mantissaBits + 1) - 1) / ranks);
  return { kind: 'grid', low: -high, high, exponent };
}

function regimes(dtype: DType, reduce: ReduceOp | null, ranks: number): { name: string; recipe: Recipe; sizes: readonly number[] }[] {
  const normal = { name: 'normal', sizes: SIZES };
  if (!isFloating(dtype)) {
    const large: Recipe = { kind: 'int', low: 2 ** 48, high: 2 ** 49 };
    return [
      { ...normal, recipe: { kind: 'int', low: -1000, high: 1000 } },
      { name: 'large', recipe: reduce === 'max' ? { ...large, low: -(2 ** 49) } : large, sizes: [REGIME_SIZE] },
    ];
  }
  const f = floatFormat(dtype);
  const out = [{ ...normal, recipe: { kind: 'normal', mean: 0, std: 1 } as Recipe }];
  if (reduce === null) {
    out.push({ name: 'special', recipe: { kind: 'special' }, sizes: [REGIME_SIZE] });
    return out;
  }
  out.push({ name: 'witness', recipe: witness(dtype, ranks, -4), sizes: [REGIME_SIZE] });
  // the grid of the smallest subnormal: every value and every partial sum lies below the smallest normal number
  out.push({ name: 'subnormal', recipe: witness(dtype, ranks, f.minExponent - f.mantissaBits), sizes: [REGIME_SIZE] });
  const specials: RecipeValue[] = reduce === 'max' ? ['inf', '-inf'] : ['inf', '-inf', 'nan'];
  out.push({ name: 'special', recipe: { kind: 'sprinkle', mean: 0, std: 1, values: specials, fraction: 0.02 }, sizes: [REGIME_SIZE] });
  return out;
}

/**
 * The input X of a collective: [ranks, size], every rank's buffer; [ranks, ranks, chunk] where each rank sends a chunk
 * to each, the chunk a rank's share of the size (or the size itself when that leaves less than two elements a rank).
 */
function inputShape(op: CollectiveOp, ranks: number, size: number): number[] {
  if (op !== 'reduce_scatter' && op !== 'all_to_all') return [ranks, size];
  return [ranks, ranks, size < 2 * ranks ? size : Math.ceil(size / ranks)];
}

/**
 * An uneven all_to_all: rank i sends k·((j − i) mod ranks) rows to rank j, so each rank sends and receives
 * k·ranks·(ranks − 1)/2 rows, with parts of every size from none (to itself) up; rows of 1, or of 8 or 16 elements at the
 * larger sizes.
 */
function uneven(ranks: number, size: number): { shape: number[]; splits: number[][] } {
  const [k, row] = size === 1 ? [1, 1] : size < 100 ? [size, 1] : size < 10_000 ? [5, 8] : [1024, 16];
  const rows = (k * ranks * (ranks - 1)) / 2;
  const splits = Array.from({ length: ranks }, (_, i) => Array.from({ length: ranks }, (_, j) => k * ((j - i + ranks) % ranks)));
  return { shape: row === 1 ? [ranks, rows] : [ranks, rows, row], splits };
}

function collectiveCases(suite: string): CollectiveCase[] {
  const cases: CollectiveCase[] = [];
  // world size outermost: a device forms its ranks once per world size, not once per case
  for (const ranks of RANKS) {
    for (const c of COLLECTIVES) {
      const family = c.op.replace(/_/g, '-');
      for (const dtype of DTYPES) {
        // an average of integers is a division PyTorch does not define for integer tensors
        if (c.reduce === 'avg' && !isFloating(dtype)) continue;
        for (const regime of regimes(dtype, c.reduce, ranks)) {
          for (const size of regime.sizes) {
            const parts = c.uneven ? uneven(ranks, size) : null;
            const shape = parts?.shape ?? inputShape(c.op, ranks, size);
            const id = `${suite}/${family}/${c.name}/${dtype}/${ranks}ranks-${shape.slice(1).join('x')}-${regime.name}`;
            const collective: CollectiveSpec = {
              name: c.name,
              op: c.op,
              reduce: c.reduce,
              ranks,
              root: c.op === 'broadcast' ? ranks - 1 : null,
              ...(parts ? { splits: parts.splits } : {}),
            };
            cases.push({
              kind: 'collective',
              id,
              suite,
              family,
              dtype,
              inputs: [{ dtype, shape, layout: { kind: 'contiguous' }, recipe: regime.recipe }],
              seed: seedFromId(id),
              collective,
            });
          }
        }
      }
    }
  }
  return cases;
}

export const collectives: SuiteDefinition = {
  name: 'collectives',
  version: '1',
  description: 'torch.distributed collectives across the ranks of a node: all_reduce (sum, max, avg), reduce_scatter, all_gather, broadcast, all_to_all (even and uneven), send/recv on 2, 4 and 8 ranks',
  groups: [{ expand: collectiveCases }],
};
