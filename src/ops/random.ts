import type { DType } from '../tensor/dtype.js';
import { castFunction, isFloating } from '../tensor/dtype.js';
import { numel, type RefTensor } from '../tensor/tensor.js';
import { filled, sizeParam } from './creation.js';
import { dtypeParam, floatParam, input, intParam, meta, param, tensorParam } from './params.js';
import { DEFAULT_FLOAT } from './promotion.js';
import type { OpCall, OpDef, RefOutput } from './types.js';

/*
 * Random ops: rand, randn, randperm and native_dropout draw from the device's generator, so no value is owed, only a
 * law (judge/distribution.ts). `reference` returns what the judge compares against (dropout's input·scale; zeros
 * elsewhere), `sample` is one draw as a correct device makes it (the reference device runs it).
 */

const zeros = (shape: number[]): RefOutput => filled(shape, 0);

/** A draw of `law` as PyTorch makes it: uniform on the dtype's grid in [0, 1); normal by Box–Muller. */
function draw(law: 'uniform' | 'normal', shape: number[], dtype: DType, random: () => number): RefOutput {
  const cast = castFunction(dtype);
  const values = new Float64Array(numel(shape));
  for (let i = 0; i < values.length; i++) {
    let v: number;
    if (law === 'uniform') {
      // rounding a float64 draw up to 1.0 would leave [0, 1): redraw, as a grid draw never reaches it
      do v = cast(random());
      while (v >= 1);
    } else {
      v = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    }
    values[i] = cast(v);
  }
  return { shape, values };
}

function floatDtype(call: OpCall, op: string): DType {
  const dtype = dtypeParam(call, -1, 'dtype') ?? DEFAULT_FLOAT;
  if (!isFloating(dtype) || dtype.startsWith('float8')) throw new Error(`"${op}" not implemented for '${dtype}'`);
  return dtype;
}

function lawOp(name: string, law: 'uniform' | 'normal', kernel: string): OpDef {
  return {
    name,
    family: 'random',
    bind(call) {
      const shape = sizeParam(call, 0);
      const dtype = floatDtype(call, kernel);
      return {
        outputs: [{ dtype, shape, accuracy: { kind: 'distribution', law } }],
        reference: () => [zeros(shape)],
        sample: (_inputs, random) => [draw(law, shape, dtype, random)],
      };
    },
  };
}

// rand(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor
export const rand = lawOp('aten.rand.default', 'uniform', 'check_uniform_bounds');
// randn(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor
export const randn = lawOp('aten.randn.default', 'normal', 'normal_kernel_cpu');

// randperm(SymInt n, *, ScalarType? dtype=long, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor
export const randperm: OpDef = {
  name: 'aten.randperm.default',
  family: 'random',
  bind(call) {
    const n = intParam(call, 0, 'n');
    if (n < 0) throw new Error(`n must be non-negative, got${n}`);
    const dtype = dtypeParam(call, -1, 'dtype') ?? 'int64';
    if (dtype === 'bool' || dtype.startsWith('float8')) throw new Error(`"randperm" not implemented for '${dtype}'`);
    // every index must be a value of the dtype (PyTorch checks n against the dtype's largest exact integer)
    const cast = castFunction(dtype);
    if (n > 0 && cast(n - 1) !== n - 1) throw new Error(`n must be less than or equal to the largest integer of ${dtype}, got ${n}`);
    const shape = [n];
    return {
      outputs: [{ dtype, shape, accuracy: { kind: 'permutation' } }],
      reference: () => [zeros(shape)],
      sample(_inputs, random) {
        // Fisher–Yates
        const values = Float64Array.from({ length: n }, (_, i) => i);
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [values[i], values[j]] = [values[j] as number, values[i] as number];
        }
        return [{ shape, values }];
      },
    };
  },
};

// native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)
export const nativeDropout: OpDef = {
  name: 'aten.native_dropout.default',
  family: 'random',
  bind(call) {
    const self = tensorParam(call, 0, 'input');
    const m = meta(call, self);
    const p = floatParam(call, 1, 'p', NaN);
    const trainArg = param(call, 2, 'train');
    const train = trainArg === undefined || trainArg.kind === 'none' || (trainArg.kind === 'bool' && trainArg.value);
    if (!isFloating(m.dtype)) throw new Error(`"bernoulli_scalar_cpu_" not implemented for '${m.dtype}'`);
    if (train && !(p >= 0 && p <= 1)) throw new Error(`dropout probability has to be between 0 and 1, but got ${p}`);
    const shape = m.shape;
    if (!train) {
      // evaluation: the input itself and a mask of ones, deterministic
      return {
        outputs: [
          { dtype: m.dtype, shape, accuracy: { kind: 'exact', signedZero: true } },
          { dtype: 'bool', shape, accuracy: { kind: 'exact' } },
        ],
        reference: (inputs) => [{ shape, values: input(inputs, self).values }, { shape, values: new Float64Array(numel(shape)).fill(1) }],
      };
    }
    const keep = 1 - p;
    // PyTorch: output = input·mask·scale with scale = 1/(1 − p) (0 when p = 1), the scale rounded to the dtype and
    // the product rounded to the dtype: |x·fl(s) − x·s| ≤ u·|x·s| < 1 ULP, plus half an ULP for the product
    // (1.22 ULPs measured on PyTorch 1.13 for p = 0.1)
    const scale = keep === 0 ? 0 : 1 / keep;
    const scaled = (inputs: readonly RefTensor[]) => Float64Array.from(input(inputs, self).values, (v) => v * scale);
    return {
      outputs: [
        { dtype: m.dtype, shape, accuracy: { kind: 'dropout', mask: 1, ulps: 1.5 } },
        { dtype: 'bool', shape, accuracy: { kind: 'bernoulli', p: keep } },
      ],
      reference: (inputs) => [{ shape, values: scaled(inputs) }, zeros(shape)],
      sample(inputs, random) {
        const cast = castFunction(m.dtype);
        const x = scaled(inputs);
        const mask = new Float64Array(x.length);
        const out = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) {
          mask[i] = random() < keep ? 1 : 0;
          out[i] = mask[i] === 1 ? cast(x[i] as number) : (x[i] as number) * 0;
        }
        return [{ shape, values: out }, { shape, values: mask }];
      },
    };
  },
};

/** The op catalogue's random ops, judged by distribution and properties. */
export const RANDOM_OPS: readonly OpDef[] = [rand, randn, randperm, nativeDropout];
