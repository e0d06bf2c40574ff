import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup, type LayoutName, type RecipeName } from '../../src/suite/builder.js';
import { dtypeInfo, floatFormat, minSubnormal, roundToFloat, ulpOf, type DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import { ALL, ALL_LAYOUTS, F } from './common.js';

/*
 * The core suite's view, copy and pad cases. Every op gets one main shape swept over every layout (a view of a
 * transposed, strided, offset or expanded input is where devices go wrong) and the `special` and `subnormal`
 * recipes (copies must keep NaN, ±inf, the sign of zero and subnormals), and lighter variants for the argument
 * edges PyTorch defines: negative dims and indices, -1 sizes, out-of-range slice bounds, zero-size dims, scalars.
 */

const FULL_VALUES: RecipeName[] = ['uniform', 'special', 'subnormal'];
const LIGHT_LAYOUTS: LayoutName[] = ['contiguous', 'strided'];

interface Variant {
  /** the shape part of the case id */
  name: string;
  /** the tensor inputs' shapes */
  shapes: number[][];
  /** arguments after the tensors */
  args?: Arg[];
  kwargs?: Record<string, Arg>;
  /** a lighter sweep (contiguous and strided, uniform values) than the main shape's */
  light?: boolean;
  layouts?: LayoutName[];
  values?: RecipeName[];
  dtypes?: DType[];
}

function groups(op: string, dtypes: DType[], variants: Variant[]): CaseGroup[] {
  return variants.map((v) =>
    CaseGroup.of(op)
      .dtypes(v.dtypes ?? dtypes)
      .shapes({ [v.name]: v.shapes })
      .layouts(...(v.layouts ?? (v.light ? LIGHT_LAYOUTS : [...ALL_LAYOUTS])))
      .values(...(v.values ?? (v.light ? ['uniform'] : FULL_VALUES)))
      .call((t) => ({ args: [...t, ...(v.args ?? [])], kwargs: v.kwargs ?? {} })),
  );
}

const { int, ints, none } = arg;
const dtypeArg = (value: DType): Arg => ({ kind: 'dtype', value });

// ── conversions (_to_copy, copy) ──────────────────────────────────────────────────────────────────────────

const isFloat = (d: DType): boolean => dtypeInfo(d).kind === 'float';
const isIntegral = (d: DType): boolean => dtypeInfo(d).kind === 'int' || dtypeInfo(d).kind === 'uint';
const FLOAT8: DType[] = ['float8_e4m3fn', 'float8_e5m2'];

/** Whether x is a value of dtype d (finite values only). */
const holds = (d: DType, x: number): boolean => Number.isFinite(x) && roundToFloat(d, x) === x;

/** The largest value of float dtype d below `bound` (> 0). */
function largestBelow(d: DType, bound: number): number {
  const max = floatFormat(d).maxFinite;
  if (max < bound) return max;
  let c = roundToFloat(d, bound);
  // step down one ULP at a time; just below a power of two the spacing is that of the binade underneath
  while (c >= bound) c -= ulpOf(d, c * (1 - 2 ** -52));
  return c;
}

/**
 * The precision a conversion case's edge values are built in: float16, bfloat16 and float8 are made from float32
 * (c10's types have only a float constructor), so a float64 or int64 value that is not a float32 rounds twice;
 * PyTorch's CPU and CUDA agree on that, another library might round once. Edge values are kept float32-exact there,
 * so that both roundings agree and the cases test the target's rounding, not that detail.
 */
function edgeDtype(src: DType, dst: DType): DType {
  const narrow = dst === 'float16' || dst === 'bfloat16' || FLOAT8.includes(dst);
  return src === 'float64' && narrow ? 'float32' : src;
}

/** Distinct values of `src` (and of edgeDtype) from the candidates, each as itself and negated. */
function edgeChoice(src: DType, dst: DType, candidates: number[], keep: (x: number) => boolean = () => true): Recipe | null {
  const e = edgeDtype(src, dst);
  const out = new Set<number>();
  for (const c of candidates) {
    for (const x of [c, -c]) {
      if (!Number.isFinite(x)) {
        if (isFloat(src) && floatFormat(src).hasInfinity) out.add(x);
        continue;
      }
      const v = isFloat(src) ? roundToFloat(e, x) : x;
      if ((isFloat(src) ? holds(src, v) && holds(e, v) : Number.isSafeInteger(v)) && keep(v)) out.add(v);
    }
  }
  const values = [...out].filter((v) => !Object.is(v, -0) || isFloat(src));
  return values.length > 1 ? { kind: 'choice', values: values.map((v) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v)) } : null;
}

/** float → integer: values whose truncation the target holds, up to just inside both ends of its range. */
function floatToIntEdges(src: DType, dst: DType): Recipe | null {
  const info = dtypeInfo(dst);
  const lo = info.min ?? 0;
  const hi = info.max ?? 0;
  // past hi + 1 or below lo − 1 the C++ conversion is undefined: never generated
  const top = largestBelow(src, hi + 1);
  const bottom = lo === 0 ? -largestBelow(src, 1) : -largestBelow(src, -lo + 1);
  const inRange = (x: number): boolean => x > lo - 1 && x < hi + 1;
  const small = [0, 0.5, 0.75, 1, 1.5, 2.5, 7.9375, 100.5, 126.5];
  return edgeChoice(src, dst, [...small, top, hi, -bottom, -lo].filter((x) => Number.isFinite(x)), inRange);
}

/** float → narrower float: rounding ties of the target, its overflow threshold and its subnormal floor. */
function floatToFloatEdges(src: DType, dst: DType): Recipe | null {
  const t = floatFormat(dst);
  const s = floatFormat(src);
  const candidates: number[] = [];
  if (t.maxFinite < s.maxFinite) {
    const half = ulpOf(dst, t.maxFinite) / 2;
    const e = edgeDtype(src, dst);
    // the largest finite, a hair below the tie above it (rounds down), the tie (to even: up, past the top — except
    // e4m3fn, whose largest has an even significand), beyond, and the source's largest
    candidates.push(t.maxFinite, largestBelow(e, t.maxFinite + half), t.maxFinite + half, t.maxFinite + 2 * half, 2 * t.maxFinite, s.maxFinite, Infinity);
  }
  const sub = minSubnormal(dst);
  if (sub > minSubnormal(src)) {
    // half the smallest subnormal is a tie (to 0), three quarters round up, 1.5 is a tie (to 2, even)
    candidates.push(sub / 4, sub / 2, 0.75 * sub, sub, 1.5 * sub, 2 ** t.minExponent - sub, 2 ** t.minExponent);
  }
  if (t.mantissaBits < s.mantissaBits) candidates.push(1 + 2 ** -(t.mantissaBits + 1), 1 + 3 * 2 ** -(t.mantissaBits + 1));
  return edgeChoice(src, dst, candidates);
}

/** Rounding ties of a narrower float target: k·2^-(m+1) in [1, 2) (odd k are ties) and below, both signs. */
function tiesGrid(src: DType, dst: DType): Recipe | null {
  const m = floatFormat(dst).mantissaBits;
  if (m >= floatFormat(src).mantissaBits) return null;
  const k = 2 ** (m + 2) - 1;
  return { kind: 'grid', low: -k, high: k, exponent: -(m + 1) };
}

/** integer → float: integers just past the target's exact range (ties and their neighbours), overflow for float16. */
function intToFloatEdges(src: DType, dst: DType): Recipe | null {
  const m = floatFormat(dst).mantissaBits;
  const p = 2 ** (m + 1);
  const info = dtypeInfo(src);
  const max = src === 'int64' ? Number.MAX_SAFE_INTEGER : (info.max ?? 0);
  const min = src === 'int64' ? -Number.MAX_SAFE_INTEGER : (info.min ?? 0);
  // a target built from float32 sees the integer rounded to float32 first: keep to float32-exact integers there
  const viaFloat32 = dst === 'float16' || dst === 'bfloat16' || FLOAT8.includes(dst);
  const candidates = [p - 1, p, p + 1, p + 2, p + 3, 2 * p + 2, 2 * p + 6, floatFormat(dst).maxFinite, floatFormat(dst).maxFinite + ulpOf(dst, floatFormat(dst).maxFinite) / 2, max, min];
  // keep integers the source holds, exact in float32 where the target is built from float32
  return edgeChoice(src, dst, candidates, (x) => Number.isInteger(x) && x >= min && x <= max && (!viaFloat32 || holds('float32', x)));
}

/** A conversion case set from `src` to `dst`: [tag, recipe or named recipes, layouts]. */
interface ConversionSet {
  tag: string;
  values: RecipeName[];
  recipe?: Recipe;
  layouts: LayoutName[];
  shape: number[];
}

function conversionSets(src: DType, dst: DType): ConversionSet[] {
  const to = `to-${dst}`;
  const sets: ConversionSet[] = [];
  const plain = (values: RecipeName[]): ConversionSet => ({ tag: to, values, layouts: ['contiguous', 'transposed', 'strided'], shape: [5, 7] });
  const custom = (label: string, recipe: Recipe | null): void => {
    if (recipe) sets.push({ tag: `${to}-${label}`, values: ['uniform'], recipe, layouts: ['contiguous'], shape: [8, 16] });
  };
  if (isFloat(src) && isIntegral(dst)) {
    const info = dtypeInfo(dst);
    const low = info.kind === 'uint' ? -largestBelow(src, 1) : -100;
    sets.push({ ...plain(['uniform', 'subnormal']), recipe: { kind: 'uniform', low, high: Math.min(100, info.max ?? 100) } });
    custom('edges', floatToIntEdges(src, dst));
  } else if (isFloat(src) && isFloat(dst)) {
    sets.push(plain(['uniform', 'special', 'subnormal']));
    custom('ties', tiesGrid(src, dst));
    custom('edges', floatToFloatEdges(src, dst));
  } else if (isFloat(src)) {
    sets.push(plain(['uniform', 'special', 'subnormal']));
  } else if (isFloat(dst)) {
    sets.push(plain(['uniform', 'special']));
    if (isIntegral(src)) custom('edges', intToFloatEdges(src, dst));
  } else {
    sets.push(plain(['uniform', 'special']));
  }
  return sets;
}

/** float8 conversions are filed under the float8 dtype: no profile requires them until one names float8. */
const fileConversion = (src: DType, dst: DType): DType => (FLOAT8.includes(dst) ? dst : src);

function toCopyConversions(): CaseGroup[] {
  const out: CaseGroup[] = [];
  const sources: DType[] = [...ALL, ...FLOAT8];
  for (const src of sources) {
    const targets = FLOAT8.includes(src) ? F : [...ALL, ...(isFloat(src) ? FLOAT8 : [])];
    for (const dst of targets) {
      if (dst === src) continue;
      for (const set of conversionSets(src, dst)) {
        out.push(
          CaseGroup.of('aten._to_copy.default')
            .tag(set.tag)
            .dtypes(src)
            .shapes({ [set.shape.join('x')]: [set.shape] })
            .layouts(...set.layouts)
            .values(...set.values)
            .inputRecipe((_d, _i, name) => (set.recipe && name === 'uniform' ? set.recipe : name))
            .fileUnder(() => fileConversion(src, dst))
            .call((t) => ({ args: t, kwargs: { dtype: dtypeArg(dst) } })),
        );
      }
    }
  }
  return out;
}

/** copy(self, src): src is the case's first input (its layout is swept), self (the destination) the second. */
function copyConversions(): CaseGroup[] {
  const out: CaseGroup[] = [];
  for (const src of ALL) {
    for (const dst of ['float32', 'bfloat16', 'int32', 'bool'] as DType[]) {
      if (dst === src) continue;
      for (const set of conversionSets(src, dst).filter((s) => s.tag === `to-${dst}`)) {
        out.push(
          CaseGroup.of('aten.copy.default')
            .tag(set.tag)
            .dtypes(src)
            .shapes({ '5x7': [[5, 7], [5, 7]] })
            .layouts(...set.layouts)
            .values(...set.values)
            .inputDtype((d, i) => (i === 0 ? d : dst))
            .inputRecipe((_d, i, name) => (i === 1 ? 'uniform' : set.recipe && name === 'uniform' ? set.recipe : name))
            .call((t) => ({ args: [t[1] ?? none(), t[0] ?? none()] })),
        );
      }
    }
  }
  return out;
}

/** copy with src (first input) broadcast to self's shape (second input), in one dtype. */
const copySame = (name: string, src: number[], self: number[], light = false): CaseGroup =>
  CaseGroup.of('aten.copy.default')
    .dtypes(ALL)
    .shapes({ [name]: [src, self] })
    .layouts(...(light ? LIGHT_LAYOUTS : [...ALL_LAYOUTS]))
    .values(...(light ? (['uniform'] as RecipeName[]) : FULL_VALUES))
    .inputRecipe((_d, i, r) => (i === 1 ? 'uniform' : r))
    .call((t) => ({ args: [t[1] ?? none(), t[0] ?? none()] }));

// ── pads ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * reflection and replication pads: floating dtypes only. PyTorch's CPU kernels dispatch floating types (1.13:
 * float32 and float64 only; later bfloat16, and float16 for reflection_pad3d); CUDA adds integers. An integer case
 * would be unsupported on every CPU build, so none is required.
 */
const PAD_DTYPES = F;

export const VIEWS: CaseGroup[] = [
  ...groups('aten.alias.default', ALL, [
    { name: '5x7', shapes: [[5, 7]] },
    { name: 'scalar', shapes: [[]], layouts: ['contiguous', 'offset'], values: ['uniform', 'special'] },
    { name: 'empty-0x4', shapes: [[0, 4]], light: true },
  ]),

  // as_strided addresses the input's storage: only contiguous inputs, with or without a storage offset (then the
  // call leaves storage_offset None, which keeps the input's)
  ...groups('aten.as_strided.default', ALL, [
    { name: 'window-6-to-4x3', shapes: [[6]], args: [ints([4, 3]), ints([1, 1])], layouts: ['contiguous', 'offset'] },
    { name: 'transpose-4x3', shapes: [[4, 3]], args: [ints([3, 4]), ints([1, 3])], layouts: ['contiguous', 'offset'], values: ['uniform', 'special'] },
    { name: 'stride0-5-to-3x5', shapes: [[5]], args: [ints([3, 5]), ints([0, 1])], layouts: ['contiguous', 'offset'], values: ['uniform'] },
    { name: 'storage-offset-4x5', shapes: [[4, 5]], args: [ints([2, 3]), ints([5, 2]), int(6)], layouts: ['contiguous'], values: ['uniform', 'special'] },
    { name: 'scalar-at-2', shapes: [[3]], args: [ints([]), ints([]), int(2)], layouts: ['contiguous'], values: ['uniform'] },
    { name: 'empty-0x3', shapes: [[4]], args: [ints([0, 3]), ints([1, 1])], layouts: ['contiguous'], values: ['uniform'] },
  ]),

  ...groups('aten.diagonal.default', ALL, [
    { name: '4x5', shapes: [[4, 5]] },
    { name: '4x5-offset2', shapes: [[4, 5]], args: [int(2)], light: true },
    { name: '4x5-offset-3', shapes: [[4, 5]], args: [int(-3)], light: true },
    { name: '2x3x4-offset1-dims-1-0', shapes: [[2, 3, 4]], args: [int(1), int(-1), int(0)], layouts: ['contiguous', 'transposed', 'strided'], values: ['uniform'] },
    { name: '4x5-offset5-empty', shapes: [[4, 5]], args: [int(5)], light: true },
    { name: 'empty-0x3', shapes: [[0, 3]], light: true },
  ]),

  ...groups('aten.expand.default', ALL, [
    { name: '3x1-to-2x3x4', shapes: [[3, 1]], args: [ints([2, -1, 4])] },
    { name: 'scalar-to-2x3', shapes: [[]], args: [ints([2, 3])], layouts: ['contiguous', 'offset'], values: ['uniform', 'special'] },
    { name: '0x1-to-0x5', shapes: [[0, 1]], args: [ints([-1, 5])], light: true },
    { name: '3x1-to-3x0', shapes: [[3, 1]], args: [ints([3, 0])], light: true },
  ]),

  ...groups('aten.flip.default', ALL, [
    { name: '4x5-dims01', shapes: [[4, 5]], args: [ints([0, 1])] },
    { name: '2x3x4-dim-1', shapes: [[2, 3, 4]], args: [ints([-1])], layouts: ['contiguous', 'transposed', 'strided'], values: ['uniform'] },
    // flipping a dim of size 1 changes nothing (MPS reversed the next dim instead: pytorch #96558, #98266)
    { name: '1x5-dim0', shapes: [[1, 5]], args: [ints([0])], layouts: ['contiguous', 'strided'], values: ['uniform', 'special'] },
    { name: '3x1x4-dim1', shapes: [[3, 1, 4]], args: [ints([1])], light: true },
    { name: 'scalar', shapes: [[]], args: [ints([0])], layouts: ['contiguous', 'offset'], values: ['uniform'] },
    { name: 'empty-0x3', shapes: [[0, 3]], args: [ints([0, 1])], light: true },
  ]),

  ...groups('aten.repeat.default', ALL, [
    { name: '2x3-by-2x1x2', shapes: [[2, 3]], args: [ints([2, 1, 2])] },
    { name: 'scalar-by-2x3', shapes: [[]], args: [ints([2, 3])], layouts: ['contiguous', 'offset'], values: ['uniform'] },
    { name: '2x3-by-0x1', shapes: [[2, 3]], args: [ints([0, 1])], light: true },
    { name: 'empty-0x3-by-2x2', shapes: [[0, 3]], args: [ints([2, 2])], light: true },
  ]),

  ...groups('aten.select.int', ALL, [
    { name: '4x5-dim0-index2', shapes: [[4, 5]], args: [int(0), int(2)] },
    { name: '4x5-dim1-index-1', shapes: [[4, 5]], args: [int(1), int(-1)], layouts: ['contiguous', 'transposed', 'strided'], values: ['uniform'] },
    { name: '2x3x4-dim-2-index1', shapes: [[2, 3, 4]], args: [int(-2), int(1)], light: true },
    { name: 'empty-0x3-dim1', shapes: [[0, 3]], args: [int(1), int(0)], light: true },
  ]),

  ...groups('aten.slice.Tensor', ALL, [
    { name: '6x5-dim1-1-4', shapes: [[6, 5]], args: [int(1), int(1), int(4)] },
    { name: '6x5-dim0-step2', shapes: [[6, 5]], args: [int(0), none(), none(), int(2)], layouts: ['contiguous', 'transposed', 'strided'], values: ['uniform'] },
    { name: '6x5-dim1-negative', shapes: [[6, 5]], args: [int(-1), int(-4), int(-1)], light: true },
    { name: '6x5-dim1-clamped-step3', shapes: [[6, 5]], args: [int(1), int(-100), int(100), int(3)], light: true },
    { name: '6x5-dim0-end-before-start', shapes: [[6, 5]], args: [int(0), int(4), int(2)], light: true },
    { name: '6x5-dim0-start-past-end', shapes: [[6, 5]], args: [int(0), int(10), int(20)], light: true },
    { name: '6x5-defaults', shapes: [[6, 5]], light: true },
    { name: '7-step3', shapes: [[7]], args: [int(0), int(1), none(), int(3)], light: true },
  ]),

  ...groups('aten.split_with_sizes.default', ALL, [
    { name: '7x3-2-0-5', shapes: [[7, 3]], args: [ints([2, 0, 5])] },
    { name: '4x6-dim-1-1-2-3', shapes: [[4, 6]], args: [ints([1, 2, 3]), int(-1)], layouts: ['contiguous', 'transposed', 'strided'], values: ['uniform'] },
    { name: 'empty-0x4-0-0', shapes: [[0, 4]], args: [ints([0, 0]), int(0)], light: true },
    { name: '5-whole', shapes: [[5]], args: [ints([5])], light: true },
  ]),

  ...groups('aten.squeeze.dim', ALL, [
    { name: '3x1x4-dim1', shapes: [[3, 1, 4]], args: [int(1)] },
    { name: '3x1x4-dim0-kept', shapes: [[3, 1, 4]], args: [int(0)], light: true },
    { name: '1x1-dim-1', shapes: [[1, 1]], args: [int(-1)], light: true },
    { name: 'scalar-dim0', shapes: [[]], args: [int(0)], layouts: ['contiguous', 'offset'], values: ['uniform'] },
    { name: 'empty-0x1-dim1', shapes: [[0, 1]], args: [int(1)], light: true },
  ]),

  // PyTorch 2.0 and later: `unsupported` on 1.13, which has no such overload
  ...groups('aten.squeeze.dims', ALL, [
    { name: '3x1x4x1-dims-1-3', shapes: [[3, 1, 4, 1]], args: [ints([1, 3])] },
    { name: '1x3x1-dims-0-neg1', shapes: [[1, 3, 1]], args: [ints([0, -1])], light: true },
    { name: '3x1x4-dims0-kept', shapes: [[3, 1, 4]], args: [ints([0])], light: true },
    { name: 'scalar-dims0', shapes: [[]], args: [ints([0])], layouts: ['contiguous', 'offset'], values: ['uniform'] },
    { name: 'empty-0x1-dims01', shapes: [[0, 1]], args: [ints([0, 1])], light: true },
  ]),

  ...groups('aten.unsqueeze.default', ALL, [
    { name: '3x4-dim1', shapes: [[3, 4]], args: [int(1)] },
    { name: '3x4-dim2', shapes: [[3, 4]], args: [int(2)], light: true },
    { name: '3x4-dim-3', shapes: [[3, 4]], args: [int(-3)], light: true },
    { name: 'scalar-dim-1', shapes: [[]], args: [int(-1)], layouts: ['contiguous', 'offset'], values: ['uniform'] },
    { name: 'empty-0x3-dim1', shapes: [[0, 3]], args: [int(1)], light: true },
  ]),

  // copy(self, src): the destination's dtype, src broadcast to its shape
  copySame('5x7', [5, 7], [5, 7]),
  copySame('broadcast-7-to-5x7', [7], [5, 7], true),
  copySame('broadcast-5x1-to-5x7', [5, 1], [5, 7], true),
  copySame('scalar-to-3x4', [], [3, 4], true),
  copySame('empty-0x4', [0, 4], [0, 4], true),
  ...copyConversions(),

  // _to_copy without a dtype is a plain copy; with one, a conversion (every pair, with the target's edges)
  ...groups('aten._to_copy.default', ALL, [
    { name: '5x7', shapes: [[5, 7]] },
    { name: 'scalar', shapes: [[]], layouts: ['contiguous', 'offset'], values: ['uniform', 'special'] },
    { name: 'empty-0x4', shapes: [[0, 4]], light: true },
  ]),
  ...toCopyConversions(),

  ...groups('aten.constant_pad_nd.default', ALL, [
    { name: '2x3-pad-1-2-0-1', shapes: [[2, 3]], args: [ints([1, 2, 0, 1])] },
    { name: '4x5-crop-and-pad', shapes: [[4, 5]], args: [ints([-1, 2, 1, -2])], layouts: ['contiguous', 'transposed', 'strided'], values: ['uniform'] },
    { name: '4x5-crop-only', shapes: [[4, 5]], args: [ints([-1, -1, 0, -2])], light: true },
    { name: '2x3x4-last-dim', shapes: [[2, 3, 4]], args: [ints([2, 1])], light: true },
    { name: '2x3-value-2.5', shapes: [[2, 3]], args: [ints([1, 1, 1, 1]), arg.float(2.5)], light: true },
    { name: '2x3-value-minus-one', shapes: [[2, 3]], args: [ints([1, 1, 1, 1]), int(-1)], light: true },
    { name: '2x3-value-nan', shapes: [[2, 3]], args: [ints([0, 2]), arg.float(NaN)], light: true, dtypes: F },
    { name: '2x3-value-third', shapes: [[2, 3]], args: [ints([0, 2]), arg.float(1 / 3)], light: true, dtypes: F },
    { name: '2x3-value-neg-inf', shapes: [[2, 3]], args: [ints([1, 0]), arg.float(-Infinity)], light: true, dtypes: F },
    { name: 'scalar-no-pad', shapes: [[]], args: [ints([])], layouts: ['contiguous', 'offset'], values: ['uniform'] },
    { name: 'empty-0x3', shapes: [[0, 3]], args: [ints([1, 1])], light: true },
  ]),

  ...groups('aten.reflection_pad1d.default', PAD_DTYPES, [
    { name: '2x3x5-pad-2-3', shapes: [[2, 3, 5]], args: [ints([2, 3])] },
    { name: '3x6-pad-5-1', shapes: [[3, 6]], args: [ints([5, 1])], light: true },
    { name: '2x3x5-pad-neg1-4', shapes: [[2, 3, 5]], args: [ints([-1, 4])], light: true },
    { name: 'batch0-0x2x4', shapes: [[0, 2, 4]], args: [ints([1, 1])], light: true },
  ]),
  ...groups('aten.reflection_pad2d.default', PAD_DTYPES, [
    { name: '1x2x4x5-pad-1-2-3-0', shapes: [[1, 2, 4, 5]], args: [ints([1, 2, 3, 0])] },
    { name: '2x4x5-pad-4-0-3-3', shapes: [[2, 4, 5]], args: [ints([4, 0, 3, 3])], light: true },
    { name: '1x1x4x5-pad-neg1-2-1-neg2', shapes: [[1, 1, 4, 5]], args: [ints([-1, 2, 1, -2])], light: true },
    { name: 'batch0-0x1x3x4', shapes: [[0, 1, 3, 4]], args: [ints([1, 1, 1, 1])], light: true },
  ]),
  ...groups('aten.reflection_pad3d.default', PAD_DTYPES, [
    { name: '1x2x3x4x5-pad-1-2-2-0-1-1', shapes: [[1, 2, 3, 4, 5]], args: [ints([1, 2, 2, 0, 1, 1])] },
    { name: '2x3x3x4-pad-3-0-2-2-2-1', shapes: [[2, 3, 3, 4]], args: [ints([3, 0, 2, 2, 2, 1])], light: true },
    { name: '1x1x3x4x5-pad-neg1-1-0-2-1-0', shapes: [[1, 1, 3, 4, 5]], args: [ints([-1, 1, 0, 2, 1, 0])], light: true },
  ]),
  ...groups('aten.replication_pad2d.default', PAD_DTYPES, [
    { name: '1x2x4x5-pad-1-2-3-0', shapes: [[1, 2, 4, 5]], args: [ints([1, 2, 3, 0])] },
    // wider than the input: replication allows it (reflection raises)
    { name: '2x3x4-pad-6-7-5-4', shapes: [[2, 3, 4]], args: [ints([6, 7, 5, 4])], light: true },
    { name: '1x1x4x5-pad-neg1-2-0-neg2', shapes: [[1, 1, 4, 5]], args: [ints([-1, 2, 0, -2])], light: true },
    { name: 'batch0-0x1x3x4', shapes: [[0, 1, 3, 4]], args: [ints([1, 1, 1, 1])], light: true },
  ]),
  ...groups('aten.replication_pad3d.default', PAD_DTYPES, [
    { name: '1x2x3x4x5-pad-1-2-2-0-1-1', shapes: [[1, 2, 3, 4, 5]], args: [ints([1, 2, 2, 0, 1, 1])] },
    { name: '2x2x3x4-pad-5-4-3-3-4-2', shapes: [[2, 2, 3, 4]], args: [ints([5, 4, 3, 3, 4, 2])], light: true },
    { name: '1x1x3x4x5-pad-neg2-1-0-1-1-neg1', shapes: [[1, 1, 3, 4, 5]], args: [ints([-2, 1, 0, 1, 1, -1])], light: true },
  ]),

  // col2im (fold): overlapping blocks add up; witnesses make every order exact
  ...col2imGroups(),
];

/**
 * Grids on which a sum of up to 9 terms is exact in the dtype in every order (|sum| < 2^(p + e)): float64 beyond
 * float32, float32 beyond float16, float16 on 2^-4 (sums ≤ 36 < 2^7), bfloat16 on 2^-3 (sums ≤ 18 < 2^5).
 */
const COL2IM_WITNESS: Partial<Record<DType, Recipe>> = {
  float64: { kind: 'grid', low: -(2 ** 20), high: 2 ** 20, exponent: -40 },
  float32: { kind: 'grid', low: -256, high: 256, exponent: -8 },
  float16: { kind: 'grid', low: -64, high: 64, exponent: -4 },
  bfloat16: { kind: 'grid', low: -16, high: 16, exponent: -3 },
};

function col2imGroups(): CaseGroup[] {
  // [name, input shape, output_size, kernel_size, dilation, padding, stride]
  const geometries: [string, number[], number[], number[], number[], number[], number[]][] = [
    ['2x12x12-k2-to-4x5', [2, 12, 12], [4, 5], [2, 2], [1, 1], [0, 0], [1, 1]],
    ['6x14-k3x2-d2x1-p1-s2x1-to-5x6', [6, 14], [5, 6], [3, 2], [2, 1], [1, 1], [2, 1]],
    ['1x18x16-k3-p1-to-4x4', [1, 18, 16], [4, 4], [3, 3], [1, 1], [1, 1], [1, 1]],
    ['batch0-0x4x9', [0, 4, 9], [4, 4], [2, 2], [1, 1], [0, 0], [1, 1]],
  ];
  return geometries.flatMap(([name, shape, ...rest], k) => {
    const args = rest.map((v) => ints(v));
    const base = CaseGroup.of('aten.col2im.default')
      .dtypes(F)
      .shapes({ [name]: [shape] })
      .call((t) => ({ args: [...t, ...args] }));
    const main = k === 0 ? base.layouts(...ALL_LAYOUTS).values('uniform', 'subnormal') : base.layouts('contiguous', 'transposed').values('uniform');
    // witness: values on a grid whose sums are exact in the tensor's own dtype, so only exact answers pass;
    // NaN and ±inf must reach exactly the pixels they land on
    const extra =
      k === 3
        ? []
        : [
            base.tag('witness').values('uniform').inputRecipe((d) => COL2IM_WITNESS[d] ?? 'uniform'),
            base.tag('nan-inf').values('uniform').inputRecipe(() => ({ kind: 'sprinkle', mean: 0, std: 1, values: ['nan', 'inf', '-inf'], fraction: 1 / 16 })),
          ];
    return [main, ...extra];
  });
}
