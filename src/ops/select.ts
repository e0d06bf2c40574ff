import { castTo } from '../tensor/dtype.js';
import { broadcastIndex } from './broadcast.js';
import { broadcastOf, commonDtype, sideValues, tensorSide } from './elementwise.js';
import { input, meta } from './params.js';
import type { OpDef } from './types.js';

// where.self(Tensor condition, Tensor self, Tensor other)
export const whereSelf: OpDef = {
  name: 'aten.where.self',
  family: 'select',
  bind(call) {
    const cond = tensorSide(call, 0, 'condition');
    const self = tensorSide(call, 1, 'self');
    const other = tensorSide(call, 2, 'other');
    // the condition broadcasts with the values but takes no part in type promotion
    const dtype = commonDtype(call, [self, other]);
    const shape = broadcastOf(call, [cond, self, other]);
    const cm = meta(call, cond.index);
    if (cm.dtype !== 'bool' && cm.dtype !== 'uint8') throw new Error(`where expected condition to be a boolean tensor, but got ${cm.dtype}`);
    return {
      outputs: [{ dtype, shape, accuracy: { kind: 'exact', signedZero: true } }],
      reference(inputs) {
        const c = input(inputs, cond.index);
        const map = broadcastIndex(c.shape, shape);
        const a = sideValues(inputs, self, dtype, shape);
        const b = sideValues(inputs, other, dtype, shape);
        const values = new Float64Array(a.length);
        for (let i = 0; i < a.length; i++) {
          // a pure selection: NaN in the branch not taken never leaks
          values[i] = castTo('bool', c.values[map[i] ?? 0] ?? 0) ? (a[i] ?? NaN) : (b[i] ?? NaN);
        }
        return [{ shape, values }];
      },
    };
  },
};

export const SELECT_OPS: readonly OpDef[] = [whereSelf];
