import type { Arg } from '../ops/args.js';
import { getOp } from '../ops/registry.js';
import { opCall, type BoundOp } from '../ops/types.js';
import { isFloating, unitRoundoff, type DType } from '../tensor/dtype.js';
import type { Recipe } from '../tensor/spec.js';
import type { Graph, GraphNode } from './graph.js';

/**
 * A graph typed from its inputs: each node bound to its op with the dtypes and shapes its inputs have by PyTorch's
 * rules, so every value's dtype and shape is known before anything runs. The float64 reference and the reference
 * device both walk this.
 */

/** What is known of one value before it exists. */
export interface ValueSpec {
  dtype: DType;
  shape: number[];
}

/** A node's call in the op's own terms: its tensor arguments renumbered 0..m−1, in order of first use. */
export interface LocalCall {
  args: Arg[];
  kwargs: Record<string, Arg>;
  /** the graph values behind the call's tensors 0..m−1 */
  reads: number[];
}

export interface TypedNode {
  node: GraphNode;
  call: LocalCall;
  bound: BoundOp;
  /** the number of this node's first output value */
  first: number;
}

/** The coarser of two floating dtypes (larger unit roundoff), or the one given. */
function coarser(a: DType | null, b: DType | null): DType | null {
  if (a === null) return b;
  if (b === null) return a;
  return unitRoundoff(b) > unitRoundoff(a) ? b : a;
}

export interface TypedGraph {
  graph: Graph;
  inputs: number;
  /** every value: the inputs, then every node output */
  values: ValueSpec[];
  /**
   * per floating value: the coarsest floating dtype on any path from the inputs to it (a float32 softmax of bfloat16
   * scores carries bfloat16's rounding); null for integer and bool values
   */
  pathDtypes: (DType | null)[];
  nodes: TypedNode[];
  /** per value: whether a later node reads it or the graph returns it */
  used: boolean[];
  /** per value: the node that defines it (−1 for an input) */
  producer: number[];
}

/** Renumbers a node's value references to the local inputs of one op call. */
export function localCall(node: GraphNode): LocalCall {
  const reads: number[] = [];
  const local = (v: number): number => {
    let i = reads.indexOf(v);
    if (i < 0) i = reads.push(v) - 1;
    return i;
  };
  const rewrite = (a: Arg): Arg =>
    a.kind === 'tensor' ? { kind: 'tensor', index: local(a.index) } : a.kind === 'tensors' ? { kind: 'tensors', indices: a.indices.map(local) } : a;
  const args = node.args.map(rewrite);
  const kwargs = Object.fromEntries(Object.entries(node.kwargs).map(([k, a]) => [k, rewrite(a)]));
  return { args, kwargs, reads };
}

/**
 * Types a graph over inputs of the given dtypes and shapes. Throws, naming the node, where an op is not in the
 * catalogue, PyTorch rejects a call, or a node's output count disagrees with its op.
 */
export function typeGraph(graph: Graph, inputs: readonly { dtype: DType; shape: readonly number[]; recipe?: Recipe }[]): TypedGraph {
  const values: ValueSpec[] = inputs.map((t) => ({ dtype: t.dtype, shape: [...t.shape] }));
  const pathDtypes: (DType | null)[] = inputs.map((t) => (isFloating(t.dtype) ? t.dtype : null));
  const producer: number[] = inputs.map(() => -1);
  const nodes: TypedNode[] = [];
  graph.nodes.forEach((node, k) => {
    const op = getOp(node.op);
    if (!op) throw new Error(`node ${node.name} calls ${node.op}, which accelcert does not define`);
    const call = localCall(node);
    // a graph input keeps its recipe (a random draw may allow a probabilistic bound); a node's output has none
    const callInputs = call.reads.map((v) => (v < inputs.length ? (inputs[v] as ValueSpec) : (values[v] as ValueSpec)));
    let bound: BoundOp;
    try {
      bound = op.bind(opCall({ args: call.args, kwargs: call.kwargs, inputs: callInputs }));
    } catch (err) {
      throw new Error(`node ${node.name} (${node.op}): ${err instanceof Error ? err.message : String(err)}`);
    }
    if (bound.outputs.length !== node.outputs) {
      throw new Error(`node ${node.name} (${node.op}) yields ${bound.outputs.length} tensor${bound.outputs.length === 1 ? '' : 's'}, the graph says ${node.outputs}`);
    }
    const first = values.length;
    const path = call.reads.reduce<DType | null>((p, v) => coarser(p, pathDtypes[v] ?? null), null);
    for (const o of bound.outputs) {
      values.push({ dtype: o.dtype, shape: [...o.shape] });
      pathDtypes.push(isFloating(o.dtype) ? coarser(o.dtype, path) : null);
      producer.push(k);
    }
    nodes.push({ node, call, bound, first });
  });
  const used = values.map(() => false);
  for (const n of nodes) for (const v of n.call.reads) used[v] = true;
  for (const v of graph.outputs) used[v] = true;
  return { graph, inputs: inputs.length, values, pathDtypes, nodes, used, producer };
}
