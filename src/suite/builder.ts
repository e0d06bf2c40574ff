import { arg, type Arg } from '../ops/args.js';
import { getOp } from '../ops/registry.js';
import type { OpFamily, Regime } from '../ops/types.js';
import { dtypeInfo, isFloating, type DType } from '../tensor/dtype.js';
import { seedFromId } from '../tensor/prng.js';
import type { InputSpec, Layout, Recipe } from '../tensor/spec.js';
import type { OpCase } from '../workload/case.js';

/** Named value recipes a suite can ask for; each resolves per dtype. */
export const RECIPES = ['uniform', 'normal', 'positive', 'special', 'subnormal', 'ties', 'nonzero-pos', 'nonzero-neg', 'small'] as const;
export type RecipeName = (typeof RECIPES)[number];

/** Named layouts a suite can ask for; each applies to the first input (others stay contiguous). */
export const LAYOUTS = ['contiguous', 'transposed', 'strided', 'offset', 'expanded'] as const;
export type LayoutName = (typeof LAYOUTS)[number];

/** The recipe a name means for a dtype; null where it does not apply (subnormals of an integer dtype). */
export function recipeFor(name: RecipeName, dtype: DType): Recipe | null {
  const info = dtypeInfo(dtype);
  if (name === 'subnormal') return info.kind === 'float' ? { kind: 'subnormal' } : null;
  if (info.kind === 'bool') return name === 'special' ? { kind: 'special' } : { kind: 'bool', p: 0.5 };
  const float = isFloating(dtype);
  const unsigned = info.kind === 'uint';
  switch (name) {
    case 'uniform':
      return float ? { kind: 'uniform', low: -4, high: 4 } : unsigned ? { kind: 'int', low: 0, high: 100 } : { kind: 'int', low: -50, high: 50 };
    case 'normal':
      return float ? { kind: 'normal', mean: 0, std: 1 } : { kind: 'int', low: -20, high: 20 };
    case 'positive':
      return float ? { kind: 'uniform', low: 1 / 64, high: 16 } : { kind: 'int', low: 1, high: 100 };
    case 'small':
      return float ? { kind: 'uniform', low: -1, high: 1 } : { kind: 'int', low: unsigned ? 0 : -3, high: 3 };
    case 'special':
      return { kind: 'special' };
    case 'ties':
      return { kind: 'ties', levels: 4 };
    case 'nonzero-pos':
      return float ? { kind: 'uniform', low: 0.25, high: 8 } : { kind: 'int', low: 1, high: 9 };
    case 'nonzero-neg':
      return float ? { kind: 'uniform', low: -8, high: -0.25 } : { kind: 'int', low: unsigned ? 1 : -9, high: unsigned ? 9 : -1 };
  }
}

function layoutFor(name: LayoutName, shape: number[]): Layout | null {
  switch (name) {
    case 'contiguous':
      return { kind: 'contiguous' };
    case 'transposed':
      return shape.length >= 2 ? { kind: 'transposed' } : null;
    case 'strided':
      return shape.length >= 1 ? { kind: 'strided', step: 2 } : null;
    case 'offset':
      return { kind: 'offset', offset: 3 };
    case 'expanded': {
      // broadcast the first non-trivial dim from size 1
      const d = shape.findIndex((n) => n > 1);
      if (d < 0) return null;
      const from = shape.slice();
      from[d] = 1;
      return { kind: 'expanded', from };
    }
  }
}

/** One entry of the values axis: its name in the variant (null: none) and the recipe of each input. */
interface Values {
  name: string | null;
  /** the recipe of input `input` (dtype `dt`) of a case of dtype `dtype`; null when it does not apply */
  recipe(dt: DType, input: number, dtype: DType): Recipe | null;
}

/** What a case group says about one call: positional args and kwargs, given refs to its tensor inputs. */
export type CallFn = (tensors: Arg[], dtype: DType, shapes: number[][]) => { args: Arg[]; kwargs?: Record<string, Arg> };

interface GroupState {
  op: string;
  family: OpFamily;
  tag: string | null;
  dtypes: DType[];
  shapes: [string, number[][]][];
  layouts: LayoutName[];
  recipes: RecipeName[];
  regimes: Regime[];
  inputDtype: ((dtype: DType, input: number) => DType) | null;
  inputRecipe: ((dtype: DType, input: number, recipe: RecipeName) => RecipeName | Recipe) | null;
  call: CallFn;
  fileUnder: ((dtype: DType) => DType) | null;
}

/**
 * An immutable builder that declares the parameter space of one op's cases: dtypes × shapes, then
 * layouts (with the first recipe) and recipes (with the contiguous layout), so that each axis is swept
 * without the full cross product. A suite file reads like a table of what is tested.
 */
export class CaseGroup {
  private constructor(private readonly s: GroupState) {}

  /** The cases of one op; they are filed under the op's own family, from the op catalogue. */
  static of(op: string): CaseGroup {
    const def = getOp(op);
    // a suite that names an op the catalogue lacks is a bug in the suite file, found when it loads
    if (!def) throw new Error(`the op catalogue has no ${op}`);
    return new CaseGroup({
      op,
      family: def.family,
      tag: null,
      dtypes: [],
      shapes: [],
      layouts: ['contiguous'],
      recipes: ['uniform'],
      regimes: [],
      inputDtype: null,
      inputRecipe: null,
      call: (t) => ({ args: t }),
      fileUnder: null,
    });
  }

  private with(patch: Partial<GroupState>): CaseGroup {
    return new CaseGroup({ ...this.s, ...patch });
  }

  /** A prefix for every variant name (e.g. `floor` for a rounding mode). */
  tag(tag: string): CaseGroup {
    return this.with({ tag });
  }
  dtypes(...lists: (readonly DType[] | DType)[]): CaseGroup {
    const all = lists.flatMap((l) => (typeof l === 'string' ? [l] : [...l]));
    return this.with({ dtypes: [...new Set(all)] });
  }
  /** Named shape sets: each entry lists the logical shape of every tensor input. */
  shapes(named: Record<string, number[][]>): CaseGroup {
    return this.with({ shapes: Object.entries(named) });
  }
  layouts(...layouts: LayoutName[]): CaseGroup {
    return this.with({ layouts });
  }
  values(...recipes: RecipeName[]): CaseGroup {
    return this.with({ recipes });
  }
  /**
   * Sweeps the regimes the op states (all of them, or those named), one case per regime and shape with the
   * contiguous layout: the regions of its domain where implementations differ (src/ops/regimes.ts).
   */
  regimes(...names: string[]): CaseGroup {
    const all = getOp(this.s.op)?.regimes ?? [];
    const unknown = names.filter((n) => !all.some((r) => r.name === n));
    if (unknown.length > 0) throw new Error(`${this.s.op} states no regime ${unknown.join(', ')}`);
    return this.with({ regimes: names.length === 0 ? [...all] : all.filter((r) => names.includes(r.name)) });
  }
  /** Per-input dtype (default: the case dtype), e.g. a bool condition or a mixed-dtype promotion case. */
  inputDtype(fn: (dtype: DType, input: number) => DType): CaseGroup {
    return this.with({ inputDtype: fn });
  }
  /** Per-input recipe override (default: the case's recipe), e.g. a divisor that is never zero. */
  inputRecipe(fn: (dtype: DType, input: number, recipe: RecipeName) => RecipeName | Recipe): CaseGroup {
    return this.with({ inputRecipe: fn });
  }
  call(call: CallFn): CaseGroup {
    return this.with({ call });
  }
  /** The dtype a case is filed under, when not its first input's (e.g. the output dtype of a promotion case). */
  fileUnder(fn: (dtype: DType) => DType): CaseGroup {
    return this.with({ fileUnder: fn });
  }

  expand(suite: string): OpCase[] {
    const s = this.s;
    const out: OpCase[] = [];
    for (const dtype of s.dtypes) {
      for (const [shapeName, shapes] of s.shapes) {
        const combos: [LayoutName, Values][] = [];
        for (const r of s.recipes) combos.push(['contiguous', this.named(r)]);
        for (const l of s.layouts) if (l !== 'contiguous') combos.push([l, this.named(s.recipes[0] ?? 'uniform')]);
        for (const r of s.regimes) combos.push(['contiguous', { name: r.name, recipe: (dt, i) => r.recipe(dt, i) }]);
        for (const [layoutName, values] of combos) {
          const c = this.makeCase(suite, dtype, shapeName, shapes, layoutName, values);
          if (c) out.push(c);
        }
      }
    }
    return out;
  }

  /** A named recipe as a values axis entry: `uniform` adds nothing to the variant name. */
  private named(recipeName: RecipeName): Values {
    const s = this.s;
    return {
      name: recipeName === 'uniform' ? null : recipeName,
      recipe: (dt, i, dtype) => {
        const chosen = s.inputRecipe ? s.inputRecipe(dtype, i, recipeName) : recipeName;
        return typeof chosen === 'string' ? recipeFor(chosen, dt) : chosen;
      },
    };
  }

  private makeCase(suite: string, dtype: DType, shapeName: string, shapes: number[][], layoutName: LayoutName, values: Values): OpCase | null {
    const s = this.s;
    const inputs: InputSpec[] = [];
    for (let i = 0; i < shapes.length; i++) {
      const shape = shapes[i] as number[];
      const dt = s.inputDtype ? s.inputDtype(dtype, i) : dtype;
      const layout = i === 0 ? layoutFor(layoutName, shape) : { kind: 'contiguous' as const };
      if (!layout) return null;
      const recipe = values.recipe(dt, i, dtype);
      if (!recipe) return null;
      inputs.push({ dtype: dt, shape, layout, recipe });
    }
    const refs = inputs.map((_, i) => arg.tensor(i));
    const { args, kwargs } = s.call(refs, dtype, shapes);
    const filed = s.fileUnder ? s.fileUnder(dtype) : dtype;
    // a case filed under another dtype names the dtype it was generated from, so ids stay unique
    const parts = [
      s.tag,
      filed === dtype ? null : dtype,
      shapeName,
      layoutName === 'contiguous' ? null : layoutName,
      values.name,
    ];
    const variant = parts.filter((p): p is string => p !== null).join('-');
    const id = `${suite}/${s.family}/${s.op}/${filed}/${variant}`;
    return { kind: 'op', id, suite, family: s.family, op: s.op, dtype: filed, inputs, args, kwargs: kwargs ?? {}, seed: seedFromId(id) };
  }
}
