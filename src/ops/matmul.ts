import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { broadcastIndex } from './broadcast.js';
import { AccurateSum, exactInAnyOrder, gridExponent, wrapInt } from './numerics.js';
import type { ScalarArg } from './params.js';
import { input, meta, scalarParam, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import type { Accuracy, OpDef, RefOutput } from './types.js';
import { LOW_PRECISION } from '../tensor/dtype.js';
import { matmulWitness, NAN_INF } from './regimes.js';

function sameDtype(op: string, a: DType, b: DType): DType {
  if (a !== b) throw new Error(`${op}: expected both operands to have the same dtype, but got ${a} and ${b}`);
  if (a === 'bool') throw new Error(`${op} is not implemented for bool`);
  return a;
}

function dims2(op: string, shape: readonly number[]): [number, number] {
  if (shape.length !== 2) throw new Error(`${op}: expected a 2-D tensor, got ${shape.length}-D`);
  return [shape[0] ?? 0, shape[1] ?? 0];
}

interface Product {
  values: Float64Array;
  absSum: Float64Array;
  /** where each dot product is exact in the accumulation dtype in every order (see exactInAnyOrder) */
  exact?: Uint8Array;
}

/**
 * C[b] = A[b] · B[b] for `batch` matrices (n×k)·(k×p), row-major. Floats: accurate float64 dot products, Σ|a·b| per
 * element, and (with `witnessIn`) the elements whose every order of accumulation is exact in that dtype: the
 * products of A's grid 2^gA and B's grid 2^gB lie on 2^(gA+gB). Integers: exact, wrapped to the dtype.
 */
function batchedProduct(dtype: DType, a: Float64Array, b: Float64Array, batch: number, n: number, k: number, p: number, witnessIn: DType | null): Product {
  const values = new Float64Array(batch * n * p);
  const absSum = new Float64Array(batch * n * p);
  const floating = isFloating(dtype);
  const bt = new Float64Array(k * p);
  for (let z = 0; z < batch; z++) {
    // B's columns made contiguous: the inner loop then walks both operands in order
    for (let t = 0; t < k; t++) for (let j = 0; j < p; j++) bt[j * k + t] = b[(z * k + t) * p + j] ?? NaN;
    for (let i = 0; i < n; i++) {
      const row = (z * n + i) * k;
      for (let j = 0; j < p; j++) {
        const o = (z * n + i) * p + j;
        const col = j * k;
        if (!floating) {
          let s = 0n;
          for (let t = 0; t < k; t++) s += BigInt(a[row + t] ?? 0) * BigInt(bt[col + t] ?? 0);
          values[o] = wrapInt(dtype, s);
          continue;
        }
        const s = new AccurateSum();
        // Σ|a·b| only scales a bound: a plain float64 sum is accurate enough (and exact on a witness grid)
        let m = 0;
        for (let t = 0; t < k; t++) {
          const x = a[row + t] as number;
          const y = bt[col + t] as number;
          s.addProduct(x, y);
          m += Math.abs(x * y);
        }
        values[o] = s.value();
        absSum[o] = m;
      }
    }
  }
  if (!floating || !witnessIn) return { values, absSum };
  const grid = gridExponent(a) + gridExponent(b);
  return { values, absSum, exact: Uint8Array.from(absSum, (m) => (exactInAnyOrder(m, grid, witnessIn) ? 1 : 0)) };
}

/**
 * float16/bfloat16 products accumulate in float32 (CPU and cuBLAS defaults), then round once to the narrow type.
 * Random data symmetric around zero in both factors gets the probabilistic bound.
 */
function accumulation(dtype: DType, random: boolean): Accuracy {
  if (!isFloating(dtype)) return { kind: 'exact' };
  return { kind: 'accumulation', accumDtype: opmathType(dtype), ulps: LOW_PRECISION.includes(dtype) ? 1 : 0.5, ...(random ? { model: 'probabilistic' as const } : {}) };
}

/** The float64 result of n×k·k×p products: floats carry Σ|a·b|, k terms and the witness marks for the bound. */
function productOutput(dtype: DType, shape: number[], r: Product, k: number): RefOutput {
  if (!isFloating(dtype)) return { shape, values: r.values };
  return r.exact ? { shape, values: r.values, absSum: r.absSum, terms: k, exact: r.exact } : { shape, values: r.values, absSum: r.absSum, terms: k };
}

// mm(Tensor self, Tensor mat2)
export const mm: OpDef = {
  name: 'aten.mm.default',
  family: 'matmul',
  bind(call) {
    const ai = tensorParam(call, 0, 'self');
    const bi = tensorParam(call, 1, 'mat2');
    const a = meta(call, ai);
    const b = meta(call, bi);
    const dtype = sameDtype('mm', a.dtype, b.dtype);
    const [n, k] = dims2('mm', a.shape);
    const [k2, p] = dims2('mm', b.shape);
    if (k !== k2) throw new Error(`mm: mat1 and mat2 shapes cannot be multiplied (${n}x${k} and ${k2}x${p})`);
    return {
      outputs: [{ dtype, shape: [n, p], accuracy: accumulation(dtype, a.symmetric === true && b.symmetric === true) }],
      reference: (inputs) => [productOutput(dtype, [n, p], batchedProduct(dtype, input(inputs, ai).values, input(inputs, bi).values, 1, n, k, p, opmathType(dtype)), k)],
    };
  },
  regimes: [matmulWitness(1), NAN_INF],
};

// bmm(Tensor self, Tensor mat2)
export const bmm: OpDef = {
  name: 'aten.bmm.default',
  family: 'matmul',
  bind(call) {
    const ai = tensorParam(call, 0, 'self');
    const bi = tensorParam(call, 1, 'mat2');
    const a = meta(call, ai);
    const b = meta(call, bi);
    const dtype = sameDtype('bmm', a.dtype, b.dtype);
    if (a.shape.length !== 3 || b.shape.length !== 3) throw new Error('bmm: expected 3-D tensors');
    const [z, n, k] = a.shape as [number, number, number];
    const [z2, k2, p] = b.shape as [number, number, number];
    if (z !== z2 || k !== k2) throw new Error(`bmm: batch1 and batch2 shapes cannot be multiplied ([${a.shape.join(', ')}] and [${b.shape.join(', ')}])`);
    return {
      outputs: [{ dtype, shape: [z, n, p], accuracy: accumulation(dtype, a.symmetric === true && b.symmetric === true) }],
      reference: (inputs) => [productOutput(dtype, [z, n, p], batchedProduct(dtype, input(inputs, ai).values, input(inputs, bi).values, z, n, k, p, opmathType(dtype)), k)],
    };
  },
  regimes: [matmulWitness(1), NAN_INF],
};

const ONE: ScalarArg = { value: 1, kind: 'int' };

// addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1)
export const addmm: OpDef = {
  name: 'aten.addmm.default',
  family: 'matmul',
  bind(call) {
    const ci = tensorParam(call, 0, 'self');
    const c = meta(call, ci);
    const ai = tensorParam(call, 1, 'mat1');
    const a = meta(call, ai);
    const bi = tensorParam(call, 2, 'mat2');
    const b = meta(call, bi);
    const dtype = sameDtype('addmm', c.dtype, sameDtype('addmm', a.dtype, b.dtype));
    const [n, k] = dims2('addmm', a.shape);
    const [k2, p] = dims2('addmm', b.shape);
    if (k !== k2) throw new Error(`addmm: mat1 and mat2 shapes cannot be multiplied (${n}x${k} and ${k2}x${p})`);
    if (c.shape.length > 2 || c.shape.some((s, i) => s !== 1 && s !== [n, p][i + 2 - c.shape.length])) {
      throw new Error(`addmm: self of shape [${c.shape.join(', ')}] does not broadcast to [${n}, ${p}]`);
    }
    const betaArg = scalarParam(call, -1, 'beta', ONE);
    const alphaArg = scalarParam(call, -1, 'alpha', ONE);
    if (!isFloating(dtype) && (betaArg.kind === 'float' || alphaArg.kind === 'float')) throw new Error('addmm: float alpha/beta with an integer tensor');
    const beta = betaArg.value;
    const alpha = alphaArg.value;
    return {
      outputs: [{ dtype, shape: [n, p], accuracy: accumulation(dtype, a.symmetric === true && b.symmetric === true) }],
      reference(inputs) {
        const cv = input(inputs, ci);
        const av = input(inputs, ai).values;
        const bv = input(inputs, bi).values;
        const r = batchedProduct(dtype, av, bv, 1, n, k, p, null);
        const map = broadcastIndex(cv.shape, [n, p]);
        const values = new Float64Array(n * p);
        const absSum = new Float64Array(n * p);
        for (let o = 0; o < n * p; o++) {
          const x = cv.values[map[o] ?? 0] ?? NaN;
          if (!isFloating(dtype)) {
            values[o] = wrapInt(dtype, BigInt(beta) * BigInt(x) + BigInt(alpha) * BigInt(r.values[o] ?? 0));
            continue;
          }
          // beta = 0 ignores self entirely: NaN and inf in it do not propagate (documented PyTorch behaviour)
          const s = new AccurateSum();
          if (beta !== 0) s.addProduct(beta, x);
          s.addProduct(alpha, r.values[o] ?? NaN);
          values[o] = s.value();
          absSum[o] = (beta !== 0 ? Math.abs(beta * x) : 0) + Math.abs(alpha) * (r.absSum[o] ?? 0);
        }
        // with α = 1 and β ∈ {0, 1} the scalings are exact and self joins the sum as one more term on its own grid
        const witness = isFloating(dtype) && alpha === 1 && (beta === 0 || beta === 1);
        const grid = Math.min(gridExponent(av) + gridExponent(bv), beta === 1 ? gridExponent(cv.values) : Infinity);
        const exact = witness ? Uint8Array.from(absSum, (m) => (exactInAnyOrder(m, grid, opmathType(dtype)) ? 1 : 0)) : undefined;
        // k products and sums, plus the alpha scaling, the beta scaling and the final add; one more for alpha and
        // beta themselves being rounded to the compute dtype
        return [productOutput(dtype, [n, p], exact ? { values, absSum, exact } : { values, absSum }, k + 3)];
      },
    };
  },
  regimes: [matmulWitness(2), NAN_INF],
};

export const MATMUL_OPS: readonly OpDef[] = [mm, bmm, addmm];
