import type { DType } from '../tensor/dtype.js';
import { LOW_PRECISION } from '../tensor/dtype.js';
import type { Recipe } from '../tensor/spec.js';
import { isFloat, uniform } from './regimes.js';
import type { Regime } from './types.js';

/*
 * Input regimes of batch norm, group norm and the normalisation backwards. Their inputs play different roles (data,
 * weight and bias, running statistics, saved statistics, incoming gradients), and each role needs values that make
 * sense together: a running variance is positive, a saved mean sits near the data's mean and a saved rstd near the
 * reciprocal of its spread, so a regime gives each role its recipe.
 */

/** What an input of a normalisation is. */
export type NormRole = 'x' | 'param' | 'running-mean' | 'running-var' | 'grad' | 'mean' | 'rstd';

const narrow = (d: DType): boolean => LOW_PRECISION.includes(d);
const normal = (mean: number, std: number): Recipe => ({ kind: 'normal', mean, std });

/** Mean over spread of the large-mean regime: float32/float64 10⁴ over 1 (facts §3), float16/bfloat16 200 over 4. */
function largeMean(d: DType): { mean: number; std: number } {
  return narrow(d) ? { mean: 200, std: 4 } : { mean: 1e4, std: 1 };
}

/** rstd of a constant group under eps = 1e-5: 1/√eps. */
const CONSTANT_RSTD = 316.25;

/**
 * Recipes for ordinary data (N(0, 1), the suites' `normal` values): the running and saved statistics of such data.
 * A running variance must be positive (eval mode takes its square root).
 */
export function ordinaryRecipe(role: NormRole): Recipe {
  switch (role) {
    case 'running-mean':
      return normal(0, 0.1);
    case 'running-var':
      return uniform(0.5, 2);
    case 'mean':
      return normal(0, 0.03);
    case 'rstd':
      return uniform(0.9, 1.1);
    default:
      return normal(0, 1);
  }
}

function largeMeanRecipe(role: NormRole, d: DType): Recipe {
  const { mean, std } = largeMean(d);
  switch (role) {
    case 'x':
      return normal(mean, std);
    case 'running-mean':
    case 'mean':
      return normal(mean, std / 100);
    case 'running-var':
      return uniform((std * std) / 2, 2 * std * std);
    case 'rstd':
      return uniform(0.9 / std, 1.1 / std);
    default:
      return normal(0, 1);
  }
}

function constantRecipe(role: NormRole): Recipe {
  switch (role) {
    case 'x':
    case 'running-mean':
    case 'mean':
      return { kind: 'choice', values: [3] };
    case 'rstd':
      return { kind: 'choice', values: [CONSTANT_RSTD] };
    default:
      return ordinaryRecipe(role);
  }
}

function nanRecipe(role: NormRole): Recipe {
  // one NaN in 4096 values: in groups of 1,000–4,000 elements some groups hold one and others none
  return role === 'x' ? { kind: 'sprinkle', mean: 0, std: 1, values: ['nan'], fraction: 1 / 4096 } : ordinaryRecipe(role);
}

/** The regimes of a normalisation whose inputs have these roles, in order. */
export function normRegimes(roles: readonly NormRole[]): Regime[] {
  const regime = (name: string, why: string, recipe: (role: NormRole, d: DType) => Recipe): Regime => ({
    name,
    why,
    recipe: (d, i) => (isFloat(d) ? recipe(roles[i] ?? 'param', d) : null),
  });
  return [
    regime(
      'large-mean',
      'a mean far above the spread (float32: 10^4 over 1): one-pass E[x²] − μ² cancels to nothing, Welford and two-pass do not; backward kernels that form Σg·x − μ·Σg cancel too, and the bound admits exactly that much',
      largeMeanRecipe,
    ),
    regime('constant', 'groups of one value: the variance is exactly 0, the output is the bias (batch norm with eps = 0: rstd is 0, not inf)', constantRecipe),
    regime('nan', "a NaN inside a group makes that group's outputs and statistics NaN, and no other group's", nanRecipe),
  ];
}
