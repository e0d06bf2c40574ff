import type { DType } from '../tensor/dtype.js';
import { scalarTypeName } from '../tensor/dtype.js';

/** c10's name of a dtype, as PyTorch's "not implemented for 'Float'" messages spell it. */
export { scalarTypeName };

/** PyTorch's error for a dtype its kernel does not dispatch (the CPU kernel's name, as PyTorch 1.13 reports it). */
export function notImplemented(kernel: string, d: DType): Error {
  return new Error(`"${kernel}" not implemented for '${scalarTypeName(d)}'`);
}

/** float8 dtypes have no math kernels in PyTorch. */
export const isFloat8 = (d: DType): boolean => d === 'float8_e4m3fn' || d === 'float8_e5m2';
