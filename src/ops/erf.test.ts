import { describe, expect, it } from 'vitest';
import { erf, erfc } from './erf.js';

// values of CPython's math.erf / math.erfc (correctly rounded or within 1 ULP)
const KNOWN: [number, number, number][] = [
  [0.1, 0.1124629160182849, 0.8875370839817152],
  [0.5, 0.5204998778130465, 0.4795001221869535],
  [1, 0.8427007929497149, 0.15729920705028513],
  [2, 0.9953222650189527, 0.004677734981047265],
  [2.4, 0.999311486103355, 0.0006885138966450789],
  [2.6, 0.9997639655834707, 0.00023603441652934908],
  [3, 0.9999779095030014, 2.2090496998585438e-5],
  [5, 0.9999999999984626, 1.5374597944280351e-12],
  [10, 1, 2.088487583762545e-45],
  [20, 1, 5.3958656116079005e-176],
  [26, 1, 5.663192408856143e-296],
];

describe('erf/erfc', () => {
  it.each(KNOWN)('at %d', (x, e, c) => {
    expect(Math.abs(erf(x) - e) / e).toBeLessThan(4e-16);
    expect(Math.abs(erfc(x) - c) / c).toBeLessThan(2e-15);
    expect(erf(-x)).toBe(-erf(x));
    expect(Math.abs(erfc(-x) - (2 - c))).toBeLessThan(1e-15);
  });
  it('handles zero, infinities and NaN', () => {
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erf(NaN)).toBeNaN();
  });
});
