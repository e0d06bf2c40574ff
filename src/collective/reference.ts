import type { Accuracy, OutputSpec, RefOutput } from '../ops/types.js';
import { AccurateSum, exactInAnyOrder, lowBitExponent, wrapInt } from '../ops/numerics.js';
import { isFloating, type DType } from '../tensor/dtype.js';
import { numel, type RefTensor } from '../tensor/tensor.js';
import { collectiveOutputShape, copySource, type CollectiveSpec } from '../workload/collective.js';

/**
 * What every rank of a collective must end with, in float64, and how close it must be (docs/collectives.md):
 * - sum and avg reduce in the tensor's own dtype, in an order the backend chooses (a ring starts each chunk at a
 *   different rank; NCCL reduces bfloat16 hop by hop): the accumulation rule with k = ranks terms and u of the dtype.
 *   Where the terms lie on a grid that makes every partial sum exact in the dtype in every order (a precision
 *   witness), the answer must be exact. avg may divide the sum (gloo, composed) or scale each term first (NCCL's
 *   pre-multiplied sum), so it allows half an ULP more. Integer sums wrap in the dtype, exactly.
 * - max is exact (the sign of a zero is free: max(−0, +0) may be either).
 * - all_gather, broadcast, all_to_all and send_recv move bytes: exact, the sign of zero included.
 */
export interface RankExpectation {
  specs: OutputSpec[];
  expected: RefOutput[];
}

/** The dtype, shape and rule of every rank's output: what verify checks a report against without the values. */
export function collectiveOutputSpecs(spec: CollectiveSpec, dtype: DType, xShape: readonly number[]): OutputSpec[] {
  const shape = collectiveOutputShape(spec, xShape);
  return Array.from({ length: spec.ranks }, () => ({ dtype, shape, accuracy: ruleOf(spec, dtype) }));
}

function ruleOf(spec: CollectiveSpec, dtype: DType): Accuracy {
  if (spec.reduce === null) return { kind: 'exact', signedZero: true };
  if (spec.reduce === 'max' || !isFloating(dtype)) return { kind: 'exact' };
  return { kind: 'accumulation', accumDtype: dtype, ulps: spec.reduce === 'avg' ? 0.5 : 0 };
}

/** The terms of rank r's element p: where each rank's contribution sits in X's row-major values. */
type TermIndex = (rank: number, p: number, j: number) => number;

export function collectiveReference(spec: CollectiveSpec, x: RefTensor): RankExpectation {
  const specs = collectiveOutputSpecs(spec, x.dtype, x.shape);
  const shape = collectiveOutputShape(spec, x.shape);
  const m = numel(shape);
  const R = spec.ranks;
  const expected: RefOutput[] = [];
  const copy = (source: (rank: number, p: number) => number): void => {
    for (let r = 0; r < R; r++) {
      const values = new Float64Array(m);
      for (let p = 0; p < m; p++) values[p] = x.values[source(r, p)] as number;
      expected.push({ shape, values });
    }
  };
  const source = copySource(spec, x.shape);
  if (source) copy(source);
  else if (spec.op === 'all_reduce') reduce(spec, x, shape, (_r, p, j) => j * m + p, expected);
  // reduce_scatter: rank r's element p reduces X[j][r][p] over j
  else reduce(spec, x, shape, (r, p, j) => (j * R + r) * m + p, expected);
  return { specs, expected };
}

function reduce(spec: CollectiveSpec, x: RefTensor, shape: number[], term: TermIndex, expected: RefOutput[]): void {
  const R = spec.ranks;
  const m = numel(shape);
  const dtype = x.dtype;
  const op = spec.reduce ?? 'sum';
  const float = isFloating(dtype);
  for (let r = 0; r < R; r++) {
    // every rank of an all_reduce ends with the same answer: computed once
    if (r > 0 && spec.op === 'all_reduce') {
      expected.push(expected[expected.length - 1] as RefOutput);
      continue;
    }
    const values = new Float64Array(m);
    if (op === 'max') {
      for (let p = 0; p < m; p++) {
        let best = -Infinity;
        for (let j = 0; j < R; j++) {
          const v = x.values[term(r, p, j)] as number;
          if (Number.isNaN(v) || v > best) best = v;
          if (Number.isNaN(best)) break;
        }
        values[p] = best;
      }
      expected.push({ shape, values });
      continue;
    }
    if (!float) {
      for (let p = 0; p < m; p++) {
        let s = 0n;
        for (let j = 0; j < R; j++) s += BigInt(x.values[term(r, p, j)] as number);
        values[p] = wrapInt(dtype, op === 'avg' ? s / BigInt(R) : s);
      }
      expected.push({ shape, values });
      continue;
    }
    const absSum = new Float64Array(m);
    const sumScale = new Float64Array(m);
    const exact = new Uint8Array(m);
    const n = op === 'avg' ? R : 1;
    for (let p = 0; p < m; p++) {
      const s = new AccurateSum();
      let a = 0;
      let grid = Infinity;
      for (let j = 0; j < R; j++) {
        const v = x.values[term(r, p, j)] as number;
        s.add(v);
        if (v - v === 0) {
          a += Math.abs(v);
          if (v !== 0) grid = Math.min(grid, lowBitExponent(v));
        }
      }
      values[p] = s.value() / n;
      absSum[p] = a / n;
      sumScale[p] = a;
      // an average's division is exact too when the world size is a power of two and nothing leaves the normal range
      exact[p] = exactInAnyOrder(a, grid, dtype) ? 1 : 0;
    }
    expected.push({ shape, values, absSum, sumScale, terms: R, exact });
  }
}
