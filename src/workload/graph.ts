import { z } from 'zod';
import { ArgSchema, type Arg } from '../ops/args.js';
import { AtenNameSchema } from './kind.js';

/**
 * A model as a graph of ATen calls, in the shape of an FX / torch.export graph. Values are numbered: the graph's
 * inputs are 0..n−1 (the case's inputs, weights included), then every output of every node in node order. A
 * node's `tensor`/`tensors` arguments name values by number, so a graph reuses the op call's argument kinds.
 * Each node says how many tensors it yields, so the numbering is known without running anything.
 */
export const GraphNodeSchema = z.object({
  /** SSA name, as FX prints it (`linear_1`); unique in the graph, named in reports of the first node that goes wrong */
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  op: AtenNameSchema,
  args: z.array(ArgSchema),
  kwargs: z.record(z.string(), ArgSchema),
  /** how many tensors the node yields (an op returning a tuple of three yields 3) */
  outputs: z.number().int().positive(),
});
export type GraphNode = z.infer<typeof GraphNodeSchema>;

export const GraphSchema = z.object({
  /** the model's name, e.g. `mlp-2x64`: the subject its results are filed under */
  name: z.string().min(1),
  nodes: z.array(GraphNodeSchema).min(1),
  /** the values the graph returns, by number */
  outputs: z.array(z.number().int().nonnegative()).min(1),
});
export type Graph = z.infer<typeof GraphSchema>;

function tensorRefs(a: Arg): number[] {
  return a.kind === 'tensor' ? [a.index] : a.kind === 'tensors' ? a.indices : [];
}

/**
 * Why a graph over `inputs` graph inputs is malformed, or null: every value a node reads must be defined before it
 * (no cycles, no forward references), node names are unique, and the outputs name defined values.
 */
export function graphProblem(graph: Graph, inputs: number): string | null {
  let defined = inputs;
  const names = new Set<string>();
  for (const node of graph.nodes) {
    if (names.has(node.name)) return `node name ${node.name} is used twice`;
    names.add(node.name);
    for (const a of [...node.args, ...Object.values(node.kwargs)]) {
      for (const v of tensorRefs(a)) {
        if (v >= defined) return `node ${node.name} reads value ${v}, which is not defined before it (${defined} values are)`;
      }
    }
    defined += node.outputs;
  }
  const bad = graph.outputs.find((v) => v >= defined);
  return bad === undefined ? null : `the graph returns value ${bad}, but only ${defined} values are defined`;
}
