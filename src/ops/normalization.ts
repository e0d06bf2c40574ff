import type { DType } from '../tensor/dtype.js';
import { isFloating, LOW_PRECISION, unitRoundoff } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { AccurateSum, gamma, probabilisticGamma } from './numerics.js';
import { floatParam, input, intsParam, meta, optionalTensorParam, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import type { OpCall, OpDef, OutputSpec, RefOutput } from './types.js';
import type { RefTensor } from '../tensor/tensor.js';
import { NORM_REGIMES } from './regimes.js';
import { BATCH_NORM_OPS } from './normalization-batch.js';
import { GROUP_NORM_OPS } from './normalization-group.js';
import { nativeLayerNormBackward } from './normalization-layer-backward.js';

// native_layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight, Tensor? bias, float eps)
//   -> (Tensor out, Tensor mean, Tensor rstd)
function parse(call: OpCall) {
  const xi = tensorParam(call, 0, 'input');
  const x = meta(call, xi);
  if (!isFloating(x.dtype)) throw new Error(`layer_norm is not implemented for ${x.dtype}`);
  const norm = intsParam(call, 1, 'normalized_shape') ?? [];
  const axis = x.shape.length - norm.length;
  if (axis < 0 || norm.some((s, i) => s !== x.shape[axis + i])) {
    throw new Error(`layer_norm: normalized_shape [${norm.join(', ')}] does not match the trailing dims of input [${x.shape.join(', ')}]`);
  }
  const wi = optionalTensorParam(call, 2, 'weight');
  const bi = optionalTensorParam(call, 3, 'bias');
  const eps = floatParam(call, 4, 'eps', 1e-5);
  for (const i of [wi, bi]) {
    if (i === undefined) continue;
    const s = meta(call, i).shape;
    if (s.length !== norm.length || s.some((v, j) => v !== norm[j])) throw new Error(`layer_norm: weight and bias must have shape [${norm.join(', ')}]`);
  }
  // PyTorch ≥ 2.1 on CPU accepts float16/bfloat16 input with float32 weight/bias ("mixed type"): mean and rstd
  // are then float32. Otherwise they have the input's dtype.
  const paramDtype = wi !== undefined ? meta(call, wi).dtype : bi !== undefined ? meta(call, bi).dtype : x.dtype;
  const statDtype: DType = LOW_PRECISION.includes(x.dtype) && paramDtype === 'float32' ? 'float32' : x.dtype;
  const statShape = [...x.shape.slice(0, axis), ...norm.map(() => 1)];
  return { xi, x, wi, bi, eps, statDtype, statShape, rows: numel(x.shape.slice(0, axis)), n: numel(norm), acc: opmathType(x.dtype), random: x.random === true };
}

type LayerNormCall = ReturnType<typeof parse>;

function outputUlps(dtype: DType): number {
  return LOW_PRECISION.includes(dtype) ? 1 : 0.5;
}

/**
 * Per row of N elements: μ = Σx/N, σ² = Σ(x − μ)²/N (biased), rstd = 1/√(σ² + eps), y = (x − μ)·rstd·w + b,
 * computed in float64 (two-pass, compensated). Bounds, with u the accumulation dtype's unit roundoff and γ the
 * worst-case γ(k, u), or Higham & Mary's probabilistic γ̃ when the row is a random draw:
 *   E_μ   = γ(N + 1)·mean|x|                                 (a sum of N terms and a division)
 *   E_σ²  = γ(2N + 4)·(σ² + E_μ²) + E_μ² + u·(σ² + |eps|)     (two-pass or Welford on x − μ̂: a mean off by e adds
 *           + γ(N + 2)·|μ|·σ + 2·E_μ·mean|x − μ|              (Welford and merged chunks, normalization-stats.ts)
 *                                                             e² to the centred moment; the one-pass E[x²] − μ²,
 *                                                             whose error scales with mean(x²), is not admitted)
 *   rel_r = E_σ² / (2(σ² + eps)) + γ(3)                      (√ halves the relative error; add, sqrt, divide)
 *   |Δy|  ≤ |w|·rstd·(E_μ + |x − μ|·rel_r) + γ(3)·(|x − μ|·rstd·|w| + |b|)
 */
function layerNormReference(inputs: readonly RefTensor[], p: LayerNormCall): RefOutput[] {
  const x = input(inputs, p.xi).values;
  const w = p.wi !== undefined ? input(inputs, p.wi).values : undefined;
  const b = p.bi !== undefined ? input(inputs, p.bi).values : undefined;
  const { rows, n, eps } = p;
  const u = unitRoundoff(p.acc);
  const g = (k: number): number => (p.random ? probabilisticGamma(k, u, rows * n) : gamma(k, u));
  const uStat = unitRoundoff(p.statDtype);
  const uIn = unitRoundoff(p.x.dtype);
  const out = new Float64Array(rows * n);
  const outBound = new Float64Array(rows * n);
  const mean = new Float64Array(rows);
  const meanAbs = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  const rstdBound = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const s = new AccurateSum();
    const sa = new AccurateSum();
    for (let j = 0; j < n; j++) {
      const v = x[r * n + j] ?? NaN;
      s.add(v);
      sa.add(Math.abs(v));
    }
    const mu = s.value() / n;
    const v2 = new AccurateSum();
    let dev = 0;
    for (let j = 0; j < n; j++) {
      const d = (x[r * n + j] ?? NaN) - mu;
      v2.addProduct(d, d);
      dev += Math.abs(d);
    }
    const variance = v2.value() / n;
    const rs = 1 / Math.sqrt(variance + eps);
    mean[r] = mu;
    meanAbs[r] = sa.value() / n;
    rstd[r] = rs;
    // A kernel may use mean and rstd rounded to their output dtype (PyTorch 1.13 on CPU does for
    // bfloat16), and form x − mean in the input dtype: each is one more rounding at that dtype's u.
    const eMu = g(n + 1) * (sa.value() / n) + uStat * (Math.abs(mu) + sa.value() / n);
    // Welford's running mean (γ(N + 2)·|μ|·σ) and the merge of chunk moments (2·E_μ·mean|x − μ|): see
    // normalizeForward in normalization-stats.ts
    const eVar =
      g(2 * n + 4) * (variance + eMu * eMu) + eMu * eMu + g(n + 2) * Math.abs(mu) * Math.sqrt(variance) + (2 * eMu * dev) / n + u * (variance + Math.abs(eps));
    const relR = eVar / (2 * (variance + eps)) + gamma(3, u) + uStat;
    rstdBound[r] = Number.isFinite(rs) ? rs * relR : 0;
    for (let j = 0; j < n; j++) {
      const o = r * n + j;
      const d = (x[o] ?? NaN) - mu;
      const wj = w ? (w[j] ?? NaN) : 1;
      const bj = b ? (b[j] ?? NaN) : 0;
      const y = d * rs * wj + bj;
      out[o] = y;
      const bound = Math.abs(wj) * rs * (eMu + Math.abs(d) * (relR + uIn)) + gamma(3, u) * (Math.abs(d * rs * wj) + Math.abs(bj));
      outBound[o] = Number.isFinite(bound) ? bound : 0;
    }
  }
  return [
    { shape: [...p.x.shape], values: out, bound: outBound },
    { shape: p.statShape, values: mean, absSum: meanAbs, terms: n + 1 },
    { shape: p.statShape, values: rstd, bound: rstdBound },
  ];
}

export const nativeLayerNorm: OpDef = {
  name: 'aten.native_layer_norm.default',
  family: 'normalization',
  bind(call) {
    const p = parse(call);
    // CUDA (and CPU from PyTorch 2.1 in some paths) returns float32 statistics for a float16/bfloat16 input
    const alternativeDtypes = p.statDtype === 'float32' || !LOW_PRECISION.includes(p.statDtype) ? undefined : (['float32'] as DType[]);
    const stat = { dtype: p.statDtype, shape: p.statShape, ...(alternativeDtypes ? { alternativeDtypes } : {}) };
    const outputs: OutputSpec[] = [
      { dtype: p.x.dtype, shape: [...p.x.shape], accuracy: { kind: 'bound', ulps: outputUlps(p.x.dtype) } },
      // the mean may keep a partial result in its own dtype (two passes; PyTorch 1.13's bfloat16 kernel does)
      { ...stat, accuracy: { kind: 'accumulation', accumDtype: p.acc, ulps: outputUlps(p.statDtype), passes: 2 } },
      // rstd = 1/√(var + eps) may be evaluated in the stat dtype, two roundings (as rsqrt): 2 ULPs for narrow types
      { ...stat, accuracy: { kind: 'bound', ulps: LOW_PRECISION.includes(p.statDtype) ? 2 : outputUlps(p.statDtype) } },
    ];
    return { outputs, reference: (inputs) => layerNormReference(inputs, p) };
  },
  regimes: NORM_REGIMES,
};

export const NORMALIZATION_OPS: readonly OpDef[] = [nativeLayerNorm, nativeLayerNormBackward, ...BATCH_NORM_OPS, ...GROUP_NORM_OPS];
