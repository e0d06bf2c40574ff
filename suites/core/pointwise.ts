import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup, type RecipeName } from '../../src/suite/builder.js';
import { dtypeInfo, isFloating, type DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import { ALL, ALL_LAYOUTS, ELEMENTWISE_SHAPES, F, I, SQUARE, SQUARE2, binary, kw } from './common.js';

/** Integer dtypes that hold negative values (uint8 takes no negative divisor or bound). */
const SIGNED: DType[] = ['int64', 'int32', 'int16', 'int8'];
const isUnsigned = (d: DType): boolean => dtypeInfo(d).kind === 'uint';

/** One tensor and a Python scalar after it: `op(self, scalar, ...more)`. */
const withScalar =
  (...more: Arg[]) =>
  (t: Arg[]) => ({ args: [...t, ...more] });

/** A Scalar overload's shapes: a matrix, rank 0 and empty (a scalar operand broadcasts to anything). */
const SCALAR_SHAPES = { '7x13': [[7, 13]], scalar: [[]], empty: [[0, 5]] };

/** A Scalar overload over SCALAR_SHAPES and every layout. */
const scalarOp = (op: string, tag: string, dtypes: DType[], ...more: Arg[]) =>
  CaseGroup.of(op).tag(tag).dtypes(dtypes).shapes(SCALAR_SHAPES).layouts(...ALL_LAYOUTS).call(withScalar(...more));

/**
 * Divisors of one sign (the Python-vs-C sensitive part of fmod and remainder). Integer divisors are never zero, whatever
 * the recipe (PyTorch raises there); floating ones take the special values, zeros and infinities included.
 */
const divisor = (sign: 'pos' | 'neg') => (dtype: DType, i: number, r: RecipeName): RecipeName | Recipe => {
  if (i !== 1 || (isFloating(dtype) && r !== 'uniform')) return r;
  if (sign === 'pos') return 'nonzero-pos';
  // never −1 for integers: INT_MIN % −1 traps (SIGFPE) in C, and the special values hold INT32_MIN
  return isFloating(dtype) ? 'nonzero-neg' : { kind: 'int', low: -9, high: -2 };
};

/**
 * Integer pow: small bases (both signs) to powers in [0, 6], so uniform int64 results stay exact and narrow types wrap;
 * the exponent is never negative (PyTorch's kernel returns 0 or ±1 there, a choice no document states).
 */
const intPow = (dtype: DType, i: number, r: RecipeName): RecipeName | Recipe => {
  if (isFloating(dtype)) return r;
  if (i === 1) return { kind: 'int', low: 0, high: 6 };
  return r === 'uniform' ? { kind: 'int', low: isUnsigned(dtype) ? 0 : -9, high: 9 } : r;
};

/** Float pow: positive bases over exponents in [−4, 4), results well inside the range. */
const floatPow = (dtype: DType, i: number, r: RecipeName): RecipeName | Recipe =>
  isFloating(dtype) && r === 'uniform' && i === 0 ? 'positive' : intPow(dtype, i, r);

/** Logical ops on floats: `ties` draws 0, 1, 2, 3, so a quarter of the values are false. */
const LOGICAL_VALUES: RecipeName[] = ['ties', 'special', 'subnormal'];

const THREE_SHAPES = {
  '7x13': [[7, 13], [7, 13], [7, 13]],
  'broadcast-4x1x8': [[4, 1, 8], [1, 5, 8], [4, 5, 1]],
  scalar: [[], [], []],
  empty: [[0, 3], [0, 3], [0, 3]],
};
const TWO_SHAPES = { '7x13': [[7, 13], [7, 13]], 'broadcast-4x1x8': [[4, 1, 8], [1, 5, 8]], scalar: [[], []], empty: [[0, 3], [0, 3]] };

/** clamp.Tensor bounds: min drawn from [−2, 0.5), max from [−0.5, 2), so min > max in a fair share of the elements. */
const clampBounds = (dtype: DType, i: number, r: RecipeName): RecipeName | Recipe => {
  if (i === 0 || r === 'special' || r === 'subnormal') return r;
  if (isFloating(dtype)) return i === 1 ? { kind: 'uniform', low: -2, high: 0.5 } : { kind: 'uniform', low: -0.5, high: 2 };
  if (dtype === 'bool') return r;
  const unsigned = isUnsigned(dtype);
  return i === 1 ? { kind: 'int', low: unsigned ? 0 : -30, high: 10 } : { kind: 'int', low: unsigned ? 5 : -10, high: 30 };
};

const COMPARISONS = ['eq', 'ne', 'ge', 'gt', 'le', 'lt'] as const;

/** The core suite's binary, comparison and clamp overloads beyond add, sub, mul, div, eq.Tensor and lt.Tensor. */
export const POINTWISE: CaseGroup[] = [
  // ── sub.Scalar ─────────────────────────────────────────────────────────────────────────────────────────────────
  scalarOp('aten.sub.Scalar', 'float-scalar', F, arg.float(1.25)).values('uniform', 'special', 'subnormal'),
  // 0.1 is exact in no dtype and alpha 3 is no power of two: the bound covers the evaluation orders
  scalarOp('aten.sub.Scalar', 'inexact-alpha', F, arg.float(0.1), arg.int(3)).layouts('contiguous').values('uniform', 'special'),
  scalarOp('aten.sub.Scalar', 'int-scalar', I, arg.int(7)).values('uniform', 'special'),
  scalarOp('aten.sub.Scalar', 'int-alpha', I, arg.int(-3), arg.int(5)).layouts('contiguous').values('uniform', 'special'),
  scalarOp('aten.sub.Scalar', 'int-tensor-float-scalar', ['int32', 'int64', 'uint8'], arg.float(0.5)).layouts('contiguous').fileUnder(() => 'float32'),

  // ── div.Scalar, div.Scalar_mode ────────────────────────────────────────────────────────────────────────────────
  scalarOp('aten.div.Scalar', 'by-pow2', F, arg.float(-0.25)).values('uniform', 'special', 'subnormal'),
  scalarOp('aten.div.Scalar', 'by-3', F, arg.float(3)).values('uniform', 'special', 'subnormal'),
  scalarOp('aten.div.Scalar', 'by-0.1', F, arg.float(0.1)).layouts('contiguous').values('uniform', 'special'),
  scalarOp('aten.div.Scalar', 'by-zero', F, arg.float(0)).layouts('contiguous').values('uniform', 'special'),
  scalarOp('aten.div.Scalar', 'int-by-3', [...I, 'bool'], arg.int(3)).layouts('contiguous', 'transposed').values('uniform', 'special').fileUnder(() => 'float32'),
  ...(['floor', 'trunc'] as const).flatMap((mode) => [
    scalarOp('aten.div.Scalar_mode', `${mode}-by-2.5`, F).layouts('contiguous', 'transposed', 'strided').values('uniform', 'special').call((t) => ({ args: [...t, arg.float(2.5)], kwargs: { rounding_mode: arg.str(mode) } })),
    scalarOp('aten.div.Scalar_mode', `${mode}-by-neg-0.75`, F).layouts('contiguous').values('uniform', 'special').call((t) => ({ args: [...t, arg.float(-0.75)], kwargs: { rounding_mode: arg.str(mode) } })),
    scalarOp('aten.div.Scalar_mode', `${mode}-by-0.1`, F).layouts('contiguous').values('uniform').call((t) => ({ args: [...t, arg.float(0.1)], kwargs: { rounding_mode: arg.str(mode) } })),
    scalarOp('aten.div.Scalar_mode', `${mode}-by-3`, I).layouts('contiguous', 'transposed').values('uniform', 'special').call((t) => ({ args: [...t, arg.int(3)], kwargs: { rounding_mode: arg.str(mode) } })),
    scalarOp('aten.div.Scalar_mode', `${mode}-by-neg-3`, SIGNED).layouts('contiguous').values('uniform', 'special').call((t) => ({ args: [...t, arg.int(-3)], kwargs: { rounding_mode: arg.str(mode) } })),
  ]),
  scalarOp('aten.div.Scalar_mode', 'none-by-3', ['float32', 'int32']).layouts('contiguous').call((t) => ({ args: [...t, arg.int(3)], kwargs: { rounding_mode: arg.none() } })).fileUnder(() => 'float32'),

  // ── pow ────────────────────────────────────────────────────────────────────────────────────────────────────────
  binary('aten.pow.Tensor_Tensor', F).inputRecipe(floatPow),
  binary('aten.pow.Tensor_Tensor', I).values('uniform', 'special').inputRecipe(intPow),
  CaseGroup.of('aten.pow.Tensor_Tensor').dtypes(F, I).shapes(SQUARE2).values().regimes(),
  CaseGroup.of('aten.pow.Tensor_Tensor')
    .tag('promote-int32-base')
    .dtypes('float16', 'float32', 'bfloat16')
    .shapes({ '5x6': [[5, 6], [5, 6]] })
    .inputDtype((d, i) => (i === 0 ? 'int32' : d))
    .inputRecipe((_d, i) => (i === 0 ? { kind: 'int', low: 1, high: 9 } : 'uniform')),
  ...(
    [
      ['2', 2],
      ['3', 3],
      ['neg-2', -2],
      ['neg-1', -1],
      ['2.5', 2.5],
      ['neg-3', -3],
      ['0', 0],
      ['1', 1],
    ] as const
  ).map(([name, e]) => {
    const g = scalarOp('aten.pow.Tensor_Scalar', `exp-${name}`, F, arg.float(e)).values('uniform', 'special', 'subnormal');
    // PyTorch's special formulas (x·x, x·x·x, 1/(x·x)) take every layout; pow itself the vector and strided paths
    return e === 2 || e === 3 || e === -2 ? g.shapes(ELEMENTWISE_SHAPES) : g.layouts('contiguous', 'strided');
  }),
  // √ and 1/√ are what PyTorch runs for ±0.5: positive inputs only (on −0 and −inf they differ from C's pow)
  ...(
    [
      ['0.5', 0.5],
      ['neg-0.5', -0.5],
    ] as const
  ).map(([name, e]) => scalarOp('aten.pow.Tensor_Scalar', `exp-${name}`, F, arg.float(e)).layouts('contiguous', 'transposed', 'strided').values('positive')),
  scalarOp('aten.pow.Tensor_Scalar', 'exp-0.1', F, arg.float(0.1)).layouts('contiguous').values('positive'),
  ...(
    [
      ['2', 2],
      ['3', 3],
      ['neg-2', -2],
    ] as const
  ).map(([name, e]) => CaseGroup.of('aten.pow.Tensor_Scalar').tag(`exp-${name}`).dtypes(F).shapes(SQUARE).values().regimes().call(withScalar(arg.float(e)))),
  ...(
    [
      ['2', 2],
      ['3', 3],
      ['7', 7],
    ] as const
  ).map(([name, e]) => scalarOp('aten.pow.Tensor_Scalar', `int-exp-${name}`, I, arg.int(e)).layouts('contiguous', 'transposed').values('small', 'special')),
  scalarOp('aten.pow.Tensor_Scalar', 'int-exp-2.5', ['int32', 'int64', 'uint8'], arg.float(2.5)).layouts('contiguous').values('positive').fileUnder(() => 'float32'),
  scalarOp('aten.pow.Tensor_Scalar', 'bool-exp-2', ['bool'], arg.int(2)).layouts('contiguous').values('uniform', 'special').fileUnder(() => 'int64'),
  ...(
    [
      ['2', 2],
      ['2.5', 2.5],
      ['neg-2', -2],
      ['0', 0],
      ['1', 1],
    ] as const
  ).map(([name, b]) => CaseGroup.of('aten.pow.Scalar').tag(`base-${name}`).dtypes(F).shapes(SCALAR_SHAPES).layouts('contiguous', 'transposed', 'strided').values('uniform', 'special').call((t) => ({ args: [arg.float(b), ...t] }))),
  CaseGroup.of('aten.pow.Scalar').tag('base-2').dtypes(F).shapes(SQUARE).values().regimes().call((t) => ({ args: [arg.float(2), ...t] })),
  CaseGroup.of('aten.pow.Scalar')
    .tag('int-base-3')
    .dtypes(I)
    .shapes(SCALAR_SHAPES)
    .layouts('contiguous', 'transposed')
    .inputRecipe(() => ({ kind: 'int', low: 0, high: 12 }))
    .call((t) => ({ args: [arg.int(3), ...t] })),
  CaseGroup.of('aten.pow.Scalar').tag('int-base-2.5').dtypes('int32', 'int64').shapes({ '7x13': [[7, 13]] }).inputRecipe(() => ({ kind: 'int', low: -6, high: 6 })).call((t) => ({ args: [arg.float(2.5), ...t] })).fileUnder(() => 'float32'),

  // ── fmod, remainder ────────────────────────────────────────────────────────────────────────────────────────────
  ...(['fmod', 'remainder'] as const).flatMap((name) => [
    binary(`aten.${name}.Tensor`, [...F, ...I]).tag('by-pos').inputRecipe(divisor('pos')),
    binary(`aten.${name}.Tensor`, [...F, ...SIGNED]).tag('by-neg').layouts('contiguous', 'transposed').values('uniform', 'special').inputRecipe(divisor('neg')),
    CaseGroup.of(`aten.${name}.Tensor`).dtypes(F).shapes(SQUARE2).values().regimes(),
    // mixed integer widths (pytorch #86074: remainder/fmod of int32 by int16 was wrong)
    CaseGroup.of(`aten.${name}.Tensor`)
      .tag('int32-by-int16')
      .dtypes('int32')
      .shapes({ '7x13': [[7, 13], [7, 13]] })
      .inputDtype((_d, i) => (i === 0 ? 'int32' : 'int16'))
      .inputRecipe((_d, i) => (i === 0 ? { kind: 'int', low: -100000, high: 100000 } : { kind: 'choice', values: [-7, -3, 3, 7, 300, -300] })),
    CaseGroup.of(`aten.${name}.Tensor`)
      .tag('int-by-float')
      .dtypes('int32', 'int64')
      .fileUnder(() => 'float32')
      .shapes({ '7x13': [[7, 13], [7, 13]] })
      .inputDtype((d, i) => (i === 0 ? d : 'float32'))
      .inputRecipe((_d, i) => (i === 0 ? 'uniform' : 'nonzero-neg')),
    scalarOp(`aten.${name}.Scalar`, 'by-1.5', F, arg.float(1.5)).values('uniform', 'special', 'subnormal'),
    scalarOp(`aten.${name}.Scalar`, 'by-neg-2.5', F, arg.float(-2.5)).layouts('contiguous', 'transposed').values('uniform', 'special'),
    scalarOp(`aten.${name}.Scalar`, 'by-0.1', F, arg.float(0.1)).layouts('contiguous').values('uniform'),
    scalarOp(`aten.${name}.Scalar`, 'by-3', I, arg.int(3)).layouts('contiguous', 'transposed').values('uniform', 'special'),
    scalarOp(`aten.${name}.Scalar`, 'by-neg-3', SIGNED, arg.int(-3)).layouts('contiguous').values('uniform', 'special'),
    scalarOp(`aten.${name}.Scalar`, 'int-by-2.5', ['int32', 'int64'], arg.float(2.5)).layouts('contiguous').fileUnder(() => 'float32'),
  ]),

  // ── atan2 ──────────────────────────────────────────────────────────────────────────────────────────────────────
  binary('aten.atan2.default', F),
  CaseGroup.of('aten.atan2.default').dtypes(F).shapes(SQUARE2).values().regimes(),
  CaseGroup.of('aten.atan2.default').tag('int').dtypes(...I, 'bool').fileUnder(() => 'float32').shapes(TWO_SHAPES).layouts('contiguous', 'transposed').values('uniform', 'special'),

  // ── maximum, minimum ───────────────────────────────────────────────────────────────────────────────────────────
  ...(['maximum', 'minimum'] as const).flatMap((name) => [
    binary(`aten.${name}.default`, ALL).values('uniform', 'ties', 'special', 'subnormal'),
    CaseGroup.of(`aten.${name}.default`).dtypes(F).shapes(SQUARE2).values().regimes(),
    CaseGroup.of(`aten.${name}.default`)
      .tag('promote-int32')
      .dtypes('float16', 'float32', 'bfloat16')
      .shapes({ '5x6': [[5, 6], [5, 6]] })
      .inputDtype((d, i) => (i === 0 ? 'int32' : d)),
    CaseGroup.of(`aten.${name}.default`)
      .tag('promote-uint8-int8')
      .dtypes('int16')
      .shapes({ '5x6': [[5, 6], [5, 6]] })
      .inputDtype((_d, i) => (i === 0 ? 'uint8' : 'int8')),
  ]),

  // ── bitwise_and/or/xor, logical_and/or/xor ─────────────────────────────────────────────────────────────────────
  ...(['and', 'or', 'xor'] as const).flatMap((op) => [
    binary(`aten.bitwise_${op}.Tensor`, [...I, 'bool']).values('uniform', 'special'),
    CaseGroup.of(`aten.bitwise_${op}.Tensor`)
      .tag('promote-uint8-int8')
      .dtypes('int16')
      .shapes({ '5x6': [[5, 6], [5, 6]] })
      .values('uniform', 'special')
      .inputDtype((_d, i) => (i === 0 ? 'uint8' : 'int8')),
    scalarOp(`aten.bitwise_${op}.Scalar`, 'scalar-85', I, arg.int(85)).values('uniform', 'special'),
    scalarOp(`aten.bitwise_${op}.Scalar`, 'scalar-neg-6', SIGNED, arg.int(-6)).layouts('contiguous').values('uniform', 'special'),
    scalarOp(`aten.bitwise_${op}.Scalar`, 'bool-int-scalar', ['bool'], arg.int(3)).layouts('contiguous').values('uniform').fileUnder(() => 'int64'),
    binary(`aten.logical_${op}.default`, ALL).values(...LOGICAL_VALUES),
    CaseGroup.of(`aten.logical_${op}.default`)
      .tag('mixed-float16-int32')
      .dtypes('float16')
      .shapes({ '5x6': [[5, 6], [5, 6]] })
      .values(...LOGICAL_VALUES)
      .inputDtype((d, i) => (i === 0 ? d : 'int32')),
    CaseGroup.of(`aten.logical_${op}.default`)
      .tag('mixed-float32-bool')
      .dtypes('float32')
      .shapes({ '5x6': [[5, 6], [5, 6]] })
      .values(...LOGICAL_VALUES)
      .inputDtype((d, i) => (i === 0 ? d : 'bool')),
  ]),

  // ── comparisons ────────────────────────────────────────────────────────────────────────────────────────────────
  ...(['ne', 'ge', 'gt', 'le'] as const).flatMap((name) => [
    binary(`aten.${name}.Tensor`, ALL).values('ties', 'special', 'subnormal'),
    CaseGroup.of(`aten.${name}.Tensor`).dtypes(F).shapes(SQUARE2).values().regimes(),
    CaseGroup.of(`aten.${name}.Tensor`)
      .tag('promote-int64-float32')
      .dtypes('float32')
      .shapes({ '5x6': [[5, 6], [5, 6]] })
      .values('ties')
      .inputDtype((d, i) => (i === 0 ? 'int64' : d)),
  ]),
  ...COMPARISONS.flatMap((name) => [
    scalarOp(`aten.${name}.Scalar`, 'int-1', ALL, arg.int(1)).layouts('contiguous', 'transposed', 'strided').values('ties', 'special', 'subnormal'),
    scalarOp(`aten.${name}.Scalar`, 'float-1.5', [...F, ...I]).layouts('contiguous').values('ties', 'special').call(withScalar(arg.float(1.5))),
    scalarOp(`aten.${name}.Scalar`, 'nan', F).layouts('contiguous').values('uniform', 'special').call(withScalar(arg.float(NaN))),
    CaseGroup.of(`aten.${name}.Scalar`).tag('int-1').dtypes(F).shapes(SQUARE).values().regimes('near-one').call(withScalar(arg.int(1))),
    CaseGroup.of(`aten.${name}.Scalar`).tag('float-2^24').dtypes('int32', 'int64').shapes(SQUARE).values().regimes('beyond-float32').call(withScalar(arg.float(2 ** 24))),
  ]),

  // ── clamp ──────────────────────────────────────────────────────────────────────────────────────────────────────
  scalarOp('aten.clamp.default', 'both', F, arg.float(-0.5), arg.float(1.5)).values('uniform', 'special', 'subnormal'),
  scalarOp('aten.clamp.default', 'min', F, arg.float(0)).layouts('contiguous', 'transposed').values('uniform', 'special'),
  scalarOp('aten.clamp.default', 'max', F).layouts('contiguous', 'transposed').values('uniform', 'special').call(kw({ max: arg.float(1) })),
  // min > max: every element is max
  scalarOp('aten.clamp.default', 'min-above-max', F, arg.float(1), arg.float(-1)).layouts('contiguous').values('uniform', 'special'),
  // both bounds and one NaN: every element is NaN
  scalarOp('aten.clamp.default', 'nan-bound', F, arg.float(NaN), arg.float(1)).layouts('contiguous').values('uniform'),
  CaseGroup.of('aten.clamp.default').tag('both').dtypes(F).shapes(SQUARE).values().regimes().call(withScalar(arg.float(-0.5), arg.float(1.5))),
  scalarOp('aten.clamp.default', 'both', SIGNED, arg.int(-20), arg.int(30)).values('uniform', 'special'),
  scalarOp('aten.clamp.default', 'both', ['uint8'], arg.int(20), arg.int(60)).values('uniform', 'special'),
  scalarOp('aten.clamp.default', 'min', I, arg.int(5)).layouts('contiguous').values('uniform', 'special'),
  scalarOp('aten.clamp.default', 'max', I).layouts('contiguous').values('uniform', 'special').call(kw({ max: arg.int(5) })),
  scalarOp('aten.clamp.default', 'min-above-max', I, arg.int(10), arg.int(2)).layouts('contiguous').values('uniform'),
  scalarOp('aten.clamp.default', 'int-tensor-float-bound', ['int32', 'int64', 'uint8'], arg.float(0.5), arg.float(20.5)).layouts('contiguous').fileUnder(() => 'float32'),
  scalarOp('aten.clamp.default', 'bool-int-bounds', ['bool'], arg.int(0), arg.int(1)).layouts('contiguous').values('uniform', 'special').fileUnder(() => 'int64'),
  CaseGroup.of('aten.clamp.Tensor').tag('both').dtypes(F, I).shapes(THREE_SHAPES).layouts('contiguous', 'transposed', 'strided', 'offset', 'expanded').values('uniform', 'special').inputRecipe(clampBounds),
  CaseGroup.of('aten.clamp.Tensor').tag('min').dtypes(ALL).shapes(TWO_SHAPES).layouts('contiguous', 'transposed').values('uniform', 'special').inputRecipe(clampBounds),
  CaseGroup.of('aten.clamp.Tensor')
    .tag('max')
    .dtypes(ALL)
    .shapes(TWO_SHAPES)
    .layouts('contiguous', 'transposed')
    .values('uniform', 'special')
    .inputRecipe((d, i, r) => clampBounds(d, i === 1 ? 2 : i, r))
    .call((t) => ({ args: [t[0] ?? arg.none(), arg.none(), t[1] ?? arg.none()] })),
  CaseGroup.of('aten.clamp.Tensor').tag('both').dtypes(F).shapes({ '64x64': [[64, 64], [64, 64], [64, 64]] }).values().regimes(),
  CaseGroup.of('aten.clamp.Tensor')
    .tag('int32-float64-zero-dim')
    .dtypes('int32')
    .fileUnder(() => 'float64')
    .shapes({ '7x13': [[7, 13], [], []] })
    .inputDtype((d, i) => (i === 0 ? d : 'float64'))
    .inputRecipe((_d, i) => (i === 0 ? 'uniform' : i === 1 ? { kind: 'uniform', low: -10, high: 0 } : { kind: 'uniform', low: 0, high: 10 })),
];
