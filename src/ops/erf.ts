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
  const r = a < SERIES_LIMIT ? erfSeries(a) : a > 6 ? 1 : 1 - erfcFraction(a);
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
