import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import type { Side } from './elementwise.js';
import { broadcastOf, commonDtype, scalarSide, tensorSide } from './elementwise.js';
import { wrapInt } from './numerics.js';
import { notImplemented, operandValues } from './pointwise-common.js';
import type { OpCall, OpDef } from './types.js';

type BitOp = 'and' | 'or' | 'xor';

function bits(op: BitOp, a: bigint, b: bigint): bigint {
  return op === 'and' ? a & b : op === 'or' ? a | b : a ^ b;
}

/**
 * bitwise_and/or/xor, Tensor and Scalar overloads: integer and bool dtypes only (PyTorch has no floating kernel on any
 * backend, so a float operand, a float scalar included, is refused). Two's complement on the operands converted to the
 * promoted dtype (a scalar wraps: 1000 is −24 in int8); bool is logical. Exact.
 */
function bitwise(op: BitOp, overload: 'Tensor' | 'Scalar'): OpDef {
  const name = `aten.bitwise_${op}.${overload}`;
  return {
    name,
    family: 'binary',
    bind(call) {
      const sides: [Side, Side] = [tensorSide(call, 0, 'self'), overload === 'Tensor' ? tensorSide(call, 1, 'other') : scalarSide(call, 1, 'other')];
      const dtype = commonDtype(call, sides);
      if (isFloating(dtype)) throw notImplemented(`bitwise_${op}_cpu`, dtype);
      const shape = broadcastOf(call, sides);
      return {
        outputs: [{ dtype, shape, accuracy: { kind: 'exact' } }],
        reference(inputs) {
          const [a = new Float64Array(0), b = new Float64Array(0)] = operandValues(inputs, sides, dtype, shape);
          const values = a.map((x, i) => wrapInt(dtype, bits(op, BigInt(x), BigInt(b[i] ?? 0))));
          return [{ shape, values }];
        },
      };
    },
  };
}

export const bitwiseAndTensor = bitwise('and', 'Tensor');
export const bitwiseAndScalar = bitwise('and', 'Scalar');
export const bitwiseOrTensor = bitwise('or', 'Tensor');
export const bitwiseOrScalar = bitwise('or', 'Scalar');
export const bitwiseXorTensor = bitwise('xor', 'Tensor');
export const bitwiseXorScalar = bitwise('xor', 'Scalar');

/**
 * logical_and/or/xor(Tensor self, Tensor other): bool, from the truth of each operand converted to the promoted dtype
 * (nonzero is true, NaN too, a subnormal too: a device that flushes subnormals differs; a float64 zero-dim 1e-300
 * beside a float32 tensor converts to 0, false). Any dtype. Exact.
 */
function logical(op: BitOp, f: (a: boolean, b: boolean) => boolean): OpDef {
  return {
    name: `aten.logical_${op}.default`,
    family: 'binary',
    bind(call: OpCall) {
      const sides: [Side, Side] = [tensorSide(call, 0, 'self'), tensorSide(call, 1, 'other')];
      const dtype: DType = commonDtype(call, sides);
      const shape = broadcastOf(call, sides);
      return {
        outputs: [{ dtype: 'bool', shape, accuracy: { kind: 'exact' } }],
        reference(inputs) {
          const [a = new Float64Array(0), b = new Float64Array(0)] = operandValues(inputs, sides, dtype, shape);
          return [{ shape, values: a.map((x, i) => (f(x !== 0, (b[i] ?? 0) !== 0) ? 1 : 0)) }];
        },
      };
    },
  };
}

// logical_and.default(Tensor self, Tensor other) and its or/xor siblings
export const logicalAnd = logical('and', (a, b) => a && b);
export const logicalOr = logical('or', (a, b) => a || b);
export const logicalXor = logical('xor', (a, b) => a !== b);

export const LOGIC_OPS: readonly OpDef[] = [
  bitwiseAndScalar,
  bitwiseAndTensor,
  bitwiseOrScalar,
  bitwiseOrTensor,
  bitwiseXorScalar,
  bitwiseXorTensor,
  logicalAnd,
  logicalOr,
  logicalXor,
];
