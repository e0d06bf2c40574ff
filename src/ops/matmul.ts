import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { broadcastIndex } from './broadcast.js';
import { AccurateSum, wrapInt } from './numerics.js';
import type { ScalarArg } from './params.js';
import { input, meta, scalarParam, tensorParam } from './params.js';
import { opmathType } from './promotion.js';
import type { Accuracy, OpDef, RefOutput } from './types.js';
import { LOW_PRECISION } from '../tensor/dtype.js';

function sameDtype(op: string, a: DType, b: DType): DType {
  if (a !== b) throw new Error(`${op}: expected both operands to have the same dtype, but got ${a} and ${b}`);
  if (a === 'bool') throw new Error(`${op} is not implemented for bool`);
  return a;
}

function dims2(op: string, shape: readonly number[]): [number, number] {
  if (shape.length !== 2) throw new Error(`${op}: expected a 2-D tensor, got ${shape.length}-D`);
  return [shape[0] ?? 0, shape[1] ?? 0];
}

/**
 * C[b] = A[b] · B[b] for `batch` matrices (n×k)·(k×p), row-major. Floats: accurate float64 dot products and
 * Σ|a·b| per element; integers: exact, wrapped to the dtype.
 */
function batchedProduct(dtype: DType, a: Float64Array, b: Float64Array, batch: number, n: number, k: number, p: number): { values: Float64Array; absSum: Float64Array } {
  const values = new Float64Array(batch * n * p);
  const absSum = new Float64Array(batch * n * p);
  for (let z = 0; z < batch; z++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        const o = (z * n + i) * p + j;
        if (!isFloating(dtype)) {
          let s = 0n;
          for (let t = 0; t < k; t++) s += BigInt(a[(z * n + i) * k + t] ?? 0) * BigInt(b[(z * k + t) * p + j] ?? 0);
          values[o] = wrapInt(dtype, s);
          continue;
        }
        const s = new AccurateSum();
        const m = new AccurateSum();
        for (let t = 0; t < k; t++) {
          const x = a[(z * n + i) * k + t] ?? NaN;
          const y = b[(z * k + t) * p + j] ?? NaN;
          s.addProduct(x, y);
          m.add(Math.abs(x * y));
        }
        values[o] = s.value();
        absSum[o] = m.value();
      }
    }
  }
  return { values, absSum };
}

function accumulation(dtype: DType): Accuracy {
  if (!isFloating(dtype)) return { kind: 'exact' };
  // float16/bfloat16 products accumulate in float32 (CPU and cuBLAS defaults), then round once to the narrow type
  return { kind: 'accumulation', accumDtype: opmathType(dtype), ulps: LOW_PRECISION.includes(dtype) ? 1 : 0.5 };
}

/** The float64 result of n×k·k×p products: floats carry Σ|a·b| and k terms for the accumulation bound. */
function productOutput(dtype: DType, shape: number[], r: { values: Float64Array; absSum: Float64Array }, k: number): RefOutput {
  return isFloating(dtype) ? { shape, values: r.values, absSum: r.absSum, terms: k } : { shape, values: r.values };
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
      outputs: [{ dtype, shape: [n, p], accuracy: accumulation(dtype) }],
      reference: (inputs) => [productOutput(dtype, [n, p], batchedProduct(dtype, input(inputs, ai).values, input(inputs, bi).values, 1, n, k, p), k)],
    };
  },
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
      outputs: [{ dtype, shape: [z, n, p], accuracy: accumulation(dtype) }],
      reference: (inputs) => [productOutput(dtype, [z, n, p], batchedProduct(dtype, input(inputs, ai).values, input(inputs, bi).values, z, n, k, p), k)],
    };
  },
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
      outputs: [{ dtype, shape: [n, p], accuracy: accumulation(dtype) }],
      reference(inputs) {
        const cv = input(inputs, ci);
        const r = batchedProduct(dtype, input(inputs, ai).values, input(inputs, bi).values, 1, n, k, p);
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
        // k products and sums, plus the alpha scaling, the beta scaling and the final add; one more for alpha and
        // beta themselves being rounded to the compute dtype
        return [productOutput(dtype, [n, p], { values, absSum }, k + 3)];
      },
    };
  },
};

export const MATMUL_OPS: readonly OpDef[] = [mm, bmm, addmm];
