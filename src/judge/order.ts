import type { Accuracy } from '../ops/types.js';
import type { DType } from '../tensor/dtype.js';
import { castFunction } from '../tensor/dtype.js';
import type { RefTensor } from '../tensor/tensor.js';
import { formatValue } from './format.js';

type IndexOfValues = Extract<Accuracy, { kind: 'index-of-values' }>;
type Unordered = Extract<Accuracy, { kind: 'unordered' }>;

/** Outcome of a property rule over one output (the same shape as the index-of-extreme judge's). */
export interface PropertyOutcome {
  elements: number;
  mismatches: number;
  /** flat index of the first failing output element, and what to show for it */
  worst: { flat: number; actual: string; expected: string; allowed: string } | null;
  /** why the property could not be checked at all (a structural problem of another output), or null */
  problem: string | null;
}

/**
 * The slices of a tensor along one dim: `outer` blocks of `inner` columns, each slice `len` long; element j of slice
 * (a, b) sits at flat index (a·len + j)·inner + b. A rank-0 tensor is one slice of one element (PyTorch accepts
 * dim 0 / −1 there).
 */
function geometry(shape: readonly number[], dim: number): { outer: number; len: number; inner: number } {
  if (shape.length === 0) return { outer: 1, len: 1, inner: 1 };
  if (dim < 0 || dim >= shape.length) throw new Error(`dim ${dim} is out of range for rank ${shape.length}`);
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i] ?? 1;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i] ?? 1;
  return { outer, len: shape[dim] ?? 1, inner };
}

/** Equal as PyTorch's sort orders them: NaN matches NaN, and +0 matches −0. */
function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/**
 * The index output of sort or topk (numerics policy 4): PyTorch fixes the values but not which of several equal
 * elements an unstable sort or topk names, so an index passes when it is an integer in range along the dim, the input
 * there equals the value the device returned beside it (its own values output; topk with sorted=False returns them
 * in any order), and no index repeats within its slice (sort: a permutation; topk: k distinct elements). A wrong
 * value is the values output's failure, judged by its own rule; this rule asks only that the indices name it.
 * `stable` (sort.stable with stable=True): equal elements also keep their input order, i.e. indices of one kind of
 * element (the same value and sign of zero; every NaN alike) increase along the slice. −0 and +0 are kinds apart:
 * their order relative to each other is left free, as backends differ there (pytorch #162235).
 */
export function judgeIndexOfValues(acc: IndexOfValues, actual: RefTensor, inputs: readonly RefTensor[], outputs: readonly (RefTensor | undefined)[]): PropertyOutcome {
  const input = inputs[acc.input];
  if (!input) throw new Error(`index-of-values refers to input ${acc.input}, but the case has ${inputs.length}`);
  const elements = actual.values.length;
  const values = outputs[acc.values];
  if (!values || values.values.length !== elements) {
    const got = values ? `${values.values.length} values` : 'nothing';
    return { elements, mismatches: 0, worst: null, problem: `the indices cannot be checked: output ${acc.values} (their values) holds ${got}, not ${elements}` };
  }
  const src = geometry(input.shape, acc.dim);
  const out = geometry(actual.shape, acc.dim);
  if (src.outer !== out.outer || src.inner !== out.inner || out.len > src.len) {
    throw new Error(`index-of-values output [${actual.shape.join(', ')}] does not fit input [${input.shape.join(', ')}] along dim ${acc.dim}`);
  }
  const x = input.values;
  const v = values.values;
  const idx = actual.values;
  // stamp[j] = the slice that last named input element j: a repeat within a slice finds its own stamp
  const stamp = new Float64Array(src.len).fill(-1);
  // for a stable sort: the last index named for each kind of element (value and sign of zero; NaN alike) in the slice
  const last = new Map<string | number, number>();
  let mismatches = 0;
  let worst: PropertyOutcome['worst'] = null;
  let slice = 0;
  for (let a = 0; a < out.outer; a++) {
    for (let b = 0; b < out.inner; b++, slice++) {
      last.clear();
      for (let j = 0; j < out.len; j++) {
        const o = (a * out.len + j) * out.inner + b;
        const i = idx[o] ?? NaN;
        const want = v[o] ?? NaN;
        const inRange = Number.isInteger(i) && i >= 0 && i < src.len;
        const held = inRange ? (x[(a * src.len + i) * src.inner + b] ?? NaN) : NaN;
        const repeated = inRange && stamp[i] === slice;
        if (inRange) stamp[i] = slice;
        let unstable = false;
        if (acc.stable && inRange) {
          const key = held !== held ? 'nan' : held === 0 ? (Object.is(held, -0) ? '-0' : '+0') : held;
          unstable = (last.get(key) ?? -1) > i;
          last.set(key, i);
        }
        if (inRange && !repeated && !unstable && same(held, want)) continue;
        mismatches++;
        if (worst === null) {
          const actualText = inRange ? `index ${i} (input ${formatValue(held)})` : `index ${formatValue(i)} (out of range 0..${src.len - 1})`;
          const why = repeated ? ', named twice in its slice' : unstable && same(held, want) ? ', after a later equal element (not stable)' : '';
          worst = {
            flat: o,
            actual: actualText + why,
            expected: `an index of ${formatValue(want)}`,
            allowed: acc.stable ? 'the first unnamed index, once per slice, whose input equals the returned value' : 'any index, once per slice, whose input equals the returned value',
          };
        }
      }
    }
  }
  return { elements, mismatches, worst, problem: null };
}

/** Total order for comparing multisets: numbers ascending with −0 = +0, NaN last. */
function byValue(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Values whose order PyTorch leaves open (topk with sorted=False): each slice along the dim must hold exactly the
 * reference's values, rounded to the output dtype, in any order (the sign of a zero is free, NaN matches NaN).
 * A slice that differs counts every position where the sorted lists differ.
 */
export function judgeUnordered(acc: Unordered, dtype: DType, expected: Float64Array, actual: RefTensor): PropertyOutcome {
  const elements = actual.values.length;
  const g = geometry(actual.shape, acc.dim);
  const cast = castFunction(dtype);
  let mismatches = 0;
  let worst: PropertyOutcome['worst'] = null;
  const want = new Array<number>(g.len);
  const got = new Array<number>(g.len);
  for (let a = 0; a < g.outer; a++) {
    for (let b = 0; b < g.inner; b++) {
      for (let j = 0; j < g.len; j++) {
        const o = (a * g.len + j) * g.inner + b;
        want[j] = cast(expected[o] ?? NaN);
        got[j] = actual.values[o] ?? NaN;
      }
      want.sort(byValue);
      got.sort(byValue);
      for (let j = 0; j < g.len; j++) {
        if (same(want[j] ?? NaN, got[j] ?? NaN)) continue;
        mismatches++;
        if (worst === null) {
          worst = {
            flat: (a * g.len) * g.inner + b,
            actual: `${formatValue(got[j] ?? NaN)} as the ${ordinal(j)} smallest of its slice`,
            expected: formatValue(want[j] ?? NaN),
            allowed: 'the same values in any order',
          };
        }
      }
    }
  }
  return { elements, mismatches, worst, problem: null };
}

function ordinal(j: number): string {
  const n = j + 1;
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${s}`;
}
