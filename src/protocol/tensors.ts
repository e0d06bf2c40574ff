import { dtypeInfo } from '../tensor/dtype.js';
import { contiguousStrides, numel, type TensorData } from '../tensor/tensor.js';
import { ProtocolError } from './frame.js';
import type { WireOutput, WireTensor } from './messages.js';

/** Storages start at multiples of this in a frame body, so a worker may read them in place as typed arrays. */
export const BODY_ALIGNMENT = 64;
const PADDING = new Uint8Array(BODY_ALIGNMENT);

export interface PackedTensors<T> {
  headers: T[];
  /** body chunks in order (storages and alignment padding), not copied */
  chunks: Uint8Array[];
  bodyBytes: number;
}

/** The largest storage element a view touches, +1 (0 for an empty view): the storage must hold that many. */
export function viewExtent(shape: readonly number[], strides: readonly number[], offset: number): number {
  if (shape.some((d) => d === 0)) return 0;
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += ((shape[i] ?? 1) - 1) * (strides[i] ?? 0);
  return last + 1;
}

/** Lays the inputs' storages out in a frame body and describes each view over its storage. */
export function packInputs(inputs: readonly TensorData[]): PackedTensors<WireTensor> {
  const headers: WireTensor[] = [];
  const chunks: Uint8Array[] = [];
  let pos = 0;
  inputs.forEach((t, i) => {
    const itemsize = dtypeInfo(t.dtype).itemsize;
    if (t.shape.length !== t.strides.length) throw new Error(`input ${i}: shape and strides differ in rank`);
    if (t.storage.byteLength % itemsize !== 0) throw new Error(`input ${i}: storage is not a whole number of ${t.dtype} elements`);
    if (viewExtent(t.shape, t.strides, t.offset) * itemsize > t.storage.byteLength) {
      throw new Error(`input ${i}: the view reaches beyond its storage`);
    }
    const pad = (BODY_ALIGNMENT - (pos % BODY_ALIGNMENT)) % BODY_ALIGNMENT;
    if (pad > 0) chunks.push(PADDING.subarray(0, pad));
    pos += pad;
    headers.push({ dtype: t.dtype, shape: [...t.shape], strides: [...t.strides], offset: t.offset, byteOffset: pos, byteLength: t.storage.byteLength });
    if (t.storage.byteLength > 0) chunks.push(t.storage);
    pos += t.storage.byteLength;
  });
  return { headers, chunks, bodyBytes: pos };
}

/** Lays contiguous outputs out in a frame body (what a worker written in TypeScript would send). */
export function packOutputs(outputs: readonly TensorData[]): PackedTensors<WireOutput> {
  const headers: WireOutput[] = [];
  const chunks: Uint8Array[] = [];
  let pos = 0;
  for (const t of outputs) {
    const pad = (BODY_ALIGNMENT - (pos % BODY_ALIGNMENT)) % BODY_ALIGNMENT;
    if (pad > 0) chunks.push(PADDING.subarray(0, pad));
    pos += pad;
    headers.push({ dtype: t.dtype, shape: [...t.shape], byteOffset: pos, byteLength: t.storage.byteLength });
    if (t.storage.byteLength > 0) chunks.push(t.storage);
    pos += t.storage.byteLength;
  }
  return { headers, chunks, bodyBytes: pos };
}

/**
 * Turns validated output descriptors into tensors viewing the frame body (no copy). Checks what a schema
 * cannot: each byte length equals numel × itemsize and lies inside the body.
 */
export function unpackOutputs(outputs: readonly WireOutput[], body: Buffer): TensorData[] {
  return outputs.map((o, i) => {
    const itemsize = dtypeInfo(o.dtype).itemsize;
    const n = numel(o.shape);
    if (!Number.isSafeInteger(n) || n * itemsize !== o.byteLength) {
      throw new ProtocolError(`output ${i} (${o.dtype}, shape [${o.shape.join(', ')}]) has ${o.byteLength} bytes, expected ${n * itemsize}`);
    }
    if (o.byteOffset + o.byteLength > body.byteLength) {
      throw new ProtocolError(`output ${i} lies outside the frame body (bytes ${o.byteOffset}..${o.byteOffset + o.byteLength} of ${body.byteLength})`);
    }
    return {
      dtype: o.dtype,
      shape: [...o.shape],
      strides: contiguousStrides(o.shape),
      offset: 0,
      // a plain Uint8Array view (not a Buffer, whose slice() would not copy)
      storage: new Uint8Array(body.buffer, body.byteOffset + o.byteOffset, o.byteLength),
    };
  });
}
