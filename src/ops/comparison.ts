import { broadcastOf, commonDtype, sideValues, tensorSide } from './elementwise.js';
import type { OpDef } from './types.js';

/**
 * Comparisons compute in the promoted dtype of both operands (an int64 tensor compared with a float32 one
 * is first rounded to float32, so 2^24 + 1 == 2^24 is true) and return bool. NaN compares false, except `ne`.
 */
function comparison(name: string, f: (a: number, b: number) => boolean): OpDef {
  return {
    name,
    family: 'comparison',
    bind(call) {
      const a = tensorSide(call, 0, 'self');
      const b = tensorSide(call, 1, 'other');
      const shape = broadcastOf(call, [a, b]);
      // the dtype the comparison computes in; operands PyTorch cannot promote (float8 with another type) fail here
      const dtype = commonDtype(call, [a, b]);
      return {
        outputs: [{ dtype: 'bool', shape, accuracy: { kind: 'exact' } }],
        reference(inputs) {
          const x = sideValues(inputs, a, dtype, shape);
          const y = sideValues(inputs, b, dtype, shape);
          const values = new Float64Array(x.length);
          for (let i = 0; i < x.length; i++) values[i] = f(x[i] ?? NaN, y[i] ?? NaN) ? 1 : 0;
          return [{ shape, values }];
        },
      };
    },
  };
}

// eq.Tensor(Tensor self, Tensor other); lt.Tensor(Tensor self, Tensor other)
export const eqTensor = comparison('aten.eq.Tensor', (a, b) => a === b);
export const ltTensor = comparison('aten.lt.Tensor', (a, b) => a < b);

export const COMPARISON_OPS: readonly OpDef[] = [eqTensor, ltTensor];
