import { castTo } from '../tensor/dtype.js';
import { broadcastIndex } from './broadcast.js';
import { broadcastOf, commonDtype, sideValues, tensorSide } from './elementwise.js';
import { input, meta, tensorParam } from './params.js';
import type { OpCall, OpDef, OutputSpec } from './types.js';

// where.self(Tensor condition, Tensor self, Tensor other)
function parts(call: OpCall) {
  return { cond: tensorSide(call, 0, 'condition'), self: tensorSide(call, 1, 'self'), other: tensorSide(call, 2, 'other') };
}

function out(call: OpCall): OutputSpec {
  const p = parts(call);
  // the condition broadcasts with the values but takes no part in type promotion
  return { dtype: commonDtype(call, [p.self, p.other]), shape: broadcastOf(call, [p.cond, p.self, p.other]) };
}

export const whereSelf: OpDef = {
  name: 'aten.where.self',
  family: 'select',
  outputs: (call) => [out(call)],
  reference(call, inputs) {
    const { dtype, shape } = out(call);
    const p = parts(call);
    const ci = tensorParam(call, 0, 'condition');
    const cm = meta(call, ci);
    if (cm.dtype !== 'bool' && cm.dtype !== 'uint8') throw new Error(`where expected condition to be a boolean tensor, but got ${cm.dtype}`);
    const cond = input(inputs, ci);
    const map = broadcastIndex(cond.shape, shape);
    const a = sideValues(inputs, p.self, dtype, shape);
    const b = sideValues(inputs, p.other, dtype, shape);
    const values = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      // a pure selection: NaN in the branch not taken never leaks
      values[i] = castTo('bool', cond.values[map[i] ?? 0] ?? 0) ? (a[i] ?? NaN) : (b[i] ?? NaN);
    }
    return [{ shape, values }];
  },
  accuracy: () => ({ kind: 'exact', signedZero: true }),
};

export const SELECT_OPS: readonly OpDef[] = [whereSelf];
