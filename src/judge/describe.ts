import { type OutputMetrics, outputFailed } from './result.js';

/** A margin for people: `unbounded` (null), `—` (no margin recorded), else 3 significant digits. */
export function formatMargin(m: number | null | undefined): string {
  if (m === undefined) return '—';
  if (m === null) return 'unbounded';
  return Number.isInteger(m) ? String(m) : m.toPrecision(3);
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/**
 * One output in one line: which output, its dtype, shape and rule, then either the structural problem or how many
 * elements fell outside, the margin, the largest errors and the worst element with what was allowed there.
 */
export function describeOutput(o: OutputMetrics): string {
  const head = `output ${o.index} (${o.dtype}[${o.shape.join(',')}], ${o.rule})`;
  if (o.problem !== null) return `${head}: ${o.problem}`;
  const parts = [`${head}: ${o.mismatches} of ${o.elements} elements outside the acceptance interval`, `margin ${formatMargin(o.margin)}`];
  if (o.maxUlpError !== null) parts.push(`max ${formatNumber(o.maxUlpError)} ulp`);
  if (o.maxAbsError !== null) parts.push(`max abs error ${formatNumber(o.maxAbsError)}`);
  const line = parts.join(', ');
  const w = o.worst;
  return w ? `${line}; worst at [${w.index.join(',')}]: actual ${w.actual}, expected ${w.expected}, allowed ${w.allowed}` : line;
}

/**
 * The message of a failed case: the output count when it is wrong, then the first failing output described.
 * `returned` and `expected` are the device's and the reference's output counts.
 */
export function failureMessage(outputs: readonly OutputMetrics[], returned: number, expected: number): string {
  const counts = returned !== expected ? `returned ${returned} outputs, expected ${expected}; ` : '';
  const first = outputs.find(outputFailed);
  return counts + (first ? describeOutput(first) : 'failed');
}
