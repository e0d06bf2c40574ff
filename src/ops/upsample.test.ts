import { describe, expect, it } from 'vitest';
import { nearestAxis, nearestCandidates } from './upsample.js';

describe('nearest upsampling indices', () => {
  it('float32 arithmetic reads row 13 at o = 23 for 28 → 46, the exact quotient row 14: both are candidates', () => {
    expect(nearestAxis(28, 46, null, 'float32')[23]).toBe(13);
    expect(nearestAxis(28, 46, null, 'float64')[23]).toBe(14);
    const at23 = new Set(nearestCandidates(28, 46, null, 'bfloat16').map((a) => a[23]));
    expect([...at23].sort()).toEqual([13, 14]);
  });

  it('leaves no choice where o·in/out is far from an integer, and none for equal or doubled sizes', () => {
    for (const [i, o] of [[28, 46], [56, 28], [28, 28], [14, 28], [9, 27]] as const) {
      const c = nearestCandidates(i, o, null, 'float32');
      for (let k = 0; k < o; k++) {
        const exact = (k * i) / o;
        const values = new Set(c.map((a) => a[k]));
        if (Math.abs(exact - Math.round(exact)) > 1e-3) expect(values.size, `${i}→${o} at ${k}`).toBe(1);
        if (o === i || o === 2 * i) expect(values.size).toBe(1);
        for (const v of values) expect(v).toBeLessThan(i);
      }
    }
  });
});
