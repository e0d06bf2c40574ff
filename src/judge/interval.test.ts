import { describe, expect, it } from 'vitest';
import type { Accuracy, RefOutput } from '../ops/types.js';
import type { DType } from '../tensor/dtype.js';
import { FALSE_FAILURE_PROBABILITY, gamma, probabilisticGamma } from '../ops/numerics.js';
import { IN, OUT, PLACEMENT, UNBOUNDED, type ValueRule, acceptanceInterval, assess, newAssessment, ruleLabel, valueRule } from './interval.js';

const CR: Accuracy = { kind: 'ulp', ulps: 0.5 };
const EXACT: Accuracy = { kind: 'exact' };

function ref(values: number[], extra: Partial<RefOutput> = {}): RefOutput {
  return { shape: [values.length], values: Float64Array.from(values), ...extra };
}

function rule(acc: Accuracy, dtype: DType, r: RefOutput = ref([0])): ValueRule {
  return valueRule(acc, dtype, r);
}

function verdict(vr: ValueRule, r: number, a: number, i = 0): number {
  const s = newAssessment();
  assess(vr, i, r, a, s);
  return s.verdict;
}

describe('ruleLabel', () => {
  it('names each rule briefly', () => {
    expect(ruleLabel(EXACT, 'float32')).toBe('exact');
    expect(ruleLabel({ kind: 'exact', signedZero: true }, 'float32')).toBe('exact(signed-zero)');
    expect(ruleLabel(CR, 'float32')).toBe('correctly-rounded');
    expect(ruleLabel({ kind: 'ulp', ulps: 1 }, 'float32')).toBe('ulp≤1');
    expect(ruleLabel(CR, 'int32')).toBe('exact');
    expect(ruleLabel({ kind: 'accumulation', accumDtype: 'float32' }, 'float16', ref([0], { terms: 1024 }))).toBe('accumulation(k=1024,u=float32)');
    expect(ruleLabel({ kind: 'index-of-extreme', extreme: 'max', input: 0, dim: 1, keepdim: false }, 'int64')).toBe('index-of-extreme(max)');
  });
});

describe('exact', () => {
  it('accepts only the reference rounded to the output dtype', () => {
    const vr = rule(EXACT, 'float16');
    expect(acceptanceInterval(vr, 0, 1 + 2 ** -12)).toMatchObject({ lo: 1, hi: 1 });
    expect(verdict(vr, 1 + 2 ** -12, 1)).toBe(IN);
    expect(verdict(vr, 1 + 2 ** -12, 1 + 2 ** -10)).toBe(UNBOUNDED);
    expect(verdict(vr, 70000, Infinity)).toBe(IN);
    expect(verdict(vr, 70000, 65504)).toBe(PLACEMENT);
  });

  it('ignores the sign of zero unless asked', () => {
    expect(verdict(rule(EXACT, 'float32'), 0, -0)).toBe(IN);
    expect(verdict(rule({ kind: 'exact', signedZero: true }, 'float32'), 0, -0)).toBe(UNBOUNDED);
    expect(verdict(rule({ kind: 'exact', signedZero: true }, 'float32'), -0, -0)).toBe(IN);
  });

  it('is used for integer and bool outputs whatever the accuracy says', () => {
    const vr = rule({ kind: 'ulp', ulps: 4 }, 'int32');
    expect(vr.mode).toBe('exact');
    expect(verdict(vr, 7, 8)).toBe(UNBOUNDED);
    expect(verdict(vr, 2 ** 31, -(2 ** 31))).toBe(IN); // the reference wraps as int32 does
    expect(verdict(rule(EXACT, 'bool'), 1, 1)).toBe(IN);
    expect(verdict(rule(EXACT, 'bool'), 1, 0)).toBe(UNBOUNDED);
  });
});

describe('ulp rules', () => {
  it('correctly rounded: a tie accepts both neighbours, nothing further', () => {
    const vr = rule(CR, 'float16');
    const tie = 1 + 2 ** -11;
    expect(acceptanceInterval(vr, 0, tie)).toMatchObject({ lo: 1, hi: 1 + 2 ** -10 });
    expect(verdict(vr, tie, 1)).toBe(IN);
    expect(verdict(vr, tie, 1 + 2 ** -10)).toBe(IN);
    expect(verdict(vr, 1 + 2 ** -11 + 2 ** -20, 1)).toBe(OUT);
    expect(verdict(vr, 1 + 2 ** -11 + 2 ** -20, 1 + 2 ** -10)).toBe(IN);
  });

  it('correctly rounded at a power of two: only the power itself, not its predecessor half a coarse ULP below', () => {
    // a device whose float32 sqrt(4) is 1.99999988 (2 − 2^-23) is wrong: RN(2) is 2 alone
    const vr = rule(CR, 'float32');
    expect(verdict(vr, 2, 2)).toBe(IN);
    expect(verdict(vr, 2, 2 - 2 ** -23)).toBe(OUT);
    expect(verdict(vr, -2, -2 + 2 ** -23)).toBe(OUT);
    expect(verdict(vr, 2, 2 + 2 ** -22)).toBe(OUT);
    expect(acceptanceInterval(vr, 0, 2)).toMatchObject({ lo: 2 - 2 ** -24, hi: 2 + 2 ** -23 });
    expect(acceptanceInterval(vr, 0, -2)).toMatchObject({ lo: -2 - 2 ** -23, hi: -2 + 2 ** -24 });
    // halfway below the power, a tie: both neighbours; just above it, the power only
    expect(verdict(vr, 2 - 2 ** -24, 2 - 2 ** -23)).toBe(IN);
    expect(verdict(vr, 2 - 2 ** -24, 2)).toBe(IN);
    expect(verdict(vr, 2 + 2 ** -30, 2 - 2 ** -23)).toBe(OUT);
    // the smallest normal has the subnormal spacing below it: nothing changes there
    expect(verdict(vr, 2 ** -126, 2 ** -126 - 2 ** -149)).toBe(OUT);
    expect(verdict(rule(CR, 'float16'), 1, 1 - 2 ** -11)).toBe(OUT);
    expect(verdict(rule(CR, 'bfloat16'), 0.5, 0.5 - 2 ** -9)).toBe(OUT);
  });

  it('n ulp: the interval is r ± n·ulp(r)', () => {
    const vr = rule({ kind: 'ulp', ulps: 2 }, 'float32');
    expect(acceptanceInterval(vr, 0, 1.5)).toMatchObject({ lo: 1.5 - 2 ** -22, hi: 1.5 + 2 ** -22 });
    expect(verdict(vr, 1.5, 1.5 + 2 ** -22)).toBe(IN);
    expect(verdict(vr, 1.5, 1.5 + 3 * 2 ** -23)).toBe(OUT);
  });

  it('judges subnormals like other values: a flushed subnormal fails', () => {
    const vr = rule(CR, 'float32');
    expect(verdict(vr, 3 * 2 ** -149, 3 * 2 ** -149)).toBe(IN);
    expect(verdict(vr, 3 * 2 ** -149, 0)).toBe(OUT);
    expect(verdict(rule(CR, 'float16'), 2 ** -24, 0)).toBe(OUT);
  });
});

describe('NaN and infinity placement', () => {
  const vr = rule(CR, 'float16');

  it('a NaN reference needs a NaN', () => {
    expect(verdict(vr, NaN, NaN)).toBe(IN);
    expect(verdict(vr, NaN, 0)).toBe(PLACEMENT);
    expect(verdict(vr, NaN, Infinity)).toBe(PLACEMENT);
    expect(acceptanceInterval(vr, 0, NaN).lo).toBeNaN();
  });

  it('an infinite reference needs the same infinity', () => {
    expect(verdict(vr, Infinity, Infinity)).toBe(IN);
    expect(verdict(vr, Infinity, -Infinity)).toBe(PLACEMENT);
    expect(verdict(vr, Infinity, 65504)).toBe(PLACEMENT);
    expect(verdict(vr, -Infinity, NaN)).toBe(PLACEMENT);
  });

  it('NaN or inf for a finite reference fails', () => {
    expect(verdict(vr, 1, NaN)).toBe(PLACEMENT);
    expect(verdict(vr, 1, Infinity)).toBe(PLACEMENT);
    expect(verdict(vr, 65504, Infinity)).toBe(PLACEMENT);
  });

  it('overflow inside the tolerance accepts the matching infinity', () => {
    // float16: values ≥ 65520 round to inf (65536 would be the next value).
    expect(verdict(vr, 70000, Infinity)).toBe(IN);
    expect(verdict(vr, 70000, 65504)).toBe(OUT);
    expect(verdict(vr, 70000, -Infinity)).toBe(PLACEMENT);
    expect(verdict(vr, -1e9, -Infinity)).toBe(IN);
    expect(verdict(vr, 65519, 65504)).toBe(IN);
    expect(verdict(vr, 65519, Infinity)).toBe(PLACEMENT);
    expect(verdict(vr, 65520, 65504)).toBe(IN); // tie at the threshold: both accepted
    expect(verdict(vr, 65520, Infinity)).toBe(IN);
    expect(acceptanceInterval(vr, 0, 65520).overflow).toEqual({ positive: true, negative: false });
    const f32 = rule(CR, 'float32');
    expect(verdict(f32, 1e39, Infinity)).toBe(IN);
    expect(verdict(f32, 1e39, 3.4028234663852886e38)).toBe(OUT);
  });

  it('float8_e4m3fn: overflow is NaN and an infinite reference needs NaN', () => {
    const e4 = rule(CR, 'float8_e4m3fn');
    expect(verdict(e4, 470, NaN)).toBe(IN);
    expect(verdict(e4, 460, NaN)).toBe(PLACEMENT);
    expect(verdict(e4, 460, 448)).toBe(IN);
    expect(verdict(e4, -500, NaN)).toBe(IN);
    expect(verdict(e4, Infinity, NaN)).toBe(IN);
    expect(verdict(rule(EXACT, 'float8_e4m3fn'), 500, NaN)).toBe(IN);
    expect(verdict(rule(EXACT, 'float8_e4m3fn'), 500, 448)).toBe(PLACEMENT);
  });
});

describe('accumulation', () => {
  it('γ(k, u) = k·u/(1 − k·u), unbounded once k·u ≥ 1', () => {
    expect(gamma(1024, 2 ** -24)).toBeCloseTo(2 ** -14 / (1 - 2 ** -14), 20);
    expect(gamma(2048, 2 ** -11)).toBe(Infinity);
  });

  it('bound = γ·Σ|terms| + ulps·ulp(r)', () => {
    const r = ref([10, 10], { terms: 100, absSum: Float64Array.from([100, 0]) });
    const vr = rule({ kind: 'accumulation', accumDtype: 'float32' }, 'float32', r);
    const g = gamma(100, 2 ** -24);
    expect(vr.halfWidth(0, 10)).toBe(g * 100 + 0.5 * 2 ** -20);
    expect(vr.halfWidth(1, 10)).toBe(0.5 * 2 ** -20);
    const vr2 = rule({ kind: 'accumulation', accumDtype: 'float32', ulps: 2 }, 'float32', r);
    expect(vr2.halfWidth(1, 10)).toBe(2 * 2 ** -20);
  });

  it('an unbounded γ accepts anything but a NaN for a finite reference', () => {
    const r = ref([1], { terms: 4096, absSum: Float64Array.from([0]) });
    const vr = rule({ kind: 'accumulation', accumDtype: 'float16' }, 'float16', r);
    expect(vr.halfWidth(0, 1)).toBe(Infinity);
    expect(verdict(vr, 1, -60000)).toBe(IN);
    expect(verdict(vr, 1, Infinity)).toBe(IN);
    expect(verdict(vr, 1, NaN)).toBe(PLACEMENT);
  });

  it('bound rule: |a − r| ≤ bound[i] + ulps·ulp(r)', () => {
    const r = ref([1, 1], { bound: Float64Array.from([1e-3, 0]) });
    const vr = rule({ kind: 'bound', ulps: 1 }, 'float32', r);
    expect(vr.label).toBe('bound(+1ulp)');
    expect(vr.halfWidth(0, 1)).toBe(1e-3 + 2 ** -23);
    expect(verdict(vr, 1, 1.0009, 0)).toBe(IN);
    expect(verdict(vr, 1, 1.0009, 1)).toBe(OUT);
    expect(() => rule({ kind: 'bound', ulps: 1 }, 'float32', ref([1]))).toThrow(/bound/);
  });

  it('needs terms and absSum from the reference', () => {
    expect(() => rule({ kind: 'accumulation', accumDtype: 'float32' }, 'float32', ref([1]))).toThrow(/terms and absSum/);
  });
});

describe('the probabilistic accumulation bound', () => {
  it('grows like √k, never exceeds the worst case, and keeps the per-case failure probability below 1e-9', () => {
    const u = 2 ** -24;
    const g = (k: number) => probabilisticGamma(k, u, 4096);
    expect(g(4096) / g(1024)).toBeCloseTo(2, 1);
    expect(gamma(4096, u) / gamma(1024, u)).toBeCloseTo(4, 2);
    for (const k of [2, 10, 1000, 1e6]) expect(g(k)).toBeLessThanOrEqual(gamma(k, u));
    // λ²(1 − u)²/2 = ln(2·k·m / p): the tail 2·k·m·exp(−λ²(1 − u)²/2) equals p exactly
    const k = 4096;
    const m = 4096;
    const lambda = Math.log1p(probabilisticGamma(k, u, m)) / (Math.sqrt(k) * u); // ≈ λ (the k·u² term is negligible)
    expect(2 * k * m * Math.exp((-lambda * lambda * (1 - u) ** 2) / 2)).toBeCloseTo(FALSE_FAILURE_PROBABILITY, 10);
  });

  it('labels a probabilistic rule, and a witness element allows only the final rounding', () => {
    const acc = { kind: 'accumulation' as const, accumDtype: 'float32' as const, model: 'probabilistic' as const };
    const expected = { shape: [2], values: Float64Array.of(1000, 1000), absSum: Float64Array.of(4000, 4000), terms: 1024, exact: Uint8Array.of(1, 0) };
    const rule = valueRule(acc, 'float32', expected);
    expect(rule.label).toBe('accumulation(k=1024,u=float32,p≤1e-9)');
    expect(rule.halfWidth(0, 1000)).toBe(0.5 * 2 ** -14);
    expect(rule.halfWidth(1, 1000)).toBeCloseTo(probabilisticGamma(1024, 2 ** -24, 2) * 4000 + 0.5 * 2 ** -14, 12);
  });
});
