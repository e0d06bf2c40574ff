import { z } from 'zod';
import { ArgSchema } from '../ops/args.js';
import { OP_FAMILIES } from '../ops/types.js';
import { DTypeSchema } from '../tensor/dtype.js';
import { InputSpecSchema } from '../tensor/spec.js';
import { BenchScaleSchema, BenchSpecSchema } from './bench.js';
import { CollectiveSpecSchema } from './collective.js';
import { GraphModeSchema, GraphSchema, TaskCheckSchema } from './graph.js';
import { AtenNameSchema } from './kind.js';

/**
 * One fully specified case. Everything needed to regenerate its inputs bit for bit is here: the input specs and
 * the seed. The id is hierarchical (`suite/family/subject/dtype/variant`) and is what filters, shards, waivers,
 * journals and reports key on. What runs depends on the workload kind.
 */
const common = {
  id: z.string().min(1),
  suite: z.string().min(1),
  /** the dtype the case is filed under (its main input's dtype, or the result dtype of a promotion case) */
  dtype: DTypeSchema,
  /** the case's tensor inputs (a graph's weights included), materialised by the harness */
  inputs: z.array(InputSpecSchema),
  /** 64-bit seed as 16 hex digits, derived from the case id */
  seed: z.string().regex(/^[0-9a-f]{16}$/),
};

/** A family for graph and bench cases (`vision`, `language`, `matmul`, …): one id segment. */
const Family = z.string().regex(/^[a-z][a-z0-9-]*$/);

export const OpCaseSchema = z.object({
  kind: z.literal('op'),
  ...common,
  /** the op's own family (from the op catalogue, never typed by a suite author) */
  family: z.enum(OP_FAMILIES),
  op: AtenNameSchema,
  args: z.array(ArgSchema),
  kwargs: z.record(z.string(), ArgSchema),
});
export const GraphCaseSchema = z.object({
  kind: z.literal('graph'),
  ...common,
  family: Family,
  graph: GraphSchema,
  mode: GraphModeSchema,
  /** task-level checks of the outputs (top-1 agreement, cosine similarity, greedy tokens), on top of the value bounds */
  checks: z.array(TaskCheckSchema),
});
export const BenchCaseSchema = z.object({
  kind: z.literal('bench'),
  ...common,
  family: Family,
  /** the bench scale the case belongs to (`run --bench-scale`): a run requires the benchmarks of one scale */
  scale: BenchScaleSchema,
  bench: BenchSpecSchema,
});

/** A collective across the ranks of a node; its one input stacks every rank's input (collective.ts). */
export const CollectiveCaseSchema = z.object({
  kind: z.literal('collective'),
  ...common,
  family: Family,
  collective: CollectiveSpecSchema,
});

export const CaseSchema = z.discriminatedUnion('kind', [OpCaseSchema, GraphCaseSchema, BenchCaseSchema, CollectiveCaseSchema]);
export type Case = z.infer<typeof CaseSchema>;
export type OpCase = z.infer<typeof OpCaseSchema>;
export type GraphCase = z.infer<typeof GraphCaseSchema>;
export type BenchCase = z.infer<typeof BenchCaseSchema>;
export type CollectiveCase = z.infer<typeof CollectiveCaseSchema>;

/** What a case runs, by name: the ATen overload, the graph's name, or the benchmark's name. Results are filed under it. */
export function caseSubject(c: Case): string {
  switch (c.kind) {
    case 'op':
      return c.op;
    case 'graph':
      return c.graph.name;
    case 'bench':
      return c.bench.name;
    case 'collective':
      return c.collective.name;
  }
}

/** The ATen overloads a case calls (a device that lists the ops it supports must support all of them); a collective calls none. */
export function caseOps(c: Case): string[] {
  switch (c.kind) {
    case 'op':
      return [c.op];
    case 'graph':
      return [...new Set(c.graph.nodes.map((n) => n.op))];
    case 'bench': {
      const w = c.bench.workload;
      return w.kind === 'op' ? [w.op] : w.kind === 'graph' ? [...new Set(w.graph.nodes.map((n) => n.op))] : [];
    }
    case 'collective':
      return [];
  }
}

