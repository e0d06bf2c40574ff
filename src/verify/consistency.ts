import type { OutputMetrics } from '../judge/result.js';

/** Parses a value as the judge prints it (`formatValue`): decimal, `nan`, `inf`, `-inf`, `-0`. */
function parseValue(text: string): number {
  if (text === 'nan') return NaN;
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** n of an n-ULP rule label (`correctly-rounded` = 0.5, `ulp≤n`), or null for other rules. */
function ulpsOfRule(rule: string): number | null {
  if (rule === 'correctly-rounded') return 0.5;
  const m = /^ulp≤([0-9.]+)$/.exec(rule);
  return m ? Number(m[1]) : null;
}

/**
 * Why one output's recorded metrics cannot have come from the judge, or null if they hang together. The numbers
 * constrain each other (see judge.ts): the margin is the worst element's |actual − expected| / allowed, an n-ULP
 * rule's margin is its max ULP error / n, and the margin is ≤ 1 exactly when no element is outside. So editing
 * one number to turn a failure into a pass shows unless every related number is rewritten too.
 */
export function metricsProblem(o: OutputMetrics): string | null {
  const elements = o.shape.reduce((a, b) => a * b, 1);
  if (o.elements !== elements) return `${o.elements} elements recorded for shape [${o.shape.join(',')}] (${elements})`;
  if (o.mismatches > o.elements) return `${o.mismatches} mismatches among ${o.elements} elements`;
  if (o.problem !== null) {
    return o.margin === null ? null : `margin ${o.margin} recorded beside the problem "${o.problem}" (must be unbounded)`;
  }
  const within = o.margin !== null && o.margin <= 1;
  if ((o.mismatches === 0) !== within) {
    return `${o.mismatches} elements outside the acceptance interval but margin ${o.margin === null ? 'unbounded' : o.margin}`;
  }
  // a top-1 check's worst element names class indices, not values (graph/judge.ts)
  if (o.margin !== null && o.worst && !o.rule.startsWith('exact') && !o.rule.startsWith('index-of-') && !o.rule.startsWith('top1≥')) {
    const a = parseValue(o.worst.actual);
    const e = parseValue(o.worst.expected);
    const allowed = parseValue(o.worst.allowed);
    if (Number.isFinite(a) && Number.isFinite(e) && Number.isFinite(allowed) && allowed > 0) {
      const ratio = Math.abs(a - e) / allowed;
      if (!close(ratio, o.margin)) {
        return `margin ${o.margin} but the worst element (actual ${o.worst.actual}, expected ${o.worst.expected}, allowed ${o.worst.allowed}) gives ${ratio}`;
      }
    }
  }
  // the largest error cannot be smaller than the worst element's, and an exact rule admits no error at all
  if (o.maxAbsError !== null && o.worst) {
    const gap = Math.abs(parseValue(o.worst.actual) - parseValue(o.worst.expected));
    if (Number.isFinite(gap) && o.maxAbsError < gap && !close(o.maxAbsError, gap)) return `max abs error ${o.maxAbsError} is below the worst element's error ${gap}`;
  }
  if (o.rule.startsWith('exact') && within && o.maxAbsError !== null && o.maxAbsError !== 0) return `max abs error ${o.maxAbsError} on an output that passes the exact rule ${o.rule}`;
  const n = ulpsOfRule(o.rule);
  if (n !== null && o.margin !== null && o.maxUlpError !== null && !close(o.maxUlpError / n, o.margin)) {
    return `margin ${o.margin} but max ULP error ${o.maxUlpError} under ${o.rule} gives ${o.maxUlpError / n}`;
  }
  return null;
}
