import { arg, type Arg } from '../../src/ops/args.js';
import { BATCH_NORM_ROLES } from '../../src/ops/normalization-batch.js';
import { type NormRole, ordinaryRecipe } from '../../src/ops/normalization-regimes.js';
import { CaseGroup, type RecipeName } from '../../src/suite/builder.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import { F } from './common.js';

/**
 * The values of a normalisation's inputs by role: data, gradients and parameters take the named recipe; running and
 * saved statistics take values that belong with N(0, 1) data (a running variance is positive).
 */
const byRole =
  (roles: readonly NormRole[]) =>
  (_d: DType, i: number, recipe: RecipeName): RecipeName | Recipe => {
    const role = roles[i] ?? 'param';
    return role === 'x' || role === 'grad' || role === 'param' ? recipe : ordinaryRecipe(role);
  };

/** A ResNet block's batch: N = 2, C = 64, 28×28; and small shapes of rank 2 (BatchNorm1d), 3 and 4. */
const BN_RESNET = { '2x64x28x28': [[2, 64, 28, 28], [64], [64], [64], [64]] };
const BN_SMALL = { '8x16': [[8, 16], [16], [16], [16], [16]], '4x6x10': [[4, 6, 10], [6], [6], [6], [6]], '4x3x5x5': [[4, 3, 5, 5], [3], [3], [3], [3]] };
/** the same without running statistics (the no_stats overload) */
const noStats = (shapes: Record<string, number[][]>): Record<string, number[][]> => Object.fromEntries(Object.entries(shapes).map(([k, v]) => [k, v.slice(0, 3)]));

type BnCall = 'train' | 'eval' | 'no-stats' | 'no-training';
/** The call of a batch-norm overload: tensors, then (training,) momentum 0.1 and eps. */
const bnCall =
  (kind: BnCall, eps = 1e-5) =>
  (t: Arg[]) => {
    const flags = kind === 'no-training' ? [] : [arg.bool(kind !== 'eval')];
    return { args: [...t, ...flags, arg.float(0.1), arg.float(eps)] };
  };

function batchNorm(op: string, kind: BnCall, functional = false): CaseGroup[] {
  const roles = kind === 'no-stats' ? BATCH_NORM_ROLES.noStats : BATCH_NORM_ROLES.withStats;
  const shape = (s: Record<string, number[][]>) => (kind === 'no-stats' ? noStats(s) : s);
  const base = CaseGroup.of(op).dtypes(F).inputRecipe(byRole(roles));
  const full = kind === 'train' && !functional;
  const groups = [
    base
      .shapes(shape(BN_SMALL))
      .layouts(...(full || kind === 'eval' || kind === 'no-training' ? (['contiguous', 'transposed'] as const) : (['contiguous'] as const)))
      .values('normal')
      .call(bnCall(kind)),
    base
      .shapes(shape(BN_RESNET))
      .layouts(...(full ? (['contiguous', 'transposed'] as const) : (['contiguous'] as const)))
      .values('normal')
      .regimes()
      .call(bnCall(kind)),
  ];
  if (kind === 'train' || kind === 'no-stats') {
    // eps = 0 on a constant channel: rstd is 0 (PyTorch's InvStd), not inf; a tiny eps must stay in the square root
    groups.push(base.tag('eps0').shapes(shape({ '4x3x5x5': BN_SMALL['4x3x5x5'] })).values().regimes('constant').call(bnCall(kind, 0)));
    groups.push(base.tag('eps1e-10').shapes(shape({ '4x3x5x5': BN_SMALL['4x3x5x5'] })).values().regimes('constant').call(bnCall(kind, 1e-10)));
  }
  return groups;
}

const GN_ROLES: NormRole[] = ['x', 'param', 'param'];
/** group norm shapes: [N, C, *spatial] with the group count in the name; 32 groups of a ResNet block, G = 1 and G = C */
const GN_SHAPES: Record<string, { shape: number[]; groups: number }> = {
  '2x6x5-g3': { shape: [2, 6, 5], groups: 3 },
  '3x8x4x4-g4': { shape: [3, 8, 4, 4], groups: 4 },
  '4x6-g2': { shape: [4, 6], groups: 2 },
  '2x8x9-g1': { shape: [2, 8, 9], groups: 1 },
  '2x8x7-g8': { shape: [2, 8, 7], groups: 8 },
};
const GN_RESNET: Record<string, { shape: number[]; groups: number }> = { '2x64x28x28-g32': { shape: [2, 64, 28, 28], groups: 32 } };
const gnGeometry = (shape: readonly number[], groups: number): Arg[] => {
  const n = shape[0] ?? 1;
  const c = shape[1] ?? 1;
  return [arg.int(n), arg.int(c), arg.int(shape.slice(2).reduce((a, b) => a * b, 1)), arg.int(groups)];
};
/** The group count of a shape set, read back from the named table (a call sees shapes, not names). */
const groupsOf = (table: Record<string, { shape: number[]; groups: number }>, shape: readonly number[]): number =>
  Object.values(table).find((e) => e.shape.length === shape.length && e.shape.every((v, k) => v === shape[k]))?.groups ?? 1;

function groupNorm(table: Record<string, { shape: number[]; groups: number }>, eps = 1e-5) {
  const shapes = Object.fromEntries(Object.entries(table).map(([k, e]) => [k, [e.shape, [e.shape[1] ?? 1], [e.shape[1] ?? 1]]]));
  return CaseGroup.of('aten.native_group_norm.default')
    .dtypes(F)
    .shapes(shapes)
    .inputRecipe(byRole(GN_ROLES))
    .call((t, _d, sh) => {
      const x = sh[0] ?? [];
      return { args: [t[0] as Arg, t[1] as Arg, t[2] as Arg, ...gnGeometry(x, groupsOf(table, x)), arg.float(eps)] };
    });
}

const GNB_ROLES: NormRole[] = ['grad', 'x', 'mean', 'rstd', 'param'];
const mask = (m: [boolean, boolean, boolean]): Arg => arg.ints(m.map((b) => (b ? 1 : 0)));

function groupNormBackward(table: Record<string, { shape: number[]; groups: number }>, m: [boolean, boolean, boolean]) {
  const shapes = Object.fromEntries(
    Object.entries(table).map(([k, e]) => {
      const stats = [e.shape[0] ?? 1, e.groups];
      return [k, [e.shape, e.shape, stats, stats, [e.shape[1] ?? 1]]];
    }),
  );
  return CaseGroup.of('aten.native_group_norm_backward.default')
    .dtypes(F)
    .shapes(shapes)
    .inputRecipe(byRole(GNB_ROLES))
    .call((t, _d, sh) => {
      const x = sh[1] ?? [];
      return { args: [t[0] as Arg, t[1] as Arg, t[2] as Arg, t[3] as Arg, t[4] as Arg, ...gnGeometry(x, groupsOf(table, x)), mask(m)] };
    });
}

const LNB_ROLES: NormRole[] = ['grad', 'x', 'mean', 'rstd', 'param', 'param'];
/** layer-norm backward: rows × normalized shape, with the per-row statistics' shape */
const lnbShapes = (named: Record<string, { lead: number[]; norm: number[] }>, params: 0 | 2) =>
  Object.fromEntries(
    Object.entries(named).map(([k, { lead, norm }]) => {
      const x = [...lead, ...norm];
      const stats = [...lead, ...norm.map(() => 1)];
      return [k, [x, x, stats, stats, ...(params === 2 ? [norm, norm] : [])]];
    }),
  );
const LNB_SMALL = { '8x64': { lead: [8], norm: [64] }, '2x3x32': { lead: [2, 3], norm: [32] } };
const LNB_LONG = { '16x4096': { lead: [16], norm: [4096] } };

function layerNormBackward(named: Record<string, { lead: number[]; norm: number[] }>, m: [boolean, boolean, boolean], params: 0 | 2 = 2) {
  return CaseGroup.of('aten.native_layer_norm_backward.default')
    .dtypes(F)
    .shapes(lnbShapes(named, params))
    .inputRecipe(byRole(LNB_ROLES))
    .call((t, _d, sh) => {
      const norm = sh[4] ?? Object.values(named)[0]?.norm ?? [];
      const w = params === 2 ? [t[4] as Arg, t[5] as Arg] : [arg.none(), arg.none()];
      return { args: [t[0] as Arg, t[1] as Arg, arg.ints(norm), t[2] as Arg, t[3] as Arg, ...w, mask(m)] };
    });
}

/** The core suite's normalization cases. */
export const NORMALIZATION: CaseGroup[] = [
  CaseGroup.of('aten._softmax.default')
    .dtypes(F)
    .shapes({ '6x50': [[6, 50]], '2x3x40': [[2, 3, 40]] })
    .layouts('contiguous', 'transposed')
    .values('normal', 'special')
    .call((t) => ({ args: [...t, arg.int(-1), arg.bool(false)] })),
  CaseGroup.of('aten._softmax.default')
    .tag('dim0')
    .dtypes(F)
    .shapes({ '6x50': [[6, 50]] })
    .values('normal')
    .call((t) => ({ args: [...t, arg.int(0), arg.bool(false)] })),
  CaseGroup.of('aten._softmax.default')
    .dtypes(F)
    .shapes({ '8x4096': [[8, 4096]] })
    .layouts('contiguous', 'transposed')
    .values('normal', 'special')
    .regimes('large-logits', 'constant', 'masked')
    .call((t) => ({ args: [...t, arg.int(-1), arg.bool(false)] })),
  CaseGroup.of('aten._softmax.default')
    .dtypes(F)
    .shapes({ '64x3': [[64, 3]] })
    .values()
    .regimes('mostly-masked')
    .call((t) => ({ args: [...t, arg.int(-1), arg.bool(false)] })),
  CaseGroup.of('aten.native_layer_norm.default')
    .dtypes(F)
    .shapes({ '8x64': [[8, 64], [64], [64]], '2x3x32': [[2, 3, 32], [32], [32]] })
    .layouts('contiguous', 'transposed')
    .values('normal')
    .call((t, _d, shapes) => ({ args: [t[0] as Arg, arg.ints(shapes[1] ?? []), t[1] as Arg, t[2] as Arg, arg.float(1e-5)] })),
  CaseGroup.of('aten.native_layer_norm.default')
    .dtypes(F)
    .shapes({ '16x4096': [[16, 4096], [4096], [4096]] })
    .layouts('contiguous', 'transposed')
    .values('normal')
    .regimes()
    .call((t, _d, shapes) => ({ args: [t[0] as Arg, arg.ints(shapes[1] ?? []), t[1] as Arg, t[2] as Arg, arg.float(1e-5)] })),

  // Batch norm. 1.13 has only native_batch_norm; the _legit overloads (2.x) run the same CPU kernel.
  ...batchNorm('aten.native_batch_norm.default', 'train'),
  ...batchNorm('aten.native_batch_norm.default', 'eval').map((g) => g.tag('eval')),
  ...batchNorm('aten._native_batch_norm_legit.default', 'train'),
  ...batchNorm('aten._native_batch_norm_legit.no_stats', 'no-stats'),
  ...batchNorm('aten._native_batch_norm_legit_no_training.default', 'no-training'),
  ...batchNorm('aten._native_batch_norm_legit_functional.default', 'train', true),

  // Group norm: small shapes, a ResNet block's 32 groups with every regime, a tiny eps. Non-contiguous inputs only in
  // float64 (the full profile): PyTorch 1.13's native_group_norm requires a contiguous input (it raises), and its
  // backward reads a non-contiguous grad_out's storage as if contiguous (a wrong answer; 2.x makes both contiguous).
  groupNorm(GN_SHAPES).values('normal'),
  groupNorm(GN_RESNET).values('normal').regimes(),
  groupNorm({ '2x6x5-g3': { shape: [2, 6, 5], groups: 3 } }, 1e-10).tag('eps1e-10').values().regimes('constant'),
  groupNorm(GN_SHAPES).dtypes('float64').values().layouts('transposed'),
  groupNormBackward(GN_SHAPES, [true, true, true]).values('normal'),
  groupNormBackward(GN_RESNET, [true, true, true]).values('normal').regimes(),
  groupNormBackward(GN_SHAPES, [true, true, true]).dtypes('float64').values().layouts('transposed'),
  groupNormBackward({ '2x6x5-g3': { shape: [2, 6, 5], groups: 3 } }, [true, false, false]).tag('mask100').values('normal'),
  groupNormBackward({ '2x6x5-g3': { shape: [2, 6, 5], groups: 3 } }, [false, true, true]).tag('mask011').values('normal'),

  // Layer-norm backward: 16 rows of 4096 (a transformer's hidden size) with every regime; masks; no weight.
  layerNormBackward(LNB_SMALL, [true, true, true]).layouts('contiguous', 'transposed').values('normal'),
  layerNormBackward(LNB_LONG, [true, true, true]).layouts('contiguous', 'transposed').values('normal').regimes(),
  layerNormBackward({ '8x64': LNB_SMALL['8x64'] }, [true, false, false]).tag('mask100').values('normal'),
  layerNormBackward({ '8x64': LNB_SMALL['8x64'] }, [false, true, true]).tag('mask011').values('normal'),
  layerNormBackward({ '8x64': LNB_SMALL['8x64'] }, [true, false, false], 0).tag('no-weight').values('normal'),
];
