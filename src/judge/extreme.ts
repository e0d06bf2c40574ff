import type { Accuracy } from '../ops/types.js';
import type { RefTensor } from '../tensor/tensor.js';
import { numel } from '../tensor/tensor.js';
import { formatValue } from './format.js';

type ExtremeAccuracy = Extract<Accuracy, { kind: 'index-of-extreme' }>;

/** Outcome of the index-of-extreme property over one output. */
export interface ExtremeOutcome {
  elements: number;
  mismatches: number;
  /** flat index of the first failing output element, and what to show for it */
  worst: { flat: number; actual: string; expected: string; allowed: string } | null;
}

/**
 * Property judge for argmax/argmin-style index outputs. Output element o names a slice of
 * `inputs[acc.input]`: along `acc.dim` (the other coordinates being o's), or the whole flattened tensor
 * when dim is null; keepdim changes only the output shape, not the row-major order of its elements.
 * The index passes iff it is an integer in range and the input there equals the slice's extreme, where NaN
 * is the extreme of any slice that holds one (PyTorch propagates NaN in max and min). Which of several
 * tied extremes is returned is not PyTorch-specified, so any of them passes.
 */
export function judgeIndexOfExtreme(acc: ExtremeAccuracy, actual: RefTensor, inputs: readonly RefTensor[]): ExtremeOutcome {
  const input = inputs[acc.input];
  if (!input) throw new Error(`index-of-extreme refers to input ${acc.input}, but the case has ${inputs.length}`);
  const shape = input.shape;
  const rank = shape.length;
  let outer = 1;
  let n: number;
  let inner = 1;
  if (acc.dim === null) {
    n = numel(shape);
  } else {
    // A 0-d tensor accepts dim 0 / -1 in PyTorch and behaves as one element.
    const r = Math.max(rank, 1);
    const d = acc.dim < 0 ? acc.dim + r : acc.dim;
    if (d < 0 || d >= r) throw new Error(`index-of-extreme dim ${acc.dim} is out of range for rank ${rank}`);
    n = rank === 0 ? 1 : (shape[d] ?? 1);
    for (let i = 0; i < d; i++) outer *= shape[i] ?? 1;
    for (let i = d + 1; i < rank; i++) inner *= shape[i] ?? 1;
  }
  const elements = actual.values.length;
  if (elements !== outer * inner) {
    throw new Error(`index-of-extreme output has ${elements} elements, the input's slices number ${outer * inner}`);
  }
  const x = input.values;
  const isMax = acc.extreme === 'max';
  let mismatches = 0;
  let worst: ExtremeOutcome['worst'] = null;
  for (let o = 0; o < elements; o++) {
    const base = Math.floor(o / inner) * n * inner + (o % inner);
    let hasNaN = false;
    let ext = isMax ? -Infinity : Infinity;
    for (let j = 0; j < n; j++) {
      const v = x[base + j * inner] ?? NaN;
      if (v !== v) {
        hasNaN = true;
        break;
      }
      if (isMax ? v > ext : v < ext) ext = v;
    }
    if (hasNaN) ext = NaN;
    const idx = actual.values[o] ?? NaN;
    const inRange = Number.isInteger(idx) && idx >= 0 && idx < n;
    const held = inRange ? (x[base + idx * inner] ?? NaN) : NaN;
    const ok = inRange && (hasNaN ? Number.isNaN(held) : held === ext);
    if (ok) continue;
    mismatches++;
    if (worst === null) {
      worst = {
        flat: o,
        actual: inRange ? `index ${idx} (value ${formatValue(held)})` : `index ${formatValue(idx)} (out of range 0..${n - 1})`,
        expected: `${acc.extreme} ${formatValue(ext)}`,
        allowed: `any index holding the ${acc.extreme}`,
      };
    }
  }
  return { elements, mismatches, worst };
}
