import { wrapInt } from '../../ops/numerics.js';
import { castFunction, isFloating } from '../../tensor/dtype.js';
import { fromValues, toRef } from '../../tensor/materialize.js';
import { numel, type TensorData } from '../../tensor/tensor.js';
import { collectiveOutputShape, copySource, type CollectiveSpec } from '../../workload/collective.js';
import type { ExecResult } from '../types.js';

/**
 * A node of `spec.ranks` simulated ranks, as a ring backend computes a collective: element p of a reduction starts at
 * rank p mod ranks (each chunk of a ring starts at a different rank) and adds the other ranks' values hop by hop,
 * rounding to the tensor's dtype after each hop (what NCCL and gloo do for every dtype). Copies move values as they are.
 */
export function simulateCollective(spec: CollectiveSpec, input: TensorData): ExecResult {
  const x = toRef(input);
  const R = spec.ranks;
  const shape = collectiveOutputShape(spec, x.shape);
  const m = numel(shape);
  const cast = castFunction(x.dtype);
  const float = isFloating(x.dtype);
  const at = (i: number): number => x.values[i] as number;
  const reduceOne = (term: (j: number) => number, p: number): number => {
    const start = p % R;
    if (spec.reduce === 'max') {
      let best = at(term(start));
      for (let k = 1; k < R; k++) best = Math.max(best, at(term((start + k) % R)));
      return best;
    }
    if (!float) {
      let s = 0n;
      for (let k = 0; k < R; k++) s += BigInt(at(term((start + k) % R)));
      return wrapInt(x.dtype, s);
    }
    let acc = at(term(start));
    for (let k = 1; k < R; k++) acc = cast(acc + at(term((start + k) % R)));
    return spec.reduce === 'avg' ? cast(acc / R) : acc;
  };
  const source = copySource(spec, x.shape);
  const outputs: TensorData[] = [];
  for (let r = 0; r < R; r++) {
    const values = new Float64Array(m);
    for (let p = 0; p < m; p++) {
      if (source) values[p] = at(source(r, p));
      else if (spec.op === 'all_reduce') values[p] = reduceOne((j) => j * m + p, p);
      else values[p] = reduceOne((j) => (j * R + r) * m + p, p);
    }
    outputs.push(fromValues(x.dtype, shape, values));
  }
  return { ok: true, outputs };
}
