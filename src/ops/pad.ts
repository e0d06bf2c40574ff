import { torchCastFromFloat64 } from '../tensor/dtype.js';
import { input, intsParam, meta, scalarParam, tensorParam } from './params.js';
import type { OpCall, OpDef } from './types.js';
import { checkedScalar, COPY, perDimGather, showShape } from './views-common.js';

/*
 * Pads: constant_pad_nd (negative pads crop), reflection_pad{1,2,3}d (mirror without repeating the edge) and
 * replication_pad{2,3}d (repeat the edge). Each output index o of a padded dim with left pad l reads input index
 * o − l, mapped into [0, size) by the mode: reflection −q → q and size − 1 + k → size − 1 − k; replication clamps.
 * That is how ATen indexes (PaddingKernel.cpp `ReflectionPad::index` with offset −l), for negative pads too.
 */

/**
 * `narrow(dim, start, length)` as constant_pad_nd calls it to crop, with PyTorch's checks: a start past the end
 * is a dim out of range, a negative or overlong length is reported as such.
 */
function narrowCheck(start: number, length: number, size: number): void {
  if (start > size) throw new Error(`Dimension out of range (expected to be in range of [${-size}, ${size - 1}], but got ${start})`);
  if (length < 0 || start + length > size) throw new Error(`start (${start}) + length (${length}) exceeds dimension size (${size}).`);
}

// constant_pad_nd(Tensor self, SymInt[] pad, Scalar value=0) -> Tensor
export const constantPadNd: OpDef = {
  name: 'aten.constant_pad_nd.default',
  family: 'shape',
  bind(call) {
    const self = tensorParam(call, 0, 'self');
    const m = meta(call, self);
    const pad = intsParam(call, 1, 'pad') ?? [];
    const value = scalarParam(call, 2, 'value', { value: 0, kind: 'int' });
    if (pad.length % 2 !== 0) throw new Error(`Length of pad must be even but instead it equals ${pad.length}`);
    const rank = m.shape.length;
    const lPad = pad.length / 2;
    const lDiff = rank - lPad;
    if (lDiff < 0) {
      // sic: PyTorch's message runs the numbers into the words
      throw new Error(`Length of pad should be no more than twice the number of dimensions of the input. Pad length is ${pad.length}while the input has ${rank}dimensions.`);
    }
    // the pads of dim i (pad lists the last dim first)
    const padsOf = (i: number): [number, number] => {
      const k = 2 * (rank - i - 1);
      return [pad[k] as number, pad[k + 1] as number];
    };
    // negative pads crop first, as narrow does, and may raise there
    const cropped = [...m.shape];
    let allNonPositive = true;
    for (let i = lDiff; i < rank; i++) {
      const [left, right] = padsOf(i);
      if (left < 0) {
        narrowCheck(-left, (cropped[i] as number) + left, cropped[i] as number);
        cropped[i] = (cropped[i] as number) + left;
      } else if (left !== 0) allNonPositive = false;
      if (right < 0) {
        narrowCheck(0, (cropped[i] as number) + right, cropped[i] as number);
        cropped[i] = (cropped[i] as number) + right;
      } else if (right !== 0) allNonPositive = false;
    }
    let shape = cropped;
    let fill = 0;
    if (!allNonPositive) {
      shape = m.shape.map((s, i) => {
        if (i < lDiff) return s;
        const [left, right] = padsOf(i);
        const n = s + left + right;
        if (n <= 0) {
          throw new Error(
            `The input size ${s}, plus negative padding ${left} and ${right} resulted in a negative output size, which is invalid. Check dimension ${i} of your input.`,
          );
        }
        return n;
      });
      // the value is converted only when something is filled (fill_ after the crop-only shortcut)
      fill = torchCastFromFloat64(m.dtype, checkedScalar(m.dtype, value.value, value.kind));
    }
    const maps = shape.map((_, i) => {
      if (i < lDiff) return (o: number) => o;
      const [left] = padsOf(i);
      const size = m.shape[i] as number;
      return (o: number) => {
        const q = o - left;
        return q >= 0 && q < size ? q : -1;
      };
    });
    return {
      outputs: [{ dtype: m.dtype, shape, accuracy: COPY }],
      reference: (inputs) => [{ shape, values: perDimGather(input(inputs, self), shape, maps, fill) }],
    };
  },
};

type PadMode = 'reflection' | 'replication';

const AXES = ['D', 'H', 'W'];

/** `<mode>_pad<nd>d(Tensor self, SymInt[2·nd] padding) -> Tensor`: input (C, …) or (N, C, …) with nd spatial dims. */
function padOp(mode: PadMode, nd: 1 | 2 | 3): OpDef {
  return {
    name: `aten.${mode}_pad${nd}d.default`,
    family: 'shape',
    bind(call: OpCall) {
      const self = tensorParam(call, 0, 'self');
      const m = meta(call, self);
      const padding = intsParam(call, 1, 'padding') ?? [];
      if (padding.length !== 2 * nd) throw new Error(`padding size is expected to be ${2 * nd}`);
      const rank = m.shape.length;
      const batch = rank === nd + 2;
      // a batch of 0 is allowed; every other dim must be non-empty
      const valid = (batch || rank === nd + 1) && m.shape.every((s, d) => s !== 0 || (batch && d === 0));
      if (!valid) {
        throw new Error(`Expected ${nd + 1}D or ${nd + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${showShape(m.shape)}`);
      }
      const first = rank - nd;
      // padding lists the last dim first: (left, right, top, bottom, front, back)
      const padsOf = (i: number): [number, number] => {
        const k = 2 * (rank - i - 1);
        return [padding[k] as number, padding[k + 1] as number];
      };
      if (mode === 'reflection') {
        for (let i = first; i < rank; i++) {
          const [l, r] = padsOf(i);
          const s = m.shape[i] as number;
          if (!(l < s && r < s)) {
            throw new Error(
              `Argument #${2 + 2 * nd}: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${i} of input ${showShape(m.shape)}`,
            );
          }
        }
      }
      const shape = m.shape.map((s, i) => (i < first ? s : s + padsOf(i)[0] + padsOf(i)[1]));
      const spatial = shape.slice(first);
      const tooSmall = mode === 'reflection' ? spatial.some((s) => s < 1) : spatial.every((s) => s < 1);
      if (tooSmall) {
        const axes = AXES.slice(3 - nd);
        const ins = axes.map((a, k) => `${a}: ${m.shape[first + k] as number}`).join(', ');
        const outs = axes.map((a, k) => `${a}: ${spatial[k] as number}`).join(' ');
        throw new Error(`input (${ins}) is too small. Calculated output ${outs}`);
      }
      const negative = shape.find((s) => s < 0);
      if (negative !== undefined) throw new Error(`Trying to create tensor with negative dimension ${negative}: ${showShape(shape)}`);
      const maps = shape.map((_, i) => {
        if (i < first) return (o: number) => o;
        const [left] = padsOf(i);
        const size = m.shape[i] as number;
        if (mode === 'replication') return (o: number) => Math.min(Math.max(o - left, 0), size - 1);
        return (o: number) => {
          const q = o - left;
          return q < 0 ? -q : q >= size ? 2 * (size - 1) - q : q;
        };
      });
      return {
        outputs: [{ dtype: m.dtype, shape, accuracy: COPY }],
        reference: (inputs) => [{ shape, values: perDimGather(input(inputs, self), shape, maps) }],
      };
    },
  };
}

export const reflectionPad1d = padOp('reflection', 1);
export const reflectionPad2d = padOp('reflection', 2);
export const reflectionPad3d = padOp('reflection', 3);
export const replicationPad2d = padOp('replication', 2);
export const replicationPad3d = padOp('replication', 3);

export const PAD_OPS: readonly OpDef[] = [constantPadNd, reflectionPad1d, reflectionPad2d, reflectionPad3d, replicationPad2d, replicationPad3d];
