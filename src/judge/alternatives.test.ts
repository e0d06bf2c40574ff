import { describe, expect, it } from 'vitest';
import { judgeOutput } from './judge.js';
import type { OutputSpec, RefOutput } from '../ops/types.js';
import { roundToFloat } from '../tensor/dtype.js';

describe('alternative output dtypes', () => {
  const expected: RefOutput = { shape: [3], values: new Float64Array([0.1, -2.5, 1 / 3]) };
  const spec: OutputSpec = { dtype: 'bfloat16', shape: [3], alternativeDtypes: ['float32'], accuracy: { kind: 'ulp', ulps: 1 } };

  it('judges an output in an alternative dtype PyTorch documents, with that dtype\'s precision', () => {
    const good = { dtype: 'float32' as const, shape: [3], values: expected.values.map((x) => roundToFloat('float32', x)) };
    const m = judgeOutput(0, spec, expected, good, []);
    expect(m.problem).toBeNull();
    expect(m.dtype).toBe('float32');
    // bfloat16-rounded values are far outside float32's ULPs
    const coarse = { dtype: 'float32' as const, shape: [3], values: expected.values.map((x) => roundToFloat('bfloat16', x)) };
    expect(judgeOutput(0, spec, expected, coarse, []).mismatches).toBeGreaterThan(0);
  });

  it('still fails a dtype that is not among the alternatives', () => {
    const m = judgeOutput(0, spec, expected, { dtype: 'float16', shape: [3], values: expected.values }, []);
    expect(m.problem).toMatch(/returned dtype float16, expected bfloat16/);
  });
});
