import type { DType } from '../tensor/dtype.js';
import { isFloating, unitRoundoff } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { checkedScalar, COPY, shapeText } from './indexing-util.js';
import { gamma, wrapInt } from './numerics.js';
import { dtypeParam, intsParam, meta, scalarParam, tensorParam, type ScalarArg } from './params.js';
import { DEFAULT_FLOAT } from './promotion.js';
import type { Accuracy, OpCall, OpDef, OutputSpec } from './types.js';

/*
 * Tensor creation: arange, full, full_like, fill, scalar_tensor, empty, empty_strided. A fill value reaches its dtype
 * through c10's checked conversion (float values truncate toward zero into integers; out-of-range values are an
 * error, not a wrap); the values of `empty` are whatever the allocator returns: undefined, unrepeatable, and judged
 * by dtype and shape alone.
 */

/** A `SymInt[] size` argument: PyTorch refuses a negative dimension. */
export function sizeParam(call: OpCall, pos: number): number[] {
  const size = intsParam(call, pos, 'size') ?? [];
  const negative = size.find((n) => n < 0);
  if (negative !== undefined) throw new Error(`Trying to create tensor with negative dimension ${negative}: ${shapeText(size)}`);
  return size;
}

/** A reference output holding `value` everywhere. */
export const filled = (shape: number[], value: number) => ({ shape, values: new Float64Array(numel(shape)).fill(value) });

/** A bound op whose one output holds `value` everywhere (exact: the fill value is a value of the dtype already). */
function fillOp(dtype: DType, shape: number[], value: number, alternativeDtypes?: DType[]) {
  const out: OutputSpec = { dtype, shape, accuracy: COPY, ...(alternativeDtypes ? { alternativeDtypes } : {}) };
  return { outputs: [out], reference: () => [filled(shape, value)] };
}

/**
 * The dtype `full` and `arange` infer from Python scalars: a float gives the default dtype (float32), ints give int64.
 * A bool fill value gives bool through torch.full but int64 through torch.ops.aten.full in PyTorch 1.13 (its
 * argument parser reads a Python bool as an int): both are accepted.
 */
function inferredDtype(scalars: readonly ScalarArg[]): { dtype: DType; alternatives?: DType[] } {
  if (scalars.some((s) => s.kind === 'float')) return { dtype: DEFAULT_FLOAT };
  if (scalars.every((s) => s.kind === 'bool')) return { dtype: 'int64', alternatives: ['bool'] };
  return { dtype: 'int64' };
}

const text = (x: number) => (Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : String(x));

// arange.start_step(Scalar start, Scalar end, Scalar step=1, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor
export const arangeStartStep: OpDef = {
  name: 'aten.arange.start_step',
  family: 'creation',
  bind(call) {
    const start = scalarParam(call, 0, 'start');
    const end = scalarParam(call, 1, 'end');
    const step = scalarParam(call, 2, 'step', { value: 1, kind: 'int' });
    const dtype = dtypeParam(call, -1, 'dtype') ?? inferredDtype([start, end, step]).dtype;
    if (dtype === 'bool') throw new Error('"arange_cpu" not implemented for \'Bool\'');
    const float = isFloating(dtype);
    // the scalars in the kernel's accumulation type: int64 for every integer dtype (truncated, with c10's overflow
    // check), float for float16/bfloat16 (and float32 on CUDA), double for float64 (and float32 on the CPU)
    const acc: DType = !float ? 'int64' : dtype === 'float64' ? 'float64' : 'float32';
    const [xstart, xend, xstep] = [start, end, step].map((s) => checkedScalar(s, acc)) as [number, number, number];
    if (!(xstep > 0 || xstep < 0)) throw new Error('step must be nonzero');
    if (!Number.isFinite(xstart) || !Number.isFinite(xend)) throw new Error(`unsupported range: ${text(xstart)} -> ${text(xend)}`);
    if (!((xstep > 0 && xend >= xstart) || (xstep < 0 && xend <= xstart))) throw new Error('upper bound and larger bound inconsistent with step sign');
    // the element count, as PyTorch computes it on every backend: int64 from the truncated scalars, every other dtype
    // from the scalars as doubles, ceil((end − start) / step) with each operation rounded in float64
    const sizeD = dtype === 'int64' ? Math.ceil((xend - xstart) / xstep) : Math.ceil((end.value - start.value) / step.value);
    if (!(sizeD >= 0 && sizeD <= 2 ** 63)) throw new Error('invalid size, possible overflow?');
    const shape = [sizeD];
    // floats: start + i·step formed in the accumulation type (start and step rounded to it, the product, the sum, and
    // on CUDA the index converted): γ(4, u)·(|start| + i·|step|), then the rounding to the output dtype. PyTorch's CPU
    // kernel fills a vector at a time from a base start + i₀·step that it rounds to the output dtype first
    // (Vectorized<T>::arange(T base, step)): for float16 and bfloat16 that costs up to u(out)·(|start| + i·|step|),
    // many ULPs of a result near zero (measured on 1.13: 4.3 float16 ULPs in −4 to 4 by 0.01)
    const u = float ? unitRoundoff(acc) : 0;
    const uBase = dtype === 'float16' || dtype === 'bfloat16' ? unitRoundoff(dtype) : 0;
    const accuracy: Accuracy = float ? { kind: 'bound', ulps: 0.5 } : { kind: 'exact' };
    return {
      outputs: [{ dtype, shape, accuracy }],
      reference() {
        const values = new Float64Array(sizeD);
        if (!float) {
          // int64 arithmetic, then stored into the dtype (wrapping past its range, as arange(0, 300, dtype=int8) does)
          for (let i = 0; i < sizeD; i++) values[i] = xstart + i * xstep;
          return [{ shape, values: values.map((v) => wrapInt(dtype, v)) }];
        }
        const bound = new Float64Array(sizeD);
        const g = gamma(4, u) + uBase;
        for (let i = 0; i < sizeD; i++) {
          values[i] = start.value + i * step.value;
          bound[i] = g * (Math.abs(start.value) + i * Math.abs(step.value));
        }
        return [{ shape, values, bound }];
      },
    };
  },
};

// empty.memory_format(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor
export const emptyMemoryFormat: OpDef = {
  name: 'aten.empty.memory_format',
  family: 'creation',
  bind(call) {
    const shape = sizeParam(call, 0);
    const dtype = dtypeParam(call, -1, 'dtype') ?? DEFAULT_FLOAT;
    return {
      outputs: [{ dtype, shape, accuracy: { kind: 'unspecified' } }],
      // uninitialised memory: neither its values nor their repetition are defined
      nondeterministic: true,
      reference: () => [filled(shape, 0)],
    };
  },
};

// empty_strided(SymInt[] size, SymInt[] stride, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor
export const emptyStrided: OpDef = {
  name: 'aten.empty_strided.default',
  family: 'creation',
  bind(call) {
    const shape = sizeParam(call, 0);
    const stride = intsParam(call, 1, 'stride') ?? [];
    if (stride.length !== shape.length) throw new Error(`dimensionality of sizes (${shape.length}) must match dimensionality of strides (${stride.length})`);
    if (stride.some((s) => s < 0)) throw new Error(`Storage size calculation overflowed with sizes=${shapeText(shape)} and strides=${shapeText(stride)}`);
    const dtype = dtypeParam(call, -1, 'dtype') ?? DEFAULT_FLOAT;
    return {
      // the strides shape the storage, never the logical values: those are undefined as for `empty`
      outputs: [{ dtype, shape, accuracy: { kind: 'unspecified' } }],
      nondeterministic: true,
      reference: () => [filled(shape, 0)],
    };
  },
};

// full(SymInt[] size, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor
export const full: OpDef = {
  name: 'aten.full.default',
  family: 'creation',
  bind(call) {
    const shape = sizeParam(call, 0);
    const value = scalarParam(call, 1, 'fill_value');
    const given = dtypeParam(call, -1, 'dtype');
    const { dtype, alternatives } = given ? { dtype: given, alternatives: undefined } : inferredDtype([value]);
    return fillOp(dtype, shape, checkedScalar(value, dtype), alternatives);
  },
};

// full_like(Tensor self, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor
export const fullLike: OpDef = {
  name: 'aten.full_like.default',
  family: 'creation',
  bind(call) {
    const m = meta(call, tensorParam(call, 0, 'self'));
    const dtype = dtypeParam(call, -1, 'dtype') ?? m.dtype;
    return fillOp(dtype, [...m.shape], checkedScalar(scalarParam(call, 1, 'fill_value'), dtype));
  },
};

// fill.Scalar(Tensor self, Scalar value) -> Tensor
export const fillScalar: OpDef = {
  name: 'aten.fill.Scalar',
  family: 'creation',
  bind(call) {
    const m = meta(call, tensorParam(call, 0, 'self'));
    return fillOp(m.dtype, [...m.shape], checkedScalar(scalarParam(call, 1, 'value'), m.dtype));
  },
};

// scalar_tensor(Scalar s, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor
export const scalarTensor: OpDef = {
  name: 'aten.scalar_tensor.default',
  family: 'creation',
  bind(call) {
    // the default dtype whatever the scalar's type: scalar_tensor(2) is a float32 2.0
    const dtype = dtypeParam(call, -1, 'dtype') ?? DEFAULT_FLOAT;
    return fillOp(dtype, [], checkedScalar(scalarParam(call, 0, 's'), dtype));
  },
};

/** The op catalogue's tensor creation (arange, full, empty, scalar_tensor, fill). */
export const CREATION_OPS: readonly OpDef[] = [arangeStartStep, emptyMemoryFormat, emptyStrided, full, fullLike, fillScalar, scalarTensor];
