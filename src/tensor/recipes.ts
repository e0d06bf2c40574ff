import { decodeValues, encodeValues } from './codec.js';
import { castTo, dtypeInfo, floatFormat, minSubnormal, type DType } from './dtype.js';
import { PhiloxStream } from './prng.js';
import type { Recipe, RecipeValue } from './spec.js';

/*
 * Value recipes: how an input's logical values are drawn from (seed, input index). Every value returned is
 * exactly representable in the dtype, so encoding it is lossless and the oracle sees what the device sees.
 *
 * - uniform {low, high}: low + (high - low)·u, u uniform in [0, 1), then rounded to nearest even in a float
 *   dtype (so `high` itself can appear after rounding). In an integer dtype: floor of that, clamped to the range.
 * - normal {mean, std}: mean + std·z, z standard normal (Box–Muller), rounded; in an integer dtype the nearest
 *   integer (halves up), clamped.
 * - int {low, high}: integers uniform in [low, high], bounds first clamped to the dtype's range (for floats
 *   ±largest finite, then rounded; for int64 ±(2^53 - 1), the integers a float64 reference holds exactly).
 * - bool {p}: 1 with probability p, else 0, in any dtype.
 * - ties {levels}: integers 0..levels-1 uniformly, so maxima and minima repeat (argmax, sort stability);
 *   clamped to the dtype's range, and rounded where a float dtype cannot hold them all.
 * - special: the dtype's edge values (`specialValues`) mixed with ordinary values (uniform in [-4, 4), or
 *   integers in [-100, 100]); every edge value appears once when count allows, and edge values fill at least
 *   half of the tensor, cycling; then all positions are shuffled (Fisher–Yates). For bool: 0, 1, 0, 1, …
 * - subnormal: floats only. Three quarters of the values are subnormals, a random multiple of the smallest
 *   subnormal with a random sign; the rest are ±0, ±smallest normal and ±largest subnormal, so that sums,
 *   differences and products cross the subnormal boundary both ways.
 * - grid {low, high, exponent}: integers uniform in [low, high] times 2^exponent (exact in the dtype, or the
 *   recipe is refused): every sum of them whose magnitudes add up to less than 2^(p + exponent) is exact in a
 *   p-bit format, in any order.
 * - choice {values}: each value picked uniformly from the list, rounded to the dtype.
 * - sprinkle {mean, std, values, fraction}: normal(mean, std) values, each position replaced with probability
 *   `fraction` by a value picked from the list; rounded to the dtype.
 * - permutation {n, length, stride = 1, wrap = 0}: element i lies on line ⌊i / (length·stride)⌋·stride + i mod stride at
 *   position ⌊i / stride⌋ mod length, so lines run along an axis of stride `stride` in row-major order (1: the last
 *   dim; the product of the later dims: an earlier one); each line holds the first `length` entries of its own random
 *   permutation of 0..n−1 (partial Fisher–Yates), so no value repeats within a line; each value v is then written as
 *   v − n with probability `wrap` (a negative index that wraps to the same position). Needs length ≤ n and a dtype that
 *   holds every integer of [−n, n − 1] (of [0, n − 1] without wrap).
 * - arange {start, step}: start + i·step, rounded to a float dtype; an integer dtype needs integer start and step and
 *   takes the values clamped to its range.
 * - values {values}: exactly the listed values (row-major, one per element drawn; another count is refused), rounded to
 *   a float dtype; an integer or bool dtype must hold every value exactly. Nothing is drawn from the seed.
 * bool tensors accept only `bool`, `special` and `values`.
 * Except for `special` (whose shuffle depends on count) and `values`, the first k values of a draw do not depend on count.
 */

/** Largest integer magnitude drawn for int64: beyond it a float64 reference could not hold the value. */
const INT64_SAFE = Number.MAX_SAFE_INTEGER;

/** Why a recipe cannot fill a dtype, or null when it can. */
export function recipeProblem(recipe: Recipe, dtype: DType): string | null {
  const info = dtypeInfo(dtype);
  if (info.kind === 'bool' && recipe.kind !== 'bool' && recipe.kind !== 'special' && recipe.kind !== 'values') {
    return `recipe '${recipe.kind}' cannot fill a bool tensor (use 'bool' or 'special')`;
  }
  if (recipe.kind === 'subnormal' && info.kind !== 'float') return `recipe 'subnormal' needs a floating dtype, not ${dtype}`;
  if (recipe.kind === 'uniform' && !(recipe.low < recipe.high)) return `uniform needs low < high, got [${recipe.low}, ${recipe.high})`;
  if (recipe.kind === 'uniform' && !Number.isFinite(recipe.high - recipe.low)) return 'uniform needs a finite range';
  if (recipe.kind === 'grid') {
    const { low, high, exponent } = recipe;
    const widest = Math.max(Math.abs(low), Math.abs(high));
    // every k·2^e in the range must be exact: k needs at most p significant bits, the grid step must be a value the
    // dtype holds (an integer for integer dtypes), and the ends must lie in its range
    const step = 2 ** exponent;
    let ok: boolean;
    if (info.kind === 'float') {
      ok = widest <= 2 ** (floatFormat(dtype).mantissaBits + 1) && step >= minSubnormal(dtype) && widest * step <= floatFormat(dtype).maxFinite;
    } else {
      const [lo, hi] = intBounds(dtype, low * step, high * step);
      ok = exponent >= 0 && widest < 2 ** 53 && lo === low * step && hi === high * step;
    }
    if (low > high || !ok) return `grid [${low}, ${high}]·2^${exponent} is not exact in ${dtype}`;
  }
  if ((recipe.kind === 'choice' || recipe.kind === 'sprinkle') && info.kind !== 'float') {
    const bad = recipe.values.map(recipeValue).find((v) => castTo(dtype, v) !== v);
    if (bad !== undefined) return `recipe '${recipe.kind}' names ${bad}, which ${dtype} cannot hold`;
  }
  if ((recipe.kind === 'choice' || recipe.kind === 'sprinkle') && info.kind !== 'float' && recipe.values.some((v) => typeof v !== 'number')) {
    return `recipe '${recipe.kind}' names non-finite values, which ${dtype} cannot hold`;
  }
  if (recipe.kind === 'values' && info.kind !== 'float') {
    const [lo, hi] = info.kind === 'bool' ? [0, 1] : intBounds(dtype, -Infinity, Infinity);
    const bad = recipe.values.find((v) => typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi);
    if (bad !== undefined) return `recipe 'values' names ${bad}, which ${dtype} cannot hold`;
  }
  if (recipe.kind === 'arange' && info.kind !== 'float' && !(Number.isInteger(recipe.start) && Number.isInteger(recipe.step))) {
    return `arange from ${recipe.start} by ${recipe.step} is not integral, as ${dtype} needs`;
  }
  if (recipe.kind === 'permutation') {
    const { n, length } = recipe;
    if (length > n) return `a permutation of 0..${n - 1} has no ${length} distinct values`;
    const lo = (recipe.wrap ?? 0) > 0 ? -n : 0;
    // every integer of the range must be exact: within the dtype's range, and below 2^(p) for a float
    const exact = info.kind === 'float' ? n <= 2 ** (floatFormat(dtype).mantissaBits + 1) : intBounds(dtype, lo, n - 1)[0] === lo && intBounds(dtype, lo, n - 1)[1] === n - 1;
    if (!exact) return `a permutation of 0..${n - 1}${lo < 0 ? ' with negative wraps' : ''} does not fit ${dtype}`;
  }
  if (recipe.kind === 'int') {
    const [lo, hi] = intBounds(dtype, recipe.low, recipe.high);
    if (lo > hi) return `int range [${recipe.low}, ${recipe.high}] holds no ${dtype} value`;
    if (hi - lo >= 2 ** 53) return `int range [${recipe.low}, ${recipe.high}] is wider than 2^53`;
  }
  return null;
}

/** The number a recipe value names. */
export function recipeValue(v: RecipeValue): number {
  return v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;
}

/**
 * Whether values drawn by the recipe are independent draws from a wide distribution (uniform, normal, int), whose
 * rounding errors in sums behave as independent mean-zero variables; structured data (constant, a few listed
 * values, a witness grid, special values, ties) does not.
 */
export function isRandomDraw(recipe: Recipe): boolean {
  return recipe.kind === 'uniform' || recipe.kind === 'normal' || recipe.kind === 'int';
}

/**
 * Whether values drawn by the recipe are independent random draws, symmetric around zero: the data for which a
 * probabilistic error bound of sums and products applies (Higham & Mary 2019). Structured or same-sign data
 * keeps the worst-case bound.
 */
export function isSignSymmetricRandom(recipe: Recipe): boolean {
  switch (recipe.kind) {
    case 'uniform':
    case 'int':
      return recipe.low === -recipe.high && recipe.high > 0;
    case 'normal':
      return recipe.mean === 0;
    default:
      return false;
  }
}

/** The dtype's edge values in the order `special` uses them (most telling first). */
export function specialValues(dtype: DType): number[] {
  const info = dtypeInfo(dtype);
  if (info.kind === 'bool') return [0, 1];
  if (info.kind === 'float') {
    const f = floatFormat(dtype);
    const minNormal = 2 ** f.minExponent;
    const infs = f.hasInfinity ? [Infinity, -Infinity] : [];
    return [
      NaN, ...infs, 0, -0, f.maxFinite, -f.maxFinite, minNormal, -minNormal,
      // Exact halves: the ties of round/half-to-even ops, and of integer conversions.
      0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1, -1,
    ];
  }
  const min = dtype === 'int64' ? -INT64_SAFE : (info.min as number);
  const max = dtype === 'int64' ? INT64_SAFE : (info.max as number);
  if (info.kind === 'uint') return [min, max, 1, max - 1, 2];
  return [min, max, 0, -1, 1, min + 1, max - 1];
}

function intBounds(dtype: DType, low: number, high: number): [number, number] {
  const info = dtypeInfo(dtype);
  let min: number;
  let max: number;
  if (info.kind === 'float') {
    max = floatFormat(dtype).maxFinite;
    min = -max;
  } else if (dtype === 'int64') {
    min = -INT64_SAFE;
    max = INT64_SAFE;
  } else {
    min = info.min as number;
    max = info.max as number;
  }
  return [Math.max(Math.ceil(low), Math.ceil(min)), Math.min(Math.floor(high), Math.floor(max))];
}

/** Rounds every element in place to the dtype (floats nearest even; integers already are). */
function roundInPlace(dtype: DType, values: Float64Array): Float64Array {
  if (dtype === 'float64') return values;
  if (dtype === 'float32') {
    for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i] as number);
    return values;
  }
  if (dtypeInfo(dtype).kind === 'float') values.set(decodeValues(dtype, encodeValues(dtype, values)));
  return values;
}

function clampInt(dtype: DType, values: Float64Array): Float64Array {
  const [lo, hi] = intBounds(dtype, -Infinity, Infinity);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    // NaN (from a NaN recipe parameter) becomes 0, as an integer store would make it.
    values[i] = v === v ? Math.min(Math.max(v, lo), hi) + 0 : 0;
  }
  return values;
}

function uniformIntegers(out: Float64Array, stream: PhiloxStream, start: number, lo: number, hi: number): void {
  const n = hi - lo + 1;
  stream.fillUniform(out, start);
  for (let i = 0; i < out.length; i++) out[i] = lo + Math.min(Math.floor((out[i] as number) * n), n - 1);
}

/**
 * Draws `count` values of `recipe` for one input (`stream` = the input's index) of the case seeded `seed`
 * (16 hex digits, `seedFromId`). Deterministic and exactly representable in `dtype`.
 */
export function drawValues(recipe: Recipe, dtype: DType, count: number, seed: string, stream: number): Float64Array {
  const problem = recipeProblem(recipe, dtype);
  if (problem !== null) throw new Error(problem);
  const rng = new PhiloxStream(seed, stream);
  const out = new Float64Array(count);
  const kind = dtypeInfo(dtype).kind;
  const isFloat = kind === 'float';
  switch (recipe.kind) {
    case 'uniform': {
      rng.fillUniform(out);
      const { low, high } = recipe;
      const width = high - low;
      for (let i = 0; i < count; i++) out[i] = low + width * (out[i] as number);
      if (isFloat) return roundInPlace(dtype, out);
      for (let i = 0; i < count; i++) out[i] = Math.floor(out[i] as number);
      return clampInt(dtype, out);
    }
    case 'normal': {
      rng.fillNormal(out);
      for (let i = 0; i < count; i++) out[i] = recipe.mean + recipe.std * (out[i] as number);
      if (isFloat) return roundInPlace(dtype, out);
      for (let i = 0; i < count; i++) out[i] = Math.round(out[i] as number);
      return clampInt(dtype, out);
    }
    case 'int': {
      const [lo, hi] = intBounds(dtype, recipe.low, recipe.high);
      uniformIntegers(out, rng, 0, lo, hi);
      return isFloat ? roundInPlace(dtype, out) : out;
    }
    case 'bool': {
      rng.fillUniform(out);
      for (let i = 0; i < count; i++) out[i] = (out[i] as number) < recipe.p ? 1 : 0;
      return out;
    }
    case 'ties': {
      uniformIntegers(out, rng, 0, 0, recipe.levels - 1);
      return isFloat ? roundInPlace(dtype, out) : clampInt(dtype, out);
    }
    case 'grid': {
      uniformIntegers(out, rng, 0, recipe.low, recipe.high);
      const scale = 2 ** recipe.exponent;
      for (let i = 0; i < count; i++) out[i] = (out[i] as number) * scale + 0;
      return out;
    }
    case 'choice': {
      pick(out, rng, 0, recipe.values.map(recipeValue));
      return isFloat ? roundInPlace(dtype, out) : clampInt(dtype, out);
    }
    case 'sprinkle': {
      rng.fillNormal(out);
      for (let i = 0; i < count; i++) out[i] = recipe.mean + recipe.std * (out[i] as number);
      // normals and uniforms are separate domains of the stream, so positions and picks leave the base values
      // alone; position i uses uniform 2i and its pick 2i + 1, so a longer draw starts with a shorter one
      const u = rng.fillUniform(new Float64Array(2 * count), 0);
      const values = recipe.values.map(recipeValue);
      for (let i = 0; i < count; i++) {
        if ((u[2 * i] as number) < recipe.fraction) out[i] = values[Math.min(Math.floor((u[2 * i + 1] as number) * values.length), values.length - 1)] as number;
      }
      return isFloat ? roundInPlace(dtype, out) : clampInt(dtype, out);
    }
    case 'permutation':
      return drawPermutation(recipe, out, rng);
    case 'arange': {
      for (let i = 0; i < count; i++) out[i] = recipe.start + i * recipe.step;
      return isFloat ? roundInPlace(dtype, out) : clampInt(dtype, out);
    }
    case 'values': {
      if (recipe.values.length !== count) throw new Error(`recipe 'values' holds ${recipe.values.length} values for ${count} elements`);
      for (let i = 0; i < count; i++) out[i] = recipeValue(recipe.values[i] as RecipeValue);
      return isFloat ? roundInPlace(dtype, out) : out;
    }
    case 'special':
      return drawSpecial(dtype, out, rng);
    case 'subnormal':
      return drawSubnormal(dtype, out, rng);
  }
}

/** Fills `out` with values picked uniformly from `values`, from the stream's uniforms starting at `start`. */
function pick(out: Float64Array, rng: PhiloxStream, start: number, values: readonly number[]): Float64Array {
  rng.fillUniform(out, start);
  for (let i = 0; i < out.length; i++) out[i] = values[Math.min(Math.floor((out[i] as number) * values.length), values.length - 1)] as number;
  return out;
}

/**
 * Lines of distinct values (see `permutation` above). Line ℓ's Fisher–Yates step j takes uniform 2·(ℓ·length + j) and
 * element i's wrap takes uniform 2i + 1, so neither depends on count: a longer draw starts with a shorter one.
 */
function drawPermutation(recipe: Extract<Recipe, { kind: 'permutation' }>, out: Float64Array, rng: PhiloxStream): Float64Array {
  const { n, length } = recipe;
  const stride = recipe.stride ?? 1;
  const wrap = recipe.wrap ?? 0;
  const block = length * stride;
  const perm = new Int32Array(n);
  const lines = Math.ceil(out.length / block) * stride;
  for (let line = 0; line < lines; line++) {
    for (let k = 0; k < n; k++) perm[k] = k;
    const first = Math.floor(line / stride) * block + (line % stride);
    for (let j = 0; j < length; j++) {
      const k = j + Math.min(Math.floor(rng.uniform(2 * (line * length + j)) * (n - j)), n - j - 1);
      const t = perm[j] as number;
      perm[j] = perm[k] as number;
      perm[k] = t;
      const i = first + j * stride;
      if (i < out.length) out[i] = perm[j] as number;
    }
  }
  if (wrap > 0) for (let i = 0; i < out.length; i++) if (rng.uniform(2 * i + 1) < wrap) out[i] = (out[i] as number) - n;
  return out;
}

function drawSubnormal(dtype: DType, out: Float64Array, rng: PhiloxStream): Float64Array {
  const f = floatFormat(dtype);
  const minSub = minSubnormal(dtype);
  const steps = 2 ** f.mantissaBits; // subnormals are k·minSub, 0 < k < steps
  const minNormal = 2 ** f.minExponent;
  const edges = [0, -0, minNormal, -minNormal, minNormal - minSub, -(minNormal - minSub)];
  for (let i = 0; i < out.length; i++) {
    const u = rng.uniform(i);
    if (u < 0.25) {
      out[i] = edges[Math.min(Math.floor(u * 4 * edges.length), edges.length - 1)] as number;
    } else {
      const k = 1 + Math.min(Math.floor(rng.uniform(out.length + i) * (steps - 1)), steps - 2);
      out[i] = (u < 0.625 ? -k : k) * minSub;
    }
  }
  return out;
}

function drawSpecial(dtype: DType, out: Float64Array, rng: PhiloxStream): Float64Array {
  const count = out.length;
  const kind = dtypeInfo(dtype).kind;
  if (kind === 'bool') {
    for (let i = 0; i < count; i++) out[i] = i % 2;
    return out;
  }
  const specials = specialValues(dtype);
  const numSpecial = Math.max(Math.min(count, specials.length), Math.ceil(count / 2));
  // Ordinary values use uniforms [0, count); the shuffle uses [count, 2·count), so the two are independent.
  if (kind === 'float') {
    rng.fillUniform(out);
    for (let i = 0; i < count; i++) out[i] = -4 + 8 * (out[i] as number);
    roundInPlace(dtype, out);
    // keep subnormals out (they are the `subnormal` recipe's group): float8 rounds small ordinary values there
    const minNormal = 2 ** floatFormat(dtype).minExponent;
    for (let i = 0; i < count; i++) {
      const x = out[i] as number;
      if (x !== 0 && Math.abs(x) < minNormal) out[i] = Math.sign(x) * minNormal;
    }
  } else {
    const [lo, hi] = intBounds(dtype, -100, 100);
    uniformIntegers(out, rng, 0, lo, hi);
  }
  for (let i = 0; i < numSpecial; i++) out[i] = specials[i % specials.length] as number;
  const u = rng.fillUniform(new Float64Array(count), count);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.min(Math.floor((u[i] as number) * (i + 1)), i);
    const t = out[i] as number;
    out[i] = out[j] as number;
    out[j] = t;
  }
  return out;
}
