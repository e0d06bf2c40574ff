import type { DType } from '../tensor/dtype.js';
import { LOW_PRECISION, unitRoundoff } from '../tensor/dtype.js';
import { AccurateSum, gamma, probabilisticGamma } from './numerics.js';

/*
 * The float64 reference and the error bounds every normalisation shares (batch, group and layer norm, forward and
 * backward). A normalisation splits its input into groups (a layer-norm row, a batch-norm channel over the batch and
 * spatial dims, a group-norm (sample, group) pair), normalises each group by its mean μ and rstd r = 1/√(σ² + eps),
 * and scales element j by the parameter (weight, bias) of its channel. See docs/numerics.md, "Layer norm", for the
 * derivation these bounds generalise.
 */

/** Which elements form each group, and which parameter (weight/bias index) each element uses. */
export interface Grouping {
  /** number of groups */
  count: number;
  /** elements per group (M) */
  size: number;
  /** number of parameters (the length of weight and bias) */
  params: number;
  /** flat row-major index of the j-th element of group `g` */
  member(g: number, j: number): number;
  /** the parameter index of the j-th element of group `g` */
  param(g: number, j: number): number;
}

/** Layer norm: `rows` contiguous rows of `n` elements; parameter j is the element's place in its row. */
export function rowGrouping(rows: number, n: number): Grouping {
  return { count: rows, size: n, params: n, member: (g, j) => g * n + j, param: (_g, j) => j };
}

/** Batch norm over [N, C, *spatial]: one group per channel, of N·∏spatial elements strided across the batch. */
export function channelGrouping(shape: readonly number[]): Grouping {
  const n = shape[0] ?? 1;
  const c = shape[1] ?? 1;
  const s = shape.slice(2).reduce((a, b) => a * b, 1);
  return { count: c, size: n * s, params: c, member: (g, j) => (Math.floor(j / s) * c + g) * s + (j % s), param: (g) => g };
}

/**
 * Group norm over [N, C, HxW]: group (n, k) holds channels k·D … k·D + D − 1 (D = C / groups, consecutive channels) of
 * sample n, contiguous in memory; its j-th element is in channel k·D + ⌊j / HxW⌋.
 */
export function channelGroupGrouping(n: number, c: number, hxw: number, groups: number): Grouping {
  const d = c / groups;
  const size = d * hxw;
  return { count: n * groups, size, params: c, member: (g, j) => g * size + j, param: (g, j) => (g % groups) * d + Math.floor(j / hxw) };
}

/** The dtypes a normalisation computes and stores in. */
export interface Precision {
  /** accumulation (opmath) dtype: float32 for float16/bfloat16/float32 data, float64 for float64 */
  acc: DType;
  /** dtype the statistics (or, in eval mode, the running statistics) are stored in */
  stat: DType;
  /** the input's dtype */
  input: DType;
  /** the data is a random draw (of any mean): Higham & Mary's probabilistic γ̃ for its sums */
  random: boolean;
}

/** Output rounding the rules allow: half an ULP, one ULP for a narrow output (it is rounded once more from opmath). */
export function outputUlps(dtype: DType): number {
  return LOW_PRECISION.includes(dtype) ? 1 : 0.5;
}

/**
 * The unit roundoff of the elementwise epilogue (x − μ, ·rstd, ·w, +b): PyTorch 1.13's non-vectorised CPU paths
 * for bfloat16 do that arithmetic in bfloat16 itself, so the larger of opmath's and the input's (and stats') u.
 */
function epilogueU(p: Precision): number {
  return Math.max(unitRoundoff(p.acc), unitRoundoff(p.input), unitRoundoff(p.stat));
}

/** γ for a k-term sum of this data: worst case, or probabilistic over `elements` outputs for a random draw. */
function sumGamma(p: Precision, elements: number): (k: number) => number {
  const u = unitRoundoff(p.acc);
  return (k) => (p.random ? probabilisticGamma(k, u, elements) : gamma(k, u));
}

const finite = (x: number): number => (Number.isFinite(x) ? x : 0);

export interface ForwardResult {
  out: Float64Array;
  outBound: Float64Array;
  /** per group */
  mean: Float64Array;
  /** per group: mean |x|, the scale of the mean's accumulation bound (k = size + 1) */
  meanAbs: Float64Array;
  /** per group: the biased variance Σ(x − μ)²/M */
  variance: Float64Array;
  /** per group: the bound E_σ² on the variance a two-pass or Welford kernel computes */
  varianceBound: Float64Array;
  /** per group: the bound E_μ on the mean, including its rounding to the stats dtype */
  meanBound: Float64Array;
  rstd: Float64Array;
  rstdBound: Float64Array;
}

/**
 * Training-mode normalisation of every group, in float64 (two-pass, compensated): μ = Σx/M, σ² = Σ(x − μ)²/M (biased),
 * r = 1/√(σ² + eps), y = (x − μ)·r·w + b. `zeroInvstd`: batch norm's rule that r = 0 when σ² = 0 and eps = 0 (its CPU
 * and CUDA kernels both have it); elsewhere r is then +inf.
 *
 * Bounds, with u the accumulation dtype's unit roundoff, γ the worst-case γ(k, u) or γ̃ for a random draw, u_s of the
 * stats dtype and u_e the largest of u, u_s and the input's u:
 *   E_μ   = γ(M + 1)·mean|x| + u_s·(|μ| + mean|x|)             (a sum and a division; μ rounded to its dtype)
 *   E_σ²  = γ(2M + 4)·(σ² + E_μ²) + E_μ²                        (two-pass on x − μ̂: a mean off by e adds e² to the
 *           + γ(M + 2)·|μ|·σ + 2·E_μ·mean|x − μ|                centred moment; Welford's running mean errs by u·|μ| per
 *           + u·(σ² + |eps|)                                     update, which each centred term carries: relative error
 *                                                              M·u·|μ|/σ, Chan, Golub & LeVeque 1983 — PyTorch's CPU
 *                                                              group and layer norm use Welford and need it in float64;
 *                                                              the chunked kernels merge partial moments with a
 *                                                              δ² term, δ a difference of chunk means each off by up
 *                                                              to E_μ: 2·E_μ·|δ| per merge, hence the cross term;
 *                                                              one-pass E[x²] − μ², whose error is M·u·(μ² + σ²), is not
 *                                                              admitted: it is |μ|/σ times larger again)
 *   rel_r = E_σ² / (2(σ² + eps)) + γ(3) + u_s                  (√ halves it; add, sqrt, divide; r rounded to its dtype)
 *   |Δy|  ≤ |w|·r·(E_μ + |x − μ|·rel_r) + γ(4, u_e)·((|x| + |μ| + |x − μ|)·r·|w| + |b|)
 * The last term covers both evaluation orders PyTorch uses: (x − μ)·r·w + b, and the fused x·α + (b − μ·α) with
 * α = r·w of its CPU kernels (batch, group and layer norm), whose roundings scale with |x| and |μ|, not |x − μ|.
 */
export function normalizeForward(
  x: Float64Array,
  grp: Grouping,
  w: Float64Array | undefined,
  b: Float64Array | undefined,
  eps: number,
  p: Precision,
  zeroInvstd: boolean,
): ForwardResult {
  const { count, size: m } = grp;
  const g = sumGamma(p, count * m);
  const u = unitRoundoff(p.acc);
  const uStat = unitRoundoff(p.stat);
  const ue = epilogueU(p);
  const g3 = gamma(3, u);
  const g4e = gamma(4, ue);
  const r: ForwardResult = {
    out: new Float64Array(x.length),
    outBound: new Float64Array(x.length),
    mean: new Float64Array(count),
    meanAbs: new Float64Array(count),
    variance: new Float64Array(count),
    varianceBound: new Float64Array(count),
    meanBound: new Float64Array(count),
    rstd: new Float64Array(count),
    rstdBound: new Float64Array(count),
  };
  const idx = new Int32Array(m);
  for (let gi = 0; gi < count; gi++) {
    const s = new AccurateSum();
    const sa = new AccurateSum();
    for (let j = 0; j < m; j++) {
      const k = grp.member(gi, j);
      idx[j] = k;
      const v = x[k] ?? NaN;
      s.add(v);
      sa.add(Math.abs(v));
    }
    const mu = s.value() / m;
    const meanAbs = sa.value() / m;
    const q = new AccurateSum();
    let dev = 0;
    for (let j = 0; j < m; j++) {
      const d = (x[idx[j] ?? 0] ?? NaN) - mu;
      q.addProduct(d, d);
      dev += Math.abs(d);
    }
    const variance = q.value() / m;
    const meanDev = dev / m;
    const rs = zeroInvstd && variance === 0 && eps === 0 ? 0 : 1 / Math.sqrt(variance + eps);
    const eMu = g(m + 1) * meanAbs + uStat * (Math.abs(mu) + meanAbs);
    const eVar =
      g(2 * m + 4) * (variance + eMu * eMu) + eMu * eMu + g(m + 2) * Math.abs(mu) * Math.sqrt(variance) + 2 * eMu * meanDev + u * (variance + Math.abs(eps));
    const relR = rs === 0 ? 0 : eVar / (2 * (variance + eps)) + g3 + uStat;
    r.mean[gi] = mu;
    r.meanAbs[gi] = meanAbs;
    r.variance[gi] = variance;
    r.varianceBound[gi] = finite(eVar);
    r.meanBound[gi] = finite(eMu);
    r.rstd[gi] = rs;
    r.rstdBound[gi] = finite(rs * relR);
    for (let j = 0; j < m; j++) {
      const k = idx[j] ?? 0;
      const xv = x[k] ?? NaN;
      const d = xv - mu;
      const pi = grp.param(gi, j);
      const wj = w ? (w[pi] ?? NaN) : 1;
      const bj = b ? (b[pi] ?? NaN) : 0;
      r.out[k] = d * rs * wj + bj;
      const aw = Math.abs(wj) * rs;
      r.outBound[k] = finite(aw * (eMu + Math.abs(d) * relR) + g4e * ((Math.abs(xv) + Math.abs(mu) + Math.abs(d)) * aw + Math.abs(bj)));
    }
  }
  return r;
}

/**
 * Eval-mode normalisation with given running statistics per channel: y = (x − μ_c)·r_c·w_c + b_c, r_c = 1/√(σ²_c + eps).
 * No reduction: |Δy| ≤ |w|·r·|x − μ|·rel_r + γ(4, u_e)·((|x| + |μ| + |x − μ|)·r·|w| + |b|), rel_r = γ(3, u_e) + u_s
 * (r from an add, a square root and a division, possibly in the running statistics' dtype, then rounded to it).
 */
export function normalizeEval(
  x: Float64Array,
  grp: Grouping,
  w: Float64Array | undefined,
  b: Float64Array | undefined,
  runningMean: Float64Array,
  runningVar: Float64Array,
  eps: number,
  p: Precision,
): { out: Float64Array; outBound: Float64Array } {
  const ue = epilogueU(p);
  const relR = gamma(3, ue) + unitRoundoff(p.stat);
  const g4e = gamma(4, ue);
  const out = new Float64Array(x.length);
  const outBound = new Float64Array(x.length);
  for (let gi = 0; gi < grp.count; gi++) {
    const mu = runningMean[gi] ?? NaN;
    const rs = 1 / Math.sqrt((runningVar[gi] ?? NaN) + eps);
    for (let j = 0; j < grp.size; j++) {
      const k = grp.member(gi, j);
      const xv = x[k] ?? NaN;
      const d = xv - mu;
      const pi = grp.param(gi, j);
      const wj = w ? (w[pi] ?? NaN) : 1;
      const bj = b ? (b[pi] ?? NaN) : 0;
      out[k] = d * rs * wj + bj;
      const aw = Math.abs(wj) * rs;
      outBound[k] = finite(aw * Math.abs(d) * relR + g4e * ((Math.abs(xv) + Math.abs(mu) + Math.abs(d)) * aw + Math.abs(bj)));
    }
  }
  return { out, outBound };
}

export interface BackwardResult {
  gradInput: Float64Array;
  gradInputBound: Float64Array;
  /** per parameter: Σ dy·(x − μ)·r over the elements that use it */
  gradWeight: Float64Array;
  /** per parameter: Σ |dy|·r·(|x| + |μ|), the scale of its accumulation bound */
  gradWeightAbs: Float64Array;
  /** per parameter: Σ dy */
  gradBias: Float64Array;
  /** per parameter: Σ |dy| */
  gradBiasAbs: Float64Array;
  /** terms each parameter's gradient sums */
  termsPerParam: number;
}

/**
 * The backward of a normalisation with the forward's saved mean μ and rstd r per group (inputs of the op, used as
 * given, as PyTorch does), g = dy·w per element:
 *   dx_j = r·g_j − (r/M)·Σg − (r³/M)·Q·(x_j − μ),   Q = Σ g·(x − μ)
 *   dw_c = Σ dy·(x − μ)·r,   db_c = Σ dy   (over the elements of parameter c, across groups)
 * PyTorch's CPU kernels (layer and group norm, 1.13 and 2.x) form Q uncentred, as Σg·x − μ·Σg, and dx as
 * r·g + b·x + c with b = −Q·r³/M and c = −b·μ − Σg·r/M; CUDA's layer norm centres first. Both are admitted, and no
 * more: with S0 = Σ|g| and S1 = Σ|g|·(|x| + |μ|) (the uncentred sum's scale, which the large-mean regime makes large),
 *   E_Σg = γ(M + 1)·S0,   E_Q = γ(M + 4)·S1,   B = |Q|·r³/M,   E_b = (E_Q + γ(4, u_e)·|Q|)·r³/M
 *   |Δdx_j| ≤ E_b·|x_j − μ| + E_Σg·r/M + γ(5, u_e)·(r·|g_j| + (B + E_b)·(|x_j| + |μ|) + (|Σg| + E_Σg)·r/M)
 * dw and db are accumulations: scale Σ|dy|·r·(|x| + |μ|) with k = terms + 4 (the uncentred form and the products),
 * and Σ|dy| with k = terms.
 */
export function normalizeBackward(
  dy: Float64Array,
  x: Float64Array,
  mean: Float64Array,
  rstd: Float64Array,
  w: Float64Array | undefined,
  grp: Grouping,
  p: Precision,
): BackwardResult {
  const { count, size: m, params } = grp;
  const g = sumGamma(p, count * m);
  const ue = epilogueU(p);
  const g4e = gamma(4, ue);
  const g5e = gamma(5, ue);
  const res: BackwardResult = {
    gradInput: new Float64Array(x.length),
    gradInputBound: new Float64Array(x.length),
    gradWeight: new Float64Array(params),
    gradWeightAbs: new Float64Array(params),
    gradBias: new Float64Array(params),
    gradBiasAbs: new Float64Array(params),
    termsPerParam: params === 0 ? 0 : (count * m) / params,
  };
  const dw = Array.from({ length: params }, () => new AccurateSum());
  const dwAbs = Array.from({ length: params }, () => new AccurateSum());
  const dbs = Array.from({ length: params }, () => new AccurateSum());
  const dbAbs = Array.from({ length: params }, () => new AccurateSum());
  const idx = new Int32Array(m);
  const gj = new Float64Array(m);
  for (let gi = 0; gi < count; gi++) {
    const mu = mean[gi] ?? NaN;
    const rs = rstd[gi] ?? NaN;
    const sg = new AccurateSum();
    const sq = new AccurateSum();
    const s0 = new AccurateSum();
    const s1 = new AccurateSum();
    for (let j = 0; j < m; j++) {
      const k = grp.member(gi, j);
      idx[j] = k;
      const pi = grp.param(gi, j);
      const dyv = dy[k] ?? NaN;
      const xv = x[k] ?? NaN;
      const gv = dyv * (w ? (w[pi] ?? NaN) : 1);
      gj[j] = gv;
      sg.add(gv);
      sq.addProduct(gv, xv - mu);
      s0.add(Math.abs(gv));
      s1.add(Math.abs(gv) * (Math.abs(xv) + Math.abs(mu)));
      (dw[pi] as AccurateSum).addProduct(dyv, (xv - mu) * rs);
      (dwAbs[pi] as AccurateSum).add(Math.abs(dyv) * rs * (Math.abs(xv) + Math.abs(mu)));
      (dbs[pi] as AccurateSum).add(dyv);
      (dbAbs[pi] as AccurateSum).add(Math.abs(dyv));
    }
    const db = sg.value();
    const q = sq.value();
    const r3m = (rs * rs * rs) / m;
    const eDb = g(m + 1) * s0.value();
    const eQ = g(m + 4) * s1.value();
    const bAbs = Math.abs(q) * r3m;
    const eB = (eQ + g4e * Math.abs(q)) * r3m;
    for (let j = 0; j < m; j++) {
      const k = idx[j] ?? 0;
      const xv = x[k] ?? NaN;
      const d = xv - mu;
      const gv = gj[j] ?? NaN;
      res.gradInput[k] = rs * gv - (rs / m) * db - r3m * q * d;
      const bound = eB * Math.abs(d) + (eDb * rs) / m + g5e * (rs * Math.abs(gv) + (bAbs + eB) * (Math.abs(xv) + Math.abs(mu)) + ((Math.abs(db) + eDb) * rs) / m);
      res.gradInputBound[k] = finite(bound);
    }
  }
  for (let c = 0; c < params; c++) {
    res.gradWeight[c] = (dw[c] as AccurateSum).value();
    res.gradWeightAbs[c] = finite((dwAbs[c] as AccurateSum).value());
    res.gradBias[c] = (dbs[c] as AccurateSum).value();
    res.gradBiasAbs[c] = finite((dbAbs[c] as AccurateSum).value());
  }
  return res;
}
