import type { OutputSpec, RefOutput } from '../ops/types.js';
import { valueRule } from '../judge/interval.js';
import { castFunction, isFloating, unitRoundoff } from '../tensor/dtype.js';
import { PhiloxStream } from '../tensor/prng.js';
import type { RefTensor } from '../tensor/tensor.js';
import type { TypedGraph } from '../workload/graph-typing.js';

// typing a graph (binding every node) lives with the graph format; the graph's interpretations live here
export { localCall, typeGraph, type TypedGraph } from '../workload/graph-typing.js';

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
