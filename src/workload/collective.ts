import { z } from 'zod';

/**
 * A collective: one torch.distributed operation across the ranks of a node (docs/collectives.md). The case's one
 * input X holds every rank's input, stacked: rank r starts from X[r]. What each rank must end with:
 * - all_reduce: the reduction over ranks of X[·], shaped like X[r]
 * - all_gather: X itself, [ranks, …] (every rank's input in rank order)
 * - reduce_scatter: X is [ranks, ranks, …c]; rank r ends with the reduction over j of X[j][r], shaped c
 * - broadcast: X[root]
 * - all_to_all: X is [ranks, ranks, …c]; rank r ends with [X[0][r], X[1][r], …], shaped [ranks, …c]. With `splits`
 *   (uneven parts, as expert-parallel dispatch sends them), X is [ranks, rows, …] and rank i sends splits[i][j] rows to
 *   rank j, in order; rank r ends with the rows every rank sent it, rank 0's first
 * - send_recv: a ring; rank r sends X[r] to rank r+1 and ends with X[r−1] (indices modulo ranks)
 */
export const COLLECTIVE_OPS = ['all_reduce', 'all_gather', 'reduce_scatter', 'broadcast', 'all_to_all', 'send_recv'] as const;
export const CollectiveOpSchema = z.enum(COLLECTIVE_OPS);
export type CollectiveOp = z.infer<typeof CollectiveOpSchema>;

export const REDUCE_OPS = ['sum', 'max', 'avg'] as const;
export const ReduceOpSchema = z.enum(REDUCE_OPS);
export type ReduceOp = z.infer<typeof ReduceOpSchema>;

/** The most ranks a collective case may ask for: the largest node a certification spans. */
export const MAX_COLLECTIVE_RANKS = 64;

export const CollectiveSpecSchema = z.object({
  /** e.g. `all_reduce-sum`: the subject results are filed under */
  name: z.string().min(1),
  op: CollectiveOpSchema,
  /** the reduction of all_reduce and reduce_scatter; null for the others */
  reduce: ReduceOpSchema.nullable(),
  /** the world size: one rank per device of the node (processes on a CPU) */
  ranks: z.number().int().min(2).max(MAX_COLLECTIVE_RANKS),
  /** broadcast's source rank; null for the others */
  root: z.number().int().nonnegative().nullable(),
  /**
   * all_to_all in uneven parts: splits[i][j] rows go from rank i to rank j. Every rank sends and receives the same
   * number of rows (each row and each column sums to X's rows), so every rank's output is shaped like its input
   */
  splits: z.array(z.array(z.number().int().nonnegative()).max(MAX_COLLECTIVE_RANKS)).max(MAX_COLLECTIVE_RANKS).optional(),
});
export type CollectiveSpec = z.infer<typeof CollectiveSpecSchema>;

/** Why a collective spec cannot describe a call on an input of this shape, or null. */
export function collectiveProblem(spec: CollectiveSpec, shape: readonly number[]): string | null {
  const reduces = spec.op === 'all_reduce' || spec.op === 'reduce_scatter';
  if (reduces !== (spec.reduce !== null)) return reduces ? `${spec.op} needs a reduction` : `${spec.op} takes no reduction`;
  if ((spec.op === 'broadcast') !== (spec.root !== null)) return spec.op === 'broadcast' ? 'broadcast needs a root' : `${spec.op} takes no root`;
  if (spec.root !== null && spec.root >= spec.ranks) return `root ${spec.root} is not one of ${spec.ranks} ranks`;
  if (shape[0] !== spec.ranks) return `the input's first dim is ${shape[0] ?? 'missing'}, not the ${spec.ranks} ranks`;
  if (spec.splits !== undefined) return splitsProblem(spec, spec.splits, shape);
  if ((spec.op === 'reduce_scatter' || spec.op === 'all_to_all') && shape[1] !== spec.ranks) {
    return `${spec.op} needs an input of [ranks, ranks, …], not [${shape.join(', ')}]`;
  }
  return null;
}

function splitsProblem(spec: CollectiveSpec, splits: readonly (readonly number[])[], shape: readonly number[]): string | null {
  if (spec.op !== 'all_to_all') return `${spec.op} takes no splits`;
  const rows = shape[1];
  if (rows === undefined) return 'an all_to_all with splits needs an input of [ranks, rows, …]';
  if (splits.length !== spec.ranks || splits.some((row) => row.length !== spec.ranks)) return `splits must be ${spec.ranks} lists of ${spec.ranks} counts`;
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  const column = (j: number): number => sum(splits.map((row) => row[j] ?? 0));
  for (let i = 0; i < spec.ranks; i++) {
    if (sum(splits[i] ?? []) !== rows) return `rank ${i} sends ${sum(splits[i] ?? [])} rows, not the input's ${rows}`;
    if (column(i) !== rows) return `rank ${i} receives ${column(i)} rows, not the input's ${rows}`;
  }
  return null;
}

/**
 * Where each element of a copying collective's output comes from: for rank r's element p (row-major in its output),
 * the flat index into X. Null for the reductions. The one statement of what each copy moves where, for the reference
 * and for the simulated devices alike.
 */
export function copySource(spec: CollectiveSpec, shape: readonly number[]): ((rank: number, p: number) => number) | null {
  const R = spec.ranks;
  const m = shape.slice(1).reduce((a, b) => a * b, 1);
  switch (spec.op) {
    case 'all_gather':
      return (_r, p) => p;
    case 'broadcast':
      return (_r, p) => (spec.root ?? 0) * m + p;
    case 'send_recv':
      return (r, p) => ((r - 1 + R) % R) * m + p;
    case 'all_to_all': {
      if (spec.splits === undefined) {
        // rank r's row j is X[j][r]
        const c = m / R;
        return (r, p) => (Math.floor(p / c) * R + r) * c + (p % c);
      }
      const splits = spec.splits;
      const row = m / (shape[1] ?? 1);
      // for rank r: each position's source, rows from rank 0 first, each rank's part at its offset in that rank's rows
      const sources = Array.from({ length: R }, (_, r) => {
        const from: number[] = [];
        for (let i = 0; i < R; i++) {
          const start = (splits[i] ?? []).slice(0, r).reduce((a, b) => a + b, 0);
          for (let k = 0; k < (splits[i]?.[r] ?? 0); k++) from.push(i * m + (start + k) * row);
        }
        return from;
      });
      return (r, p) => (sources[r]?.[Math.floor(p / row)] ?? 0) + (p % row);
    }
    default:
      return null;
  }
}

/** The shape of each rank's output for an input X of this shape (every rank's is the same). */
export function collectiveOutputShape(spec: CollectiveSpec, shape: readonly number[]): number[] {
  switch (spec.op) {
    case 'all_gather':
      return [...shape];
    case 'reduce_scatter':
      return shape.slice(2);
    default:
      return shape.slice(1);
  }
}

/**
 * Bus bandwidth over algorithm bandwidth, as nccl-tests reports them (docs/PERFORMANCE.md there): what each rank's
 * link carries per byte of the operation's size, so that figures compare across world sizes.
 */
export function busFactor(op: CollectiveOp, ranks: number): number {
  switch (op) {
    case 'all_reduce':
      return (2 * (ranks - 1)) / ranks;
    case 'all_gather':
    case 'reduce_scatter':
    case 'all_to_all':
      return (ranks - 1) / ranks;
    case 'broadcast':
    case 'send_recv':
      return 1;
  }
}
