import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup } from '../../src/suite/builder.js';
import type { DType } from '../../src/tensor/dtype.js';

/** What the core suite's family files share: dtype lists, shape sets, and the builders they start from. */
export const F: DType[] = ['float32', 'float64', 'float16', 'bfloat16'];
export const I: DType[] = ['int64', 'int32', 'int16', 'int8', 'uint8'];
export const ALL: DType[] = [...F, ...I, 'bool'];

export const ELEMENTWISE_SHAPES = { '7x13': [[7, 13]], scalar: [[]], empty: [[0, 5]], '3x1x4x5': [[3, 1, 4, 5]] };
export const BINARY_SHAPES = {
  '7x13': [[7, 13], [7, 13]],
  'broadcast-4x1x8': [[4, 1, 8], [1, 5, 8]],
  'scalar-tensor': [[6, 5], []],
  empty: [[0, 3], [0, 3]],
};
export const ALL_LAYOUTS = ['contiguous', 'transposed', 'strided', 'offset', 'expanded'] as const;

export const unary = (op: string, dtypes: DType[], ...more: Parameters<CaseGroup['values']>) =>
  CaseGroup.of(op)
    .dtypes(dtypes)
    .shapes(ELEMENTWISE_SHAPES)
    .layouts(...ALL_LAYOUTS)
    .values(...more);

export const binary = (op: string, dtypes: DType[]) =>
  CaseGroup.of(op).dtypes(dtypes).shapes(BINARY_SHAPES).layouts(...ALL_LAYOUTS).values('uniform', 'special', 'subnormal');

export const kw = (kwargs: Record<string, Arg>) => (t: Arg[]) => ({ args: t, kwargs });

/** The regions of an op's domain where implementations differ (src/ops/regimes.ts), on inputs large enough to sample them. */
export const regimes = (op: string, shapes: Record<string, number[][]>, dtypes: DType[] = F) => CaseGroup.of(op).dtypes(dtypes).shapes(shapes).values().regimes();
export const SQUARE = { '64x64': [[64, 64]] };
export const SQUARE2 = { '64x64': [[64, 64], [64, 64]] };
export const reduceOver = (dims: number[], keepdim = false) => (t: Arg[]) => ({ args: [...t, arg.ints(dims), arg.bool(keepdim)] });

/** Realistic reduction lengths: a power of two, an odd length just past it, and several rows of an odd length. */
export const LONG_REDUCTIONS = [
  { name: '65536', shape: [[65536]], dims: [0] },
  { name: '65537', shape: [[65537]], dims: [0] },
  { name: '4x4097', shape: [[4, 4097]], dims: [1] },
];

export const dtypeArg = (value: DType): Arg => ({ kind: 'dtype', value });

/** A group of cases without tensor inputs (factory ops): one case per dtype, the call built from it. */
export const noInputs = (op: string, name: string, dtypes: DType[], call: (d: DType) => { args: Arg[]; kwargs?: Record<string, Arg> }, tag?: string) => {
  const g = CaseGroup.of(op)
    .dtypes(dtypes)
    .shapes({ [name]: [] })
    .call((_, d) => call(d));
  return tag ? g.tag(tag) : g;
};
