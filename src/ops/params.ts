import type { DType } from '../tensor/dtype.js';
import type { RefTensor } from '../tensor/tensor.js';
import type { Arg } from './args.js';
import { scalarValue } from './args.js';
import type { OpCall } from './types.js';

/**
 * Reads an ATen argument the way Python binds it: positionally at `pos`, or by keyword `name`
 * (keyword-only parameters pass pos = -1). Undefined when absent, so the schema default applies.
 */
export function param(call: OpCall, pos: number, name: string): Arg | undefined {
  if (pos >= 0 && pos < call.args.length) return call.args[pos];
  return call.kwargs[name];
}

function fail(name: string, expected: string, a: Arg | undefined): never {
  throw new Error(`argument '${name}' must be ${expected}, got ${a === undefined ? 'nothing' : a.kind}`);
}

/** Index of the case input a tensor argument refers to. */
export function tensorParam(call: OpCall, pos: number, name: string): number {
  const a = param(call, pos, name);
  if (a?.kind !== 'tensor') fail(name, 'a tensor', a);
  if (a.index >= call.inputs.length) throw new Error(`argument '${name}' refers to input ${a.index}, but the case has ${call.inputs.length}`);
  return a.index;
}

/** An optional tensor (`Tensor?`): undefined for None or absent. */
export function optionalTensorParam(call: OpCall, pos: number, name: string): number | undefined {
  const a = param(call, pos, name);
  if (a === undefined || a.kind === 'none') return undefined;
  return tensorParam(call, pos, name);
}

export function tensorListParam(call: OpCall, pos: number, name: string): number[] {
  const a = param(call, pos, name);
  if (a?.kind !== 'tensors') fail(name, 'a tensor list', a);
  for (const i of a.indices) {
    if (i >= call.inputs.length) throw new Error(`argument '${name}' refers to input ${i}, but the case has ${call.inputs.length}`);
  }
  return a.indices;
}

export function intParam(call: OpCall, pos: number, name: string, dflt?: number): number {
  const a = param(call, pos, name);
  if (a === undefined && dflt !== undefined) return dflt;
  if (a?.kind !== 'int') fail(name, 'an int', a);
  return a.value;
}

/** `int?`: null for None or absent. */
export function optionalIntParam(call: OpCall, pos: number, name: string): number | null {
  const a = param(call, pos, name);
  if (a === undefined || a.kind === 'none') return null;
  if (a.kind !== 'int') fail(name, 'an int or None', a);
  return a.value;
}

/** `int[]` or `int[1]?` (a single int is accepted, as Python does for int[1]); null for None or absent. */
export function intsParam(call: OpCall, pos: number, name: string): number[] | null {
  const a = param(call, pos, name);
  if (a === undefined || a.kind === 'none') return null;
  if (a.kind === 'int') return [a.value];
  if (a.kind !== 'ints') fail(name, 'a list of ints', a);
  return a.value;
}

export function boolParam(call: OpCall, pos: number, name: string, dflt: boolean): boolean {
  const a = param(call, pos, name);
  if (a === undefined) return dflt;
  if (a.kind !== 'bool') fail(name, 'a bool', a);
  return a.value;
}

export function floatParam(call: OpCall, pos: number, name: string, dflt: number): number {
  const a = param(call, pos, name);
  if (a === undefined) return dflt;
  if (a.kind !== 'float' && a.kind !== 'int') fail(name, 'a float', a);
  return scalarValue(a);
}

export function strParam(call: OpCall, pos: number, name: string, dflt: string | null): string | null {
  const a = param(call, pos, name);
  if (a === undefined || a.kind === 'none') return dflt;
  if (a.kind !== 'str') fail(name, 'a string', a);
  return a.value;
}

export function dtypeParam(call: OpCall, pos: number, name: string): DType | null {
  const a = param(call, pos, name);
  if (a === undefined || a.kind === 'none') return null;
  if (a.kind !== 'dtype') fail(name, 'a dtype', a);
  return a.value;
}

/** A `Scalar` argument: its value and Python type (which decides promotion). */
export interface ScalarArg {
  value: number;
  kind: 'bool' | 'int' | 'float';
}

export function scalarParam(call: OpCall, pos: number, name: string, dflt?: ScalarArg): ScalarArg {
  const a = param(call, pos, name);
  if (a === undefined && dflt !== undefined) return dflt;
  if (a?.kind !== 'int' && a?.kind !== 'float' && a?.kind !== 'bool') fail(name, 'a scalar', a);
  return { value: scalarValue(a), kind: a.kind };
}

export function meta(call: OpCall, index: number): OpCall['inputs'][number] {
  const m = call.inputs[index];
  if (!m) throw new Error(`the case has no input ${index}`);
  return m;
}

export function input(inputs: readonly RefTensor[], index: number): RefTensor {
  const t = inputs[index];
  if (!t) throw new Error(`reference called without input ${index}`);
  return t;
}

/** Wraps a possibly negative dim into [0, rank) the way PyTorch does (rank 0 accepts 0 and −1). */
export function wrapDim(dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) throw new Error(`dimension ${dim} out of range for a tensor of rank ${rank}`);
  return dim < 0 ? dim + r : dim;
}
