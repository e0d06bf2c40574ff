import type { Arg } from '../ops/args.js';
import { getOp } from '../ops/registry.js';
import { opCall, type BoundOp, type OutputSpec, type RefOutput } from '../ops/types.js';
import { valueRule } from '../judge/interval.js';
import { castFunction, isFloating, unitRoundoff, type DType } from '../tensor/dtype.js';
import { PhiloxStream } from '../tensor/prng.js';
import type { Recipe } from '../tensor/spec.js';
import type { RefTensor } from '../tensor/tensor.js';
import type { Graph, GraphNode } from '../workload/graph.js';

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
      throw new Error(`node ${node.name} (${node.op}) yields ${bound.outputs.length} tensors, the graph says ${node.outputs}`);
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

/**
 * The float64 reference of a graph: every node's reference on the exact values of the values it reads, never
 * rounded to a dtype in between (the model as real arithmetic computes it). Returns every value, inputs first.
 * With `typical` (a seed), each node's outputs instead carry the error a typical conforming eager device makes there
 * (`typicalError`) and are rounded to their dtype before the next node reads them: its distance from the exact run
 * measures how errors of that size grow through this model (conditioning, depth, accumulation lengths).
 */
export function interpretReference(typed: TypedGraph, inputs: readonly RefTensor[], typical: string | null = null): RefTensor[] {
  const values: RefTensor[] = inputs.slice();
  for (const n of typed.nodes) {
    const args = n.call.reads.map((v) => values[v] as RefTensor);
    let outs;
    try {
      outs = n.bound.reference(args);
    } catch (err) {
      throw new Error(`node ${n.node.name} (${n.node.op}): ${err instanceof Error ? err.message : String(err)}`);
    }
    n.bound.outputs.forEach((spec, i) => {
      const o = outs[i];
      if (!o) throw new Error(`node ${n.node.name} (${n.node.op}): the reference returned no output ${i}`);
      const out = typical === null ? o.values : typicalOutput(spec, o, new PhiloxStream(typical, n.first + i));
      values.push({ dtype: spec.dtype, shape: [...spec.shape], values: out });
    });
  }
  return values;
}

/**
 * The standard deviation of a typical conforming device's error on one element, before the output's rounding:
 * - accumulation (matmul, convolution, sums, means): a sequential sum of k terms in the accumulation dtype errs by
 *   about u·Σ|terms|/√6 when partial sums wander as random walks do (variance u²/3·Σ partial sums², the partial
 *   sums ≈ √t of a term); blocked and pairwise kernels err less;
 * - ulp and bound rules (transcendental functions, softmax, norms, GELU): uniform over the allowed interval,
 *   halfWidth/√3;
 * - exact rules: none.
 */
export function typicalError(spec: OutputSpec, ref: RefOutput): (i: number, r: number) => number {
  const a = spec.accuracy;
  if (a.kind === 'accumulation') {
    const u = unitRoundoff(a.accumDtype);
    const sums = ref.absSum;
    return (i) => (sums ? (u * (sums[i] as number)) / Math.SQRT2 / Math.sqrt(3) : 0);
  }
  if (a.kind !== 'ulp' && a.kind !== 'bound') return () => 0;
  const rule = valueRule(a, spec.dtype, ref);
  return (i, r) => rule.halfWidth(i, r) / Math.sqrt(3);
}

/** One output as the typical device returns it: the exact value plus a normal draw of its typical error, rounded. */
function typicalOutput(spec: OutputSpec, ref: RefOutput, random: PhiloxStream): Float64Array {
  const cast = castFunction(spec.dtype);
  if (!isFloating(spec.dtype)) return ref.values.map(cast);
  const sigma = typicalError(spec, ref);
  return ref.values.map((r, i) => {
    const s = Number.isFinite(r) ? sigma(i, r) : 0;
    return cast(Number.isFinite(s) && s > 0 ? r + s * random.normal(i) : r);
  });
}
