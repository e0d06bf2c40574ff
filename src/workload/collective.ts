import { z } from 'zod';

/**
 * A collective: one torch.distributed operation across the ranks of a node (docs/collectives.md). The case's one
 * input X holds every rank's input, stacked: rank r starts from X[r]. What each rank must end with:
 * - all_reduce: the reduction over ranks of X[·], shaped like X[r]
 * - all_gather: X itself, [ranks, …] (every rank's input in rank order)
 * - reduce_scatter: X is [ranks, ranks, …c]; rank r ends with the reduction over j of X[j][r], shaped c
 * - broadcast: X[root]
 * - all_to_all: X is [ranks, ranks, …c]; rank r ends with [X[0][r], X[1][r], …], shaped [ranks, …c]
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
});
export type CollectiveSpec = z.infer<typeof CollectiveSpecSchema>;

/** Why a collective spec cannot describe a call on an input of this shape, or null. */
export function collectiveProblem(spec: CollectiveSpec, shape: readonly number[]): string | null {
  const reduces = spec.op === 'all_reduce' || spec.op === 'reduce_scatter';
  if (reduces !== (spec.reduce !== null)) return reduces ? `${spec.op} needs a reduction` : `${spec.op} takes no reduction`;
  if ((spec.op === 'broadcast') !== (spec.root !== null)) return spec.op === 'broadcast' ? 'broadcast needs a root' : `${spec.op} takes no root`;
  if (spec.root !== null && spec.root >= spec.ranks) return `root ${spec.root} is not one of ${spec.ranks} ranks`;
  if (shape[0] !== spec.ranks) return `the input's first dim is ${shape[0] ?? 'missing'}, not the ${spec.ranks} ranks`;
  if ((spec.op === 'reduce_scatter' || spec.op === 'all_to_all') && shape[1] !== spec.ranks) {
    return `${spec.op} needs an input of [ranks, ranks, …], not [${shape.join(', ')}]`;
  }
  return null;
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
