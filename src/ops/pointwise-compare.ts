import type { DType } from '../tensor/dtype.js';
import { floatFormat, isFloating } from '../tensor/dtype.js';
import { broadcastShapes } from './broadcast.js';
import type { Side } from './elementwise.js';
import { broadcastOf, commonDtype, promotionOperand, scalarSide, sideShape, tensorSide } from './elementwise.js';
import type { ScalarArg } from './params.js';
import { optionalTensorParam, param, scalarParam } from './params.js';
import { checkConvert, notImplemented, operandValues, scalarIn } from './pointwise-common.js';
import type { Operand } from './promotion.js';
import { resultType } from './promotion.js';
import type { BoundOp, OpCall, OpDef, Regime } from './types.js';
import { isFloat, uniform, withRegimes } from './regimes.js';

/**
 * Comparisons compute in the promoted dtype of both operands, a Python scalar converted to it (so an int64 tensor
 * compared with a float scalar is rounded to float32 first: 2^24 + 1 ≥ 16777216.0 and 2^24 + 1 ≤ 16777216.0 both
 * hold), and return bool. NaN compares false, except in `ne`. The result is exact.
 */
function comparison(name: string, f: (a: number, b: number) => boolean, parse: (call: OpCall) => [Side, Side]): OpDef {
  return {
    name,
    family: 'comparison',
    bind(call) {
      const [a, b] = parse(call);
      const dtype = commonDtype(call, [a, b]);
      const shape = broadcastOf(call, [a, b]);
      return {
        outputs: [{ dtype: 'bool', shape, accuracy: { kind: 'exact' } }],
        reference(inputs) {
          const [x = new Float64Array(0), y = new Float64Array(0)] = operandValues(inputs, [a, b], dtype, shape);
          return [{ shape, values: x.map((v, i) => (f(v, y[i] ?? NaN) ? 1 : 0)) }];
        },
      };
    },
  };
}

const tensors = (call: OpCall): [Side, Side] => [tensorSide(call, 0, 'self'), tensorSide(call, 1, 'other')];
const withScalar = (call: OpCall): [Side, Side] => [tensorSide(call, 0, 'self'), scalarSide(call, 1, 'other')];

/** The value one ULP above 1 and half of one below it, in the dtype: the neighbours of 1. */
function nearOne(d: DType): (number | 'nan')[] {
  const ulp = 2 ** -floatFormat(d).mantissaBits;
  return [1, 1, 1 + ulp, 1 - ulp / 2, 1 + 2 * ulp, 1 - ulp, 0.5, 2];
}

/*
 * Where comparisons differ: values one ULP from the compared value (a comparison done in a narrower type, or with a
 * tolerance, merges them), and integers beyond float32's precision compared with a float scalar (PyTorch compares in
 * float32, where 2^24 + 1 equals 2^24; a kernel that compares exactly, or in float64, differs).
 */
export const COMPARE_REGIMES: Regime[] = [
  {
    name: 'near-one',
    why: 'values within an ULP or two of 1, compared with 1 (suites compare Scalar overloads with 1 and tensors with each other): a comparison in a narrower dtype or with a tolerance merges neighbours',
    recipe: (d) => (!isFloat(d) ? null : { kind: 'choice', values: nearOne(d) }),
  },
  {
    name: 'beyond-float32',
    why: 'integers around 2^24 compared with a float scalar (suites use 16777216.0): PyTorch promotes both to float32, where 2^24 + 1 rounds to 2^24',
    recipe: (d) => (d === 'int32' || d === 'int64' ? { kind: 'int', low: 2 ** 24 - 6, high: 2 ** 24 + 6 } : null),
  },
];

// eq.Scalar / ne.Scalar / ge.Scalar / gt.Scalar / le.Scalar / lt.Scalar(Tensor self, Scalar other); ne, ge, gt, le .Tensor(Tensor self, Tensor other)
const eq = (a: number, b: number): boolean => a === b;
const ne = (a: number, b: number): boolean => a !== b;
const ge = (a: number, b: number): boolean => a >= b;
const gt = (a: number, b: number): boolean => a > b;
const le = (a: number, b: number): boolean => a <= b;
const lt = (a: number, b: number): boolean => a < b;
export const eqScalar = withRegimes(comparison('aten.eq.Scalar', eq, withScalar), ...COMPARE_REGIMES);
export const neScalar = withRegimes(comparison('aten.ne.Scalar', ne, withScalar), ...COMPARE_REGIMES);
export const neTensor = withRegimes(comparison('aten.ne.Tensor', ne, tensors), COMPARE_REGIMES[0] as Regime);
export const geScalar = withRegimes(comparison('aten.ge.Scalar', ge, withScalar), ...COMPARE_REGIMES);
export const geTensor = withRegimes(comparison('aten.ge.Tensor', ge, tensors), COMPARE_REGIMES[0] as Regime);
export const gtScalar = withRegimes(comparison('aten.gt.Scalar', gt, withScalar), ...COMPARE_REGIMES);
export const gtTensor = withRegimes(comparison('aten.gt.Tensor', gt, tensors), COMPARE_REGIMES[0] as Regime);
export const leScalar = withRegimes(comparison('aten.le.Scalar', le, withScalar), ...COMPARE_REGIMES);
export const leTensor = withRegimes(comparison('aten.le.Tensor', le, tensors), COMPARE_REGIMES[0] as Regime);
export const ltScalar = withRegimes(comparison('aten.lt.Scalar', lt, withScalar), ...COMPARE_REGIMES);

/** NaN in either operand, often in only one: maximum and minimum must return NaN there (fmax/fmin do not). */
export const NAN_EITHER: Regime = {
  name: 'nan',
  why: 'NaN in one operand or both: maximum/minimum propagate it, where fmax/fmin-style kernels (MPS before pytorch #144086) return the other operand',
  recipe: (d) => (!isFloat(d) ? null : { kind: 'sprinkle', mean: 0, std: 2, values: ['nan'], fraction: 1 / 4 }),
};

/**
 * maximum and minimum: the elementwise extreme in the promoted dtype; NaN if either operand is NaN (PyTorch documents
 * it; CPU's scalar loop tests a != a, its vector loop uses a propagating max). Which zero max(+0, −0) returns differs
 * between the scalar and vector paths, so the sign of zero is not judged. bool: or / and.
 */
function extreme(name: string, pick: (a: number, b: number) => number): OpDef {
  return {
    name,
    family: 'comparison',
    bind(call) {
      const [a, b] = tensors(call);
      const dtype = commonDtype(call, [a, b]);
      const shape = broadcastOf(call, [a, b]);
      return {
        outputs: [{ dtype, shape, accuracy: { kind: 'exact' } }],
        reference(inputs) {
          const [x = new Float64Array(0), y = new Float64Array(0)] = operandValues(inputs, [a, b], dtype, shape);
          return [{ shape, values: x.map((v, i) => pick(v, y[i] ?? NaN)) }];
        },
      };
    },
  };
}

// maximum.default(Tensor self, Tensor other); minimum.default(Tensor self, Tensor other)
export const maximum = withRegimes(
  extreme('aten.maximum.default', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))),
  NAN_EITHER,
);
export const minimum = withRegimes(
  extreme('aten.minimum.default', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b))),
  NAN_EITHER,
);

/**
 * clamp's elementwise rule with both bounds: NaN where a bound is NaN (CPU's scalar loop tests it, the vector loop's
 * propagating max/min gives the same), else min(max(x, lo), hi), so hi wins where lo > hi ("If min is greater than
 * max, torch.clamp sets all elements to max"); NaN in x propagates.
 */
function clampBoth(x: number, lo: number, hi: number): number {
  if (Number.isNaN(x) || Number.isNaN(lo) || Number.isNaN(hi)) return NaN;
  return Math.min(Math.max(x, lo), hi);
}

/**
 * One bound only. PyTorch's CPU kernels keep x where a scalar bound is NaN (std::max(x, NaN) is x) while CUDA returns
 * NaN: suites give a single scalar bound no NaN; the reference takes the propagating answer that clamp.Tensor (which
 * runs maximum/minimum) and both bounds give. NaN in x propagates everywhere.
 */
function clampOne(x: number, bound: number, which: 'min' | 'max'): number {
  if (Number.isNaN(x) || Number.isNaN(bound)) return NaN;
  return which === 'min' ? Math.max(x, bound) : Math.min(x, bound);
}

function clampValue(x: number, lo: number | null, hi: number | null): number {
  if (lo !== null && hi !== null) return clampBoth(x, lo, hi);
  if (lo !== null) return clampOne(x, lo, 'min');
  if (hi !== null) return clampOne(x, hi, 'max');
  return x;
}

function optionalScalar(call: OpCall, pos: number, name: string): ScalarArg | null {
  const a = param(call, pos, name);
  if (a === undefined || a.kind === 'none') return null;
  return scalarParam(call, pos, name);
}

/** NaN in the clamped tensor: it must stay NaN whatever the bounds. */
const CLAMP_NAN: Regime = {
  name: 'nan',
  why: 'NaN in the input stays NaN (std::min(std::max(NaN, lo), hi) and the vector max/min propagate it); a kernel built on fmaxf/fminf returns a bound',
  recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? { kind: 'sprinkle', mean: 0, std: 2, values: ['nan'], fraction: 1 / 8 } : uniform(-1, 1)),
};

const CLAMP_MESSAGE = "torch.clamp: At least one of 'min' or 'max' must not be None";

/**
 * clamp.default(Tensor self, Scalar? min=None, Scalar? max=None). The result dtype is self's when floating, else
 * torch.result_type of self and the bounds (an int tensor clamped at 0.5 is float32). Each bound converts to that
 * dtype through c10's checked conversion, which refuses a bound the dtype cannot hold ("value cannot be converted to
 * type int8_t without overflow"; −1 wraps to 255 in uint8). Both bounds given and either NaN: every element is NaN
 * (clamp_out fills it). Exact.
 */
export const clamp = withRegimes(
  {
    name: 'aten.clamp.default',
    family: 'comparison',
    bind(call): BoundOp {
      const self = tensorSide(call, 0, 'self');
      const lo = optionalScalar(call, 1, 'min');
      const hi = optionalScalar(call, 2, 'max');
      if (lo === null && hi === null) throw new Error(CLAMP_MESSAGE);
      const selfOperand = promotionOperand(call, self);
      const selfDtype = selfOperand.kind === 'tensor' ? selfOperand.dtype : 'float32';
      const bounds = [lo, hi].filter((s): s is ScalarArg => s !== null);
      const dtype = isFloating(selfDtype) ? selfDtype : resultType([selfOperand, ...bounds.map((s): Operand => ({ kind: 'scalar', scalarKind: s.kind }))]);
      if (dtype === 'bool') throw notImplemented('clamp_scalar_cpu', dtype);
      const nanFill = lo !== null && hi !== null && (Number.isNaN(lo.value) || Number.isNaN(hi.value));
      if (!nanFill) for (const s of bounds) checkConvert(s, dtype);
      const shape = sideShape(call, self);
      return {
        outputs: [{ dtype, shape, accuracy: { kind: 'exact' } }],
        reference(inputs) {
          const [x = new Float64Array(0)] = operandValues(inputs, [self], dtype, shape);
          if (nanFill) return [{ shape, values: x.map(() => NaN) }];
          const l = lo === null ? null : scalarIn(dtype, lo.value);
          const h = hi === null ? null : scalarIn(dtype, hi.value);
          return [{ shape, values: x.map((v) => clampValue(v, l, h)) }];
        },
      };
    },
  },
  CLAMP_NAN,
);

/** NaN sprinkled into the bounds of clamp.Tensor: an element whose bound is NaN is NaN. */
const CLAMP_NAN_BOUNDS: Regime = {
  name: 'nan-bounds',
  why: 'NaN in a bound makes that element NaN (clamp with both bounds, maximum and minimum with one); a kernel that skips NaN bounds returns x',
  recipe: (d, i) => (!isFloat(d) ? null : i === 0 ? uniform(-4, 4) : { kind: 'sprinkle', mean: i === 1 ? -1 : 1, std: 1, values: ['nan'], fraction: 1 / 8 }),
};

/**
 * clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None): every operand promotes to their common dtype (a
 * float64 zero-dim min makes an int32 self float64) and broadcasts; with one bound it is maximum or minimum (NaN in
 * either propagates), with both the elementwise clamp (max wins where min > max). bool with both bounds has no kernel
 * on any backend. Exact.
 */
export const clampTensor = withRegimes(
  {
    name: 'aten.clamp.Tensor',
    family: 'comparison',
    bind(call): BoundOp {
      const self = tensorSide(call, 0, 'self');
      const loIndex = optionalTensorParam(call, 1, 'min');
      const hiIndex = optionalTensorParam(call, 2, 'max');
      if (loIndex === undefined && hiIndex === undefined) throw new Error(CLAMP_MESSAGE);
      const lo: Side | null = loIndex === undefined ? null : { kind: 'tensor', index: loIndex };
      const hi: Side | null = hiIndex === undefined ? null : { kind: 'tensor', index: hiIndex };
      const sides: Side[] = [self, lo, hi].filter((s) => s !== null);
      const dtype = commonDtype(call, sides);
      if (dtype === 'bool' && lo !== null && hi !== null) throw notImplemented('clamp_cpu', dtype);
      const shape = broadcastShapes(...sides.map((s) => sideShape(call, s)));
      return {
        outputs: [{ dtype, shape, accuracy: { kind: 'exact' } }],
        reference(inputs) {
          const vals = operandValues(inputs, sides, dtype, shape);
          const x = vals[0] ?? new Float64Array(0);
          const l = lo === null ? null : (vals[1] ?? null);
          const h = hi === null ? null : (vals[lo === null ? 1 : 2] ?? null);
          return [{ shape, values: x.map((v, i) => clampValue(v, l ? (l[i] ?? NaN) : null, h ? (h[i] ?? NaN) : null)) }];
        },
      };
    },
  },
  CLAMP_NAN,
  CLAMP_NAN_BOUNDS,
);

export const COMPARE_OPS: readonly OpDef[] = [
  eqScalar,
  neScalar,
  neTensor,
  geScalar,
  geTensor,
  gtScalar,
  gtTensor,
  leScalar,
  leTensor,
  ltScalar,
  maximum,
  minimum,
  clamp,
  clampTensor,
];
