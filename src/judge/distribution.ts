import { FALSE_FAILURE_PROBABILITY } from '../ops/numerics.js';
import { erfc } from '../ops/erf.js';
import type { RandomAccuracy, RefOutput } from '../ops/types.js';
import { dtypeInfo, ulpFunction } from '../tensor/dtype.js';
import type { DType } from '../tensor/dtype.js';
import type { RefTensor } from '../tensor/tensor.js';
import { formatValue } from './format.js';

/**
 * Random outputs (rand, randn, randperm, native_dropout), judged by distribution and property, never by value: a
 * device's generator owes no particular numbers, only their law. Each statistic is a test at a fixed false-failure
 * probability α = FALSE_FAILURE_PROBABILITY per statistic, with bounds that hold for every n unless stated:
 * - DKW (Dvoretzky–Kiefer–Wolfowitz, Massart's constant): P(sup|F_n − F| > ε) ≤ 2e^(−2nε²), so ε = √(ln(2/α)/2n),
 *   widened by the dtype's grid (a draw rounded to float16 cannot follow a continuous CDF closer than its spacing);
 * - Hoeffding for means of bounded terms: |mean − μ| ≤ (b − a)·√(ln(2/α)/2n);
 * - Laurent–Massart for Σx² of n standard normals: n − 2√(nt) ≤ χ²_n ≤ n + 2√(nt) + 2t with t = ln(2/α);
 * - a permutation's Spearman ρ against a fixed order has mean 0 and variance 1/(n − 1); it is judged by the normal
 *   approximation, |ρ|·√(n − 1) ≤ 1.25·z(α) (the one approximate statistic; the allowance covers finite n).
 * Neighbours are tested on disjoint pairs (x₂ᵢ, x₂ᵢ₊₁), so the pairs are independent under the null. A repeated call
 * must differ and must not correlate with the first draw: the generator advances between calls.
 */

/** One statistic: |observed − expected| against the allowed deviation. */
interface Statistic {
  name: string;
  observed: number;
  expected: number;
  allowed: number;
}

export interface RandomOutcome {
  elements: number;
  /** elements outside the law's support (or failing the property); the first one is `worst` */
  mismatches: number;
  /** worst statistic (as |observed − expected| / allowed ≤ 1), or the first element outside the support */
  worst: { index: number[]; actual: string; expected: string; allowed: string } | null;
  /** the largest |observed − expected| / allowed over the statistics; null when an element broke the support */
  margin: number | null;
  /** the first failed statistic in words, or a structural problem; null when every statistic held */
  problem: string | null;
}

const LOG_TERM = Math.log(2 / FALSE_FAILURE_PROBABILITY);
/** Hoeffding's half-width for the mean of n terms in an interval of width 1 */
const hoeffding = (n: number) => Math.sqrt(LOG_TERM / (2 * n));
/** z with P(|N(0,1)| > z) = α */
const Z_ALPHA = normalQuantile(FALSE_FAILURE_PROBABILITY);

/** z such that P(|N(0, 1)| > z) = p (bisection on erfc: no table). */
function normalQuantile(p: number): number {
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (erfc(mid / Math.SQRT2) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}

const normalCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

/** The spacing of the dtype's grid near 1: how far a rounded draw's CDF may sit from the continuous law's. */
function gridStep(dtype: DType): number {
  const f = dtypeInfo(dtype).float;
  return f === undefined ? 0 : 2 ** -f.mantissaBits;
}

/** sup |F_n − F| of a sample against a continuous CDF. */
function ksDistance(values: Float64Array, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i] as number);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

function mean(n: number, term: (i: number) => number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += term(i);
  return s / n;
}

/** Statistics of a draw of the law, with its repeat (if any). */
function lawStatistics(law: 'uniform' | 'normal', x: Float64Array, dtype: DType, again: Float64Array | null): Statistic[] {
  const n = x.length;
  const m = Math.floor(n / 2);
  const h = gridStep(dtype);
  const stats: Statistic[] = [];
  if (law === 'uniform') {
    stats.push({ name: 'KS distance from U[0, 1)', observed: ksDistance(x, (v) => Math.min(1, Math.max(0, v))), expected: 0, allowed: hoeffding(n) + h });
    stats.push({ name: 'mean', observed: mean(n, (i) => x[i] as number), expected: 0.5, allowed: hoeffding(n) + h });
    stats.push({ name: 'variance about 1/2', observed: mean(n, (i) => ((x[i] as number) - 0.5) ** 2), expected: 1 / 12, allowed: 0.25 * hoeffding(n) + h });
    if (m > 0) stats.push({ name: 'neighbour correlation (x₂ᵢ − ½)(x₂ᵢ₊₁ − ½)', observed: mean(m, (i) => ((x[2 * i] as number) - 0.5) * ((x[2 * i + 1] as number) - 0.5)), expected: 0, allowed: 0.5 * hoeffding(m) + h });
    if (again) stats.push({ name: 'correlation with the repeated call', observed: mean(n, (i) => ((x[i] as number) - 0.5) * ((again[i] as number) - 0.5)), expected: 0, allowed: 0.5 * hoeffding(n) + h });
    return stats;
  }
  const t = LOG_TERM;
  stats.push({ name: 'KS distance from N(0, 1)', observed: ksDistance(x, normalCdf), expected: 0, allowed: hoeffding(n) + 4 * h });
  stats.push({ name: 'mean', observed: mean(n, (i) => x[i] as number), expected: 0, allowed: Z_ALPHA / Math.sqrt(n) + h });
  const m2 = mean(n, (i) => (x[i] as number) ** 2);
  // Laurent–Massart's two sides; the wider (upper) one is the allowance, the lower one is implied by it
  stats.push({ name: 'mean square', observed: m2, expected: 1, allowed: (2 * Math.sqrt(n * t) + 2 * t) / n + 8 * h });
  // signs of independent symmetric draws agree half the time: a ±1 mean, Hoeffding over width 2
  const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
  if (m > 0) stats.push({ name: 'neighbour sign agreement', observed: mean(m, (i) => sign(x[2 * i] as number) * sign(x[2 * i + 1] as number)), expected: 0, allowed: 2 * hoeffding(m) });
  if (again) stats.push({ name: 'sign agreement with the repeated call', observed: mean(n, (i) => sign(x[i] as number) * sign(again[i] as number)), expected: 0, allowed: 2 * hoeffding(n) });
  return stats;
}

/** Spearman's ρ between two permutations of 0 … n−1 (given as ranks). */
function spearman(a: (i: number) => number, b: (i: number) => number, n: number): number {
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (a(i) - b(i)) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

function bernoulliStatistics(q: number, x: Float64Array, again: Float64Array | null): Statistic[] {
  const n = x.length;
  const m = Math.floor(n / 2);
  const stats: Statistic[] = [];
  // p = 0 or 1 leaves nothing to chance: every element is decided
  const exact = q === 0 || q === 1;
  stats.push({ name: 'share of ones', observed: mean(n, (i) => x[i] as number), expected: q, allowed: exact ? 0 : hoeffding(n) });
  if (exact) return stats;
  if (m > 0) stats.push({ name: 'share of neighbour pairs both one', observed: mean(m, (i) => (x[2 * i] as number) * (x[2 * i + 1] as number)), expected: q * q, allowed: hoeffding(m) });
  if (again) stats.push({ name: 'share of elements one in both calls', observed: mean(n, (i) => (x[i] as number) * (again[i] as number)), expected: q * q, allowed: hoeffding(n) });
  return stats;
}

function supportViolation(index: number[], actual: number, expected: string, allowed: number): RandomOutcome['worst'] {
  return { index, actual: formatValue(actual), expected, allowed: formatValue(allowed) };
}

/**
 * Judges one random output. `outputs` are the device's outputs of the same run (dropout reads its mask), `again` the
 * same output of the repeated run (null when there was none), `unravel` maps a flat index to the output's index.
 */
export function judgeRandom(
  acc: RandomAccuracy,
  dtype: DType,
  expected: RefOutput,
  actual: RefTensor,
  outputs: readonly (RefTensor | undefined)[],
  again: RefTensor | null,
  unravel: (flat: number) => number[],
): RandomOutcome {
  const x = actual.values;
  const n = x.length;
  const base = { elements: n };
  // the support, element by element: a value outside it fails whatever the statistics say
  let mismatches = 0;
  let worst: RandomOutcome['worst'] = null;
  const bad = (i: number, want: string, allowed = 0) => {
    mismatches++;
    worst ??= supportViolation(unravel(i), x[i] as number, want, allowed);
  };
  let stats: Statistic[] = [];
  if (acc.kind === 'distribution') {
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      if (acc.law === 'uniform' ? !(v >= 0 && v < 1) : !Number.isFinite(v)) bad(i, acc.law === 'uniform' ? 'in [0, 1)' : 'finite');
    }
    if (mismatches === 0 && n > 1) stats = lawStatistics(acc.law, x, dtype, again?.values ?? null);
  } else if (acc.kind === 'permutation') {
    const seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      if (!(Number.isInteger(v) && v >= 0 && v < n) || seen[v] === 1) bad(i, `each of 0 … ${n - 1} once`);
      else seen[v] = 1;
    }
    if (mismatches === 0 && n > 2) {
      const allowed = (1.25 * Z_ALPHA) / Math.sqrt(n - 1);
      stats.push({ name: 'rank correlation with 0 … n−1', observed: spearman((i) => i, (i) => x[i] as number, n), expected: 0, allowed });
      if (again) stats.push({ name: 'rank correlation with the repeated call', observed: spearman((i) => x[i] as number, (i) => again.values[i] as number, n), expected: 0, allowed });
    }
  } else if (acc.kind === 'bernoulli') {
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      if (v !== 0 && v !== 1) bad(i, '0 or 1');
    }
    if (mismatches === 0 && n > 0) stats = bernoulliStatistics(acc.p, x, again?.values ?? null);
  } else {
    const mask = outputs[acc.mask];
    if (!mask || mask.values.length !== n) return { ...base, mismatches: 0, worst: null, margin: null, problem: `the values cannot be checked: output ${acc.mask} (the mask) does not match` };
    const ulp = ulpFunction(dtype);
    let margin = 0;
    let largest: RandomOutcome['worst'] = null;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      const r = expected.values[i] as number;
      if (mask.values[i] === 0) {
        if (v !== 0) bad(i, '0 (dropped)');
        continue;
      }
      if (Number.isNaN(r) ? !Number.isNaN(v) : !Number.isFinite(r) ? v !== r : !Number.isFinite(v)) {
        bad(i, formatValue(r));
        continue;
      }
      if (!Number.isFinite(r)) continue;
      const allowed = acc.ulps * ulp(r);
      const ratio = v === r ? 0 : Math.abs(v - r) / allowed;
      if (ratio > 1) bad(i, formatValue(r), allowed);
      if (ratio > margin) {
        margin = ratio;
        largest = { index: unravel(i), actual: formatValue(v), expected: formatValue(r), allowed: formatValue(allowed) };
      }
    }
    return mismatches > 0 ? { ...base, mismatches, worst, margin: null, problem: null } : { ...base, mismatches, worst: largest, margin, problem: null };
  }
  if (mismatches > 0) return { ...base, mismatches, worst, margin: null, problem: null };
  // only where two independent draws coincide with probability below α (not randperm(7), nor dropout with p = 0)
  if (again && logCoincidence(acc, n, dtype) < Math.log(FALSE_FAILURE_PROBABILITY) && again.values.every((v, i) => Object.is(v, x[i]))) {
    return { ...base, mismatches: 0, worst: null, margin: null, problem: 'the repeated call returned the same draw: the generator did not advance' };
  }
  let margin = 0;
  for (const s of stats) {
    const dev = Math.abs(s.observed - s.expected);
    const ratio = dev === 0 ? 0 : s.allowed === 0 ? Infinity : dev / s.allowed;
    if (ratio > 1) {
      return { ...base, mismatches: 0, worst: null, margin: null, problem: `${s.name} ${formatValue(s.observed)} where ${formatValue(s.expected)} ± ${formatValue(s.allowed)} holds with probability 1 − ${FALSE_FAILURE_PROBABILITY}` };
    }
    if (ratio > margin) {
      margin = ratio;
      worst = { index: [], actual: formatValue(s.observed), expected: formatValue(s.expected), allowed: formatValue(s.allowed) };
    }
  }
  return { ...base, mismatches: 0, worst, margin, problem: null };
}

/** ln P(two independent correct draws are identical): small draws may repeat by chance. */
function logCoincidence(acc: RandomAccuracy, n: number, dtype: DType): number {
  if (acc.kind === 'permutation') {
    let l = 0;
    for (let k = 2; k <= n; k++) l -= Math.log(k);
    return l;
  }
  if (acc.kind === 'bernoulli') return n * Math.log(acc.p * acc.p + (1 - acc.p) * (1 - acc.p));
  // a value on the dtype's grid: no single value has more than about the grid step near 1 of the mass (normal:
  // density at most 0.4 times the spacing near 0.5, below the step)
  return n * Math.log(Math.min(1, 2 * gridStep(dtype)));
}

/** Whether a recorded rule label is a random rule's: a draw's repeat differs by right. */
export function isRandomRuleLabel(label: string): boolean {
  return /^(distribution|permutation|bernoulli|dropout)\(/.test(label);
}

/** Label of a random rule, as recorded in `OutputMetrics.rule`. */
export function randomRuleLabel(acc: RandomAccuracy): string {
  const p = `p≤${FALSE_FAILURE_PROBABILITY}`;
  if (acc.kind === 'distribution') return `distribution(${acc.law},${p})`;
  if (acc.kind === 'permutation') return `permutation(${p})`;
  if (acc.kind === 'bernoulli') return `bernoulli(${acc.p},${p})`;
  return `dropout(ulp≤${acc.ulps})`;
}
