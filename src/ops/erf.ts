/**
 * erf and erfc in float64 (JavaScript's Math has neither). Two classical expansions, no table of fitted
 * coefficients: for |x| < 2.5 the everywhere-positive series erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (2n+1)!!,
 * which has no cancellation; for larger |x| the continued fraction of erfc evaluated by Lentz's method.
 * e^(−x²) is evaluated with x² split exactly into hi + lo, so the large-x tail keeps full relative accuracy
 * (erfc(10) ≈ 2.09e-45 to ~1e-15 relative), which gelu's left tail needs.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const SERIES_LIMIT = 2.5;

/** e^(−x²) without the error of rounding x² first. */
function expMinusSquare(x: number): number {
  const hi = x * x;
  const c = 134217729 * x; // Veltkamp split: x = xh + xl with xh·xh exact
  const xh = c - (c - x);
  const xl = x - xh;
  const lo = xh * xh - hi + 2 * xh * xl + xl * xl; // x² − hi, exactly up to rounding of a tiny term
  return Math.exp(-hi) * (1 - lo);
}

function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
}

// Double-double arithmetic (a value as an unevaluated sum hi + lo), for the erf series: its terms are formed by a
// recurrence, and in plain float64 the rounding of each step compounds (about 2n ULPs in the n-th term, 27 ULPs of
// float64 worst near x ≈ 2.4); carried in double-double the series keeps about 32 significant digits.
type DD = [number, number];

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's constant

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

function twoProduct(a: number, b: number): DD {
  const p = a * b;
  const ca = SPLIT * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLIT * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return [p, al * bl - (p - ah * bh - al * bh - ah * bl)];
}

function ddAdd(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  const [hi, lo] = twoSum(s, e + a[1] + b[1]);
  return [hi, lo];
}

function ddMul(a: DD, b: DD): DD {
  const [p, e] = twoProduct(a[0], b[0]);
  return twoSum(p, e + a[0] * b[1] + a[1] * b[0]);
}

/** a / d for a small integer d (exact in float64). */
function ddDivSmall(a: DD, d: number): DD {
  const q = a[0] / d;
  const [p, e] = twoProduct(q, d);
  const r = (a[0] - p - e + a[1]) / d;
  return twoSum(q, r);
}

/** 2/√π in double-double. */
const TWO_OVER_SQRT_PI_DD: DD = [1.1283791670955126, 1.533545961316588e-17];

/**
 * erf(x) for 0 ≤ x < 2.5, correctly rounded but for rare ties: the Maclaurin series
 * 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!·(2n+1)) carried in double-double. Its largest term (about 16 at x = 2.5) costs
 * two of the 32 digits double-double holds, so the sum is exact to far below a float64 ULP before its one rounding.
 */
function erfAccurate(x: number): number {
  const minusX2: DD = twoProduct(-x, x); // −x², exactly
  let power: DD = [x, 0]; // (−x²)ⁿ·x / n!
  let sum: DD = [x, 0];
  for (let n = 1; n < 500; n++) {
    power = ddDivSmall(ddMul(power, minusX2), n);
    const term = ddDivSmall(power, 2 * n + 1);
    sum = ddAdd(sum, term);
    if (Math.abs(term[0]) < Math.abs(sum[0]) * 1e-34) break;
  }
  const s = ddMul(TWO_OVER_SQRT_PI_DD, sum);
  return s[0] + s[1];
}

/** erfc(x) for x ≥ 0.5: e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))). */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * expMinusSquare(x)) / f;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a === 0) return x; // keeps the sign of zero
  const r = a < SERIES_LIMIT ? erfAccurate(a) : a > 6 ? 1 : 1 - erfcFraction(a);
  return x < 0 ? -r : r;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  const a = Math.abs(x);
  const r = a < 0.5 ? 1 - erfSeries(a) : erfcFraction(a);
  return x < 0 ? 2 - r : r;
}
