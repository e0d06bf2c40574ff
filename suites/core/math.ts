import { arg } from '../../src/ops/args.js';
import { CaseGroup, type RecipeName } from '../../src/suite/builder.js';
import { isFloating, type DType } from '../../src/tensor/dtype.js';
import { specialValues } from '../../src/tensor/recipes.js';
import type { Recipe, RecipeValue } from '../../src/tensor/spec.js';
import { ALL, F, I, kw, regimes, unary } from './common.js';

const INT_AND_BOOL: DType[] = [...I, 'bool'];
const SQUARE_32 = { '32x32': [[32, 32]] };

/**
 * The floating functions of one tensor, each with the part of its domain its ordinary (`uniform`) cases draw from:
 * where it is defined and not yet saturated. Their regimes sweep the edges (src/ops/math-regimes.ts).
 */
const FLOAT_FUNCTIONS: [string, Recipe | null][] = [
  ['acos', { kind: 'uniform', low: -1, high: 1 }],
  ['acosh', { kind: 'uniform', low: 1, high: 16 }],
  ['asin', { kind: 'uniform', low: -1, high: 1 }],
  ['asinh', null],
  ['atan', null],
  ['atanh', { kind: 'uniform', low: -1, high: 1 }],
  ['cos', null],
  ['cosh', null],
  ['erf', null],
  ['expm1', null],
  ['log10', { kind: 'uniform', low: 1 / 64, high: 16 }],
  ['log1p', { kind: 'uniform', low: -1, high: 16 }],
  ['log2', { kind: 'uniform', low: 1 / 64, high: 16 }],
  ['reciprocal', null],
  ['sin', null],
  ['sinh', null],
  ['tan', null],
];

/** The function's own domain for floating `uniform` cases; every other recipe as named. */
const domain = (recipe: Recipe | null) => (dtype: DType, _input: number, name: RecipeName): RecipeName | Recipe =>
  recipe !== null && name === 'uniform' && isFloating(dtype) ? recipe : name;

const floatFunctionGroups = ([fn, recipe]: [string, Recipe | null]): CaseGroup[] => {
  const op = `aten.${fn}.default`;
  return [
    unary(op, F, 'uniform', 'special', 'subnormal').inputRecipe(domain(recipe)),
    // integers and bool compute in float32 (the output is float32, filed under the input's dtype)
    CaseGroup.of(op).dtypes(INT_AND_BOOL).shapes({ '7x13': [[7, 13]] }).values('uniform', 'special'),
    regimes(op, { '64x64': [[64, 64]] }),
  ];
};

const ROUNDING = ['ceil', 'floor', 'trunc', 'round'];

/** sign's special values without NaN: PyTorch gives sign(NaN) = 0, NumPy NaN, and pytorch#41245 is still open. */
function specialsWithoutNaN(dtype: DType): Recipe {
  const values: RecipeValue[] = specialValues(dtype)
    .filter((v) => !Number.isNaN(v))
    .map((v) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v));
  return { kind: 'choice', values };
}

/** The core suite's unary math cases. */
export const MATH: CaseGroup[] = [
  ...FLOAT_FUNCTIONS.flatMap(floatFunctionGroups),

  // rounding: exact, sign of zero included; integers are copied
  ...ROUNDING.flatMap((fn) => [unary(`aten.${fn}.default`, [...F, ...I], 'uniform', 'special', 'subnormal'), regimes(`aten.${fn}.default`, SQUARE_32)]),
  ...[2, 1, 0, -1, -2].map((d) =>
    CaseGroup.of('aten.round.decimals')
      .tag(`decimals${d}`)
      .dtypes(F)
      .shapes(d === 2 ? { '7x13': [[7, 13]], scalar: [[]], empty: [[0, 5]], '3x1x4x5': [[3, 1, 4, 5]] } : { '7x13': [[7, 13]] })
      .layouts(...(d === 2 ? (['contiguous', 'transposed', 'strided', 'offset', 'expanded'] as const) : (['contiguous'] as const)))
      .values('uniform', 'special', 'subnormal')
      .inputRecipe((dtype, _i, name) => (d < 0 && name === 'uniform' ? { kind: 'uniform', low: -2000, high: 2000 } : name))
      .call(kw({ decimals: arg.int(d) })),
  ),
  regimes('aten.round.decimals', SQUARE_32).tag('decimals2').call(kw({ decimals: arg.int(2) })),
  regimes('aten.round.decimals', SQUARE_32).tag('decimals1').call(kw({ decimals: arg.int(1) })),

  unary('aten.sign.default', ALL, 'uniform', 'special', 'subnormal').inputRecipe((dtype, _i, name) => (name === 'special' && isFloating(dtype) ? specialsWithoutNaN(dtype) : name)),
  unary('aten.isinf.default', ALL, 'uniform', 'special', 'subnormal'),
  unary('aten.isnan.default', ALL, 'uniform', 'special', 'subnormal'),
  unary('aten.logical_not.default', ALL, 'uniform', 'special', 'subnormal'),
  unary('aten.bitwise_not.default', INT_AND_BOOL, 'uniform', 'special'),
];
