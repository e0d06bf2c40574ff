import { benchCase, randn, type BenchDefinition } from '../../src/suite/bench-builder.js';
import { dtypeInfo, type DType } from '../../src/tensor/dtype.js';
import type { BenchScale } from '../../src/workload/bench.js';
import type { BenchCase } from '../../src/workload/case.js';
import { busFactor, type CollectiveOp, type ReduceOp } from '../../src/workload/collective.js';

/**
 * Collective bandwidth, as nccl-tests measures it: the time of one collective (the slowest rank's), the algorithm
 * bandwidth (the operation's size over that time) and the bus bandwidth (times the collective's bus factor, so that
 * figures compare across world sizes and with the links' own rating). The size S is nccl-tests': the buffer of an
 * all_reduce, broadcast or send, the gathered output of an all_gather, the input of a reduce_scatter or all_to_all.
 */
const OPS: readonly { op: CollectiveOp; reduce: ReduceOp | null }[] = [
  { op: 'all_reduce', reduce: 'sum' },
  { op: 'all_gather', reduce: null },
  { op: 'reduce_scatter', reduce: 'sum' },
  { op: 'broadcast', reduce: null },
  { op: 'all_to_all', reduce: null },
  { op: 'send_recv', reduce: null },
];

/** Per scale: the world sizes, the collectives, and elements per rank (small: 4 MiB of float32; full: 64 MiB of bfloat16). */
const SCALES: Readonly<Record<BenchScale, { ranks: number[]; ops: readonly CollectiveOp[]; elements: number; dtype: DType }>> = {
  small: { ranks: [4], ops: ['all_reduce', 'all_gather'], elements: 1 << 20, dtype: 'float32' },
  full: { ranks: [2, 4, 8], ops: OPS.map((o) => o.op), elements: 1 << 25, dtype: 'bfloat16' },
};

function collectiveBench(op: CollectiveOp, reduce: ReduceOp | null, ranks: number, elements: number, dtype: DType): BenchDefinition {
  const chunked = op === 'reduce_scatter' || op === 'all_to_all';
  const shape = chunked ? [ranks, ranks, Math.ceil(elements / ranks)] : [ranks, elements];
  const perRank = shape.slice(1).reduce((a, b) => a * b, 1);
  // nccl-tests' size: all_gather's is the gathered output, every other's a rank's buffer
  const size = (op === 'all_gather' ? ranks * perRank : perRank) * dtypeInfo(dtype).itemsize;
  const name = `${op}${reduce ? `-${reduce}` : ''}-${ranks}ranks-${perRank}`;
  return {
    family: 'collectives',
    name,
    dtype,
    inputs: [randn(dtype, shape)],
    workload: { kind: 'collective', collective: { name, op, reduce, ranks, root: op === 'broadcast' ? 0 : null } },
    work: { flops: null, bytes: size, items: null, busFactor: busFactor(op, ranks) },
    bound: 'interconnect',
  };
}

export function collectiveBenchCases(suite: string, scale: BenchScale): BenchCase[] {
  const s = SCALES[scale];
  return s.ranks.flatMap((ranks) =>
    OPS.filter((o) => s.ops.includes(o.op)).map((o) => benchCase(suite, scale, collectiveBench(o.op, o.reduce, ranks, s.elements, s.dtype))),
  );
}
