import type { DType } from '../tensor/dtype.js';
import { isFloating, LOW_PRECISION, unitRoundoff } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { broadcastIndex } from './broadcast.js';
import { SCALAR_TYPE } from './convolution-geometry.js';
import { AccurateSum, gamma } from './numerics.js';
import { floatParam, input, meta, optionalIntParam, param, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import type { Accuracy, OpCall, OpDef, Regime, RefOutput } from './types.js';

/*
 * _cdist_forward and _pdist_forward: the p-norm distance between rows, d = (Σ|x_i − y_i|^p)^(1/p) over the M columns.
 * PyTorch's kernels (ATen native/cpu/DistanceOpsKernel.cpp, and the CUDA twin) specialise p = 0 (the count of
 * differing columns), 1 (Σ|x − y|), 2 (√Σ(x − y)²), ∞ (max |x − y|) and any other p (pow, then pow(·, 1/p)).
 * For p = 2 cdist may instead use the matrix-product formula ‖x‖² + ‖y‖² − 2x·y (`_euclidean_dist`), which cancels
 * when the points are close to each other relative to their norms. PyTorch documents when it does (torch.cdist,
 * `compute_mode`): 'use_mm_for_euclid_dist' (1) always, 'use_mm_for_euclid_dist_if_necessary' (0, the default) when
 * either input has more than 25 rows, 'donot_use_mm_for_euclid_dist' (2) never. So cdist's p = 2 bound is the
 * cancelling formula's exactly where PyTorch allows it, and the direct one elsewhere; pdist never uses it.
 *
 * Rules per output element, u the unit roundoff of the compute dtype (float32 for float16/bfloat16 data):
 * - p = 0: exact (a count of columns whose difference is nonzero; a NaN difference makes it NaN).
 * - p = 1: accumulation, k = M, Σ|terms| = Σ|x − y|: each difference rounds once, then M − 1 additions of
 *   nonnegative terms.
 * - p = ∞: correctly rounded: the largest of the rounded |x − y| is the rounded largest (rounding is monotonic).
 * - p = 2, direct: bound d·γ(M + 3)/2: the squared sum has relative error ≤ γ(M + 2) (the difference rounded, squared,
 *   the product rounded, M − 1 additions), which the square root halves.
 * - other p: bound d·(γ(M + ⌈p⌉ + 2)/p + u·|ln S|/p + 2u)·(1 + 2^-10), S = Σ|x − y|^p: the rounded difference raised to
 *   p errs by p·u, pow by one ULP (2u), the sum by γ(M − 1); the outer pow errs by one ULP and 1/p is itself
 *   rounded (a relative error η of the exponent scales the result by S^(η/p)). Assumes |x − y|^p does not underflow.
 * - p = 2 by the matrix-product formula: bound min(√E, E/d)·(1 + 4u), E = γ(2M + 3)·Σ(|x_i| + |y_i|)²: both squared
 *   norms err by γ(M)·Σx², the (M + 2)-term product −2x·y + ‖x‖² + ‖y‖² by γ(M + 2) of its absolute terms, and
 *   γ(M) + γ(M + 2) + γ(M)γ(M + 2) ≤ γ(2M + 3) (Higham, Lemma 3.3); clamping at 0 only helps, and
 *   |√a − √b| ≤ min(√|a − b|, |a − b|/√b). Near-duplicate points get no relative accuracy, as PyTorch gives none.
 *   For float16/bfloat16 data the formula's tensors are narrow (`x.pow(2).sum(-1)`, the product's result), which
 *   rounds each square, both norms and d² to the narrow type: E adds γ(3, u_narrow)·(‖x‖² + ‖y‖² + d²).
 * The output rounding adds half an ULP (one for float16/bfloat16 outputs).
 */

const outUlps = (dtype: DType): number => (LOW_PRECISION.includes(dtype) ? 1 : 0.5);

/** How one distance kernel evaluates and how its result is judged. */
type Method = 'count' | 'sum' | 'euclid' | 'max' | 'power' | 'mm';

function methodOf(p: number): Exclude<Method, 'mm'> {
  return p === 0 ? 'count' : p === 1 ? 'sum' : p === 2 ? 'euclid' : p === Infinity ? 'max' : 'power';
}

function accuracyOf(method: Method, dtype: DType): Accuracy {
  switch (method) {
    case 'count':
      return { kind: 'exact' };
    case 'sum':
      return { kind: 'accumulation', accumDtype: opmathType(dtype), ulps: outUlps(dtype) };
    case 'max':
      return { kind: 'ulp', ulps: 0.5 };
    default:
      return { kind: 'bound', ulps: outUlps(dtype) };
  }
}

/** x − y as an unevaluated sum hi + lo of two doubles (Knuth's TwoSum); lo = 0 once hi is not finite. */
function difference(x: number, y: number): [number, number] {
  const hi = x - y;
  if (!Number.isFinite(hi)) return [hi, 0];
  const yy = hi - x;
  return [hi, x - (hi - yy) - (y + yy)];
}

/** Adds (x − y)² to s exactly. */
function addSquare(s: AccurateSum, x: number, y: number): void {
  const [hi, lo] = difference(x, y);
  s.addProduct(hi, hi);
  if (lo !== 0) {
    s.addProduct(2 * hi, lo);
    s.addProduct(lo, lo);
  }
}

/** Reference values (and the bound or Σ|terms| its rule needs) of distances between row pairs. */
class Distances {
  readonly values: Float64Array;
  readonly extra: Float64Array;
  private readonly u: number;
  /** the unit roundoff of a float16/bfloat16 dtype, whose tensors hold the matrix-product formula's intermediates; 0 otherwise */
  private readonly uNarrow: number;
  constructor(
    readonly method: Method,
    readonly p: number,
    readonly m: number,
    count: number,
    dtype: DType,
  ) {
    this.values = new Float64Array(count);
    this.extra = new Float64Array(count);
    this.u = unitRoundoff(opmathType(dtype));
    this.uNarrow = LOW_PRECISION.includes(dtype) ? unitRoundoff(dtype) : 0;
  }

  /** The distance between x[xo…xo+m) and y[yo…yo+m), stored at `at`. */
  set(at: number, x: Float64Array, xo: number, y: Float64Array, yo: number): void {
    const { m, p, u } = this;
    const s = new AccurateSum();
    let value: number;
    let extra = 0;
    switch (this.method) {
      case 'count': {
        let n = 0;
        for (let i = 0; i < m; i++) {
          const d = (x[xo + i] as number) - (y[yo + i] as number);
          // a NaN difference counts as NaN, as ceil(|NaN|) does in PyTorch's kernel
          n += d !== d ? NaN : d !== 0 ? 1 : 0;
        }
        value = n;
        break;
      }
      case 'sum':
      case 'max': {
        let mx = 0;
        for (let i = 0; i < m; i++) {
          const [hi, lo] = difference(x[xo + i] as number, y[yo + i] as number);
          // |x − y| exactly, as the sum of two doubles
          s.add(Math.abs(hi));
          s.add(hi < 0 ? -lo : lo);
          const d = Math.abs(hi);
          mx = d !== d || mx !== mx ? NaN : Math.max(mx, d);
        }
        value = this.method === 'max' ? mx : s.value();
        extra = value;
        break;
      }
      case 'euclid': {
        for (let i = 0; i < m; i++) addSquare(s, x[xo + i] as number, y[yo + i] as number);
        value = Math.sqrt(s.value());
        extra = (value * gamma(m + 3, u)) / 2;
        break;
      }
      case 'power': {
        for (let i = 0; i < m; i++) s.add(Math.abs((x[xo + i] as number) - (y[yo + i] as number)) ** p);
        const total = s.value();
        value = total ** (1 / p);
        extra = total === 0 ? 0 : value * (gamma(m + Math.ceil(p) + 2, u) / p + (u * Math.abs(Math.log(total))) / p + 2 * u) * (1 + 2 ** -10);
        break;
      }
      case 'mm': {
        let t = 0;
        let norms = 0;
        for (let i = 0; i < m; i++) {
          const a = x[xo + i] as number;
          const b = y[yo + i] as number;
          addSquare(s, a, b);
          t += (Math.abs(a) + Math.abs(b)) ** 2;
          norms += a * a + b * b;
        }
        const squared = s.value();
        value = Math.sqrt(squared);
        // a float16/bfloat16 formula also rounds both squared norms, each square, and the result to the narrow type
        const e = gamma(2 * m + 3, u) * t + gamma(3, this.uNarrow) * (norms + squared);
        extra = (value > 0 ? Math.min(Math.sqrt(e), e / value) : Math.sqrt(e)) * (1 + 4 * u);
        break;
      }
    }
    this.values[at] = value;
    this.extra[at] = extra;
  }

  output(shape: number[]): RefOutput {
    switch (this.method) {
      case 'count':
      case 'max':
        return { shape, values: this.values };
      case 'sum':
        return { shape, values: this.values, absSum: this.extra, terms: this.m };
      default:
        return { shape, values: this.values, bound: this.extra };
    }
  }
}

/** ATen's infer_size over the batch dims, with its message. */
function batchShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = rank - 1; i >= 0; i--) {
    const sa = a[i - rank + a.length] ?? 1;
    const sb = b[i - rank + b.length] ?? 1;
    if (sa !== sb && sa !== 1 && sb !== 1) throw new Error(`The size of tensor a (${sa}) must match the size of tensor b (${sb}) at non-singleton dimension ${i}`);
    out[i] = sa === 1 ? sb : sa;
  }
  return out;
}

function requiredP(call: OpCall, pos: number, name: string): number {
  if (param(call, pos, name) === undefined) throw new Error(`argument '${name}' is required`);
  return floatParam(call, pos, name, NaN);
}

// _cdist_forward(Tensor x1, Tensor x2, float p, int? compute_mode) -> Tensor
export const cdistForward: OpDef = {
  name: 'aten._cdist_forward.default',
  family: 'convolution',
  bind(call) {
    const ai = tensorParam(call, 0, 'x1');
    const bi = tensorParam(call, 1, 'x2');
    const a = meta(call, ai);
    const b = meta(call, bi);
    const p = requiredP(call, 2, 'p');
    const mode = optionalIntParam(call, 3, 'compute_mode') ?? 0;
    if (a.shape.length < 2) throw new Error(`cdist only supports at least 2D tensors, X1 got: ${a.shape.length}D`);
    if (b.shape.length < 2) throw new Error(`cdist only supports at least 2D tensors, X2 got: ${b.shape.length}D`);
    const m = a.shape[a.shape.length - 1] as number;
    const m2 = b.shape[b.shape.length - 1] as number;
    if (m !== m2) throw new Error(`X1 and X2 must have the same number of columns. X1: ${m} X2: ${m2}`);
    if (!isFloating(a.dtype)) throw new Error(`cdist only supports floating-point dtypes, X1 got: ${SCALAR_TYPE[a.dtype]}`);
    if (!isFloating(b.dtype)) throw new Error(`cdist only supports floating-point dtypes, X2 got: ${SCALAR_TYPE[b.dtype]}`);
    if (!(p >= 0)) throw new Error('cdist only supports non-negative p values');
    const batch = batchShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    if (mode < 0 || mode > 2) throw new Error(`possible modes: 0, 1, 2, but was: ${mode}`);
    if (a.dtype !== b.dtype) throw new Error(`expected scalar type ${SCALAR_TYPE[a.dtype]} but found ${SCALAR_TYPE[b.dtype]}`);
    const dtype = a.dtype;
    const r1 = a.shape[a.shape.length - 2] as number;
    const r2 = b.shape[b.shape.length - 2] as number;
    const shape = [...batch, r1, r2];
    // ATen's cdist_impl: the matrix-product formula for p = 2 in mode 1, and in mode 0 beyond 25 rows
    const method: Method = p === 2 && (mode === 1 || (mode === 0 && (r1 > 25 || r2 > 25))) ? 'mm' : methodOf(p);
    return {
      outputs: [{ dtype, shape, accuracy: accuracyOf(method, dtype) }],
      reference(inputs) {
        const x = input(inputs, ai).values;
        const y = input(inputs, bi).values;
        const nb = numel(batch);
        const d = new Distances(method, p, m, nb * r1 * r2, dtype);
        // the batch index of each operand's matrix under broadcasting
        const ma = broadcastIndex(a.shape.slice(0, -2), batch);
        const mb = broadcastIndex(b.shape.slice(0, -2), batch);
        for (let z = 0; z < nb; z++) {
          const xa = (ma[z] as number) * r1 * m;
          const yb = (mb[z] as number) * r2 * m;
          for (let i = 0; i < r1; i++) for (let j = 0; j < r2; j++) d.set((z * r1 + i) * r2 + j, x, xa + i * m, y, yb + j * m);
        }
        return [d.output(shape)];
      },
    };
  },
};

// _pdist_forward(Tensor self, float p=2.) -> Tensor
export const pdistForward: OpDef = {
  name: 'aten._pdist_forward.default',
  family: 'convolution',
  bind(call) {
    const xi = tensorParam(call, 0, 'self');
    const x = meta(call, xi);
    const p = floatParam(call, 1, 'p', 2);
    // torch.pdist's checks: _pdist_forward itself reads any rank as rows × columns, which no caller relies on
    if (x.shape.length !== 2) throw new Error(`pdist only supports 2D tensors, got: ${x.shape.length}D`);
    if (!isFloating(x.dtype)) throw new Error(`"pdist" not implemented for '${SCALAR_TYPE[x.dtype]}'`);
    if (!(p >= 0)) throw new Error('pdist only supports non-negative p values');
    const [n, m] = x.shape as [number, number];
    const pairs = n <= 1 ? 0 : (n * (n - 1)) / 2;
    const method = methodOf(p);
    return {
      outputs: [{ dtype: x.dtype, shape: [pairs], accuracy: accuracyOf(method, x.dtype) }],
      reference(inputs) {
        const v = input(inputs, xi).values;
        const d = new Distances(method, p, m, pairs, x.dtype);
        let at = 0;
        // the upper triangle, row by row: (0, 1), (0, 2), …, (1, 2), …
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d.set(at++, v, i * m, v, j * m);
        return [d.output([pairs])];
      },
    };
  },
};

/** Points near each other relative to their size: ‖x‖² + ‖y‖² − 2x·y cancels, a direct difference does not. */
const CLOSE: Regime = {
  name: 'close',
  why: 'near-duplicate points far from the origin: the matrix-product formula ‖x‖² + ‖y‖² − 2x·y loses every digit of a small distance, the direct difference is exact (every difference, square and sum lies on a grid)',
  recipe(d) {
    if (!isFloating(d)) return null;
    if (d === 'float64') return { kind: 'choice', values: [2 ** 20, 2 ** 20 + 2 ** -20] };
    if (d === 'float32') return { kind: 'choice', values: [1000, 1000 + 2 ** -4] };
    return { kind: 'choice', values: [16, 16.125] };
  },
};

const NAN_ONLY: Regime = {
  name: 'nan',
  why: 'a NaN in a row makes each of its distances NaN, by either formula (p = ∞ excepted: PyTorch\'s max drops NaN, which it does not specify)',
  recipe: (d) => (isFloating(d) ? { kind: 'sprinkle', mean: 0, std: 1, values: ['nan'], fraction: 1 / 64 } : null),
};

const NAN_INF: Regime = {
  name: 'nan-inf',
  why: 'NaN and ±inf in the rows: inf − finite is inf, inf − inf is NaN, for the direct kernels (the matrix-product formula gives NaN for some infinite distances, so mm cases avoid ±inf)',
  recipe: (d) => (isFloating(d) ? { kind: 'sprinkle', mean: 0, std: 1, values: ['nan', 'inf', '-inf'], fraction: 1 / 64 } : null),
};

export const DISTANCE_OPS: readonly OpDef[] = [
  { ...cdistForward, regimes: [CLOSE, NAN_ONLY, NAN_INF] },
  { ...pdistForward, regimes: [CLOSE, NAN_ONLY, NAN_INF] },
];
