import { z } from 'zod';
import { ArgSchema, type Arg } from '../ops/args.js';
import { AtenNameSchema } from './kind.js';

/**
 * A model as a graph of ATen calls, in the shape of an FX / torch.export graph. Values are numbered: the graph's
 * inputs are 0..n−1 (the case's inputs, weights included), then every output of every node in node order. A
 * node's `tensor`/`tensors` arguments name values by number, so a graph reuses the op call's argument kinds.
 * Each node says how many tensors it yields, so the numbering is known without running anything.
 */
const Ident = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a name as FX spells it (letters, digits, _)');

/**
 * A graph input, as torch.export names them: `input` (what a user feeds), `parameter` and `buffer` (a module's
 * weights and running statistics), `constant` (a tensor the traced code created). All of them are case inputs.
 */
export const PlaceholderSchema = z.object({ name: Ident, kind: z.enum(['input', 'parameter', 'buffer', 'constant']) });
export type Placeholder = z.infer<typeof PlaceholderSchema>;

export const GraphNodeSchema = z.object({
  /** SSA name, as FX prints it (`linear_1`); unique in the graph, named in reports of the first node that goes wrong */
  name: Ident,
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
  /** the placeholders, one per case input in order (absent: inputs are unnamed) */
  placeholders: z.array(PlaceholderSchema).optional(),
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
  if (graph.placeholders && graph.placeholders.length !== inputs) return `the graph names ${graph.placeholders.length} placeholders for ${inputs} inputs`;
  for (const p of graph.placeholders ?? []) {
    if (names.has(p.name)) return `placeholder name ${p.name} is used twice`;
    names.add(p.name);
  }
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

/** How many values a graph over `inputs` inputs defines: the inputs, then every node output. */
export function valueCount(graph: Graph, inputs: number): number {
  return graph.nodes.reduce((n, node) => n + node.outputs, inputs);
}

/**
 * How a graph case runs: `eager`, node by node as PyTorch's eager mode does; `compiled`, through the target's graph
 * compiler (torch.compile), which may fuse nodes and keep intermediates in other precisions.
 */
export const GraphModeSchema = z.enum(['eager', 'compiled']);
export type GraphMode = z.infer<typeof GraphModeSchema>;

/**
 * Task-level checks of a model's outputs against the float64 reference, beyond the per-value bounds (docs/numerics.md,
 * Models). `output` is a position in the graph's outputs.
 * - top1: the index of the largest element along the last dim (a class, a next token) agrees with the reference's at
 *   no fewer than `min` of the positions; where the reference's own two best are within the output's bound (a tie at
 *   this precision), either counts as agreeing
 * - cosine: the cosine similarity of every slice along the last dim with the reference's is at least `min`
 * - tokens: integer outputs (greedily decoded tokens) identical to the reference's
 */
export const TaskCheckSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('top1'), output: z.number().int().nonnegative(), min: z.number().gt(0).max(1) }),
  z.object({ kind: z.literal('cosine'), output: z.number().int().nonnegative(), min: z.number().gt(0).max(1) }),
  z.object({ kind: z.literal('tokens'), output: z.number().int().nonnegative() }),
]);
export type TaskCheck = z.infer<typeof TaskCheckSchema>;
