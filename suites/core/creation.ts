import { arg, type Arg } from '../../src/ops/args.js';
import { CaseGroup, type LayoutName } from '../../src/suite/builder.js';
import { dtypeInfo, floatFormat, type DType } from '../../src/tensor/dtype.js';
import { ALL, dtypeArg, F, I, noInputs } from './common.js';

/*
 * The core suite's creation cases. arange, empty, empty_strided, full and scalar_tensor take no tensor: their cases
 * have no inputs, and the dtype they are filed under is the one they ask for (or the one PyTorch infers). Fill values
 * sweep what c10's scalar conversion defines: fractions that truncate toward zero into integers, an int that wraps
 * into uint8, NaN and ±inf in floats, the largest finite value, and values that round (0.1). arange's float
 * cases include lengths where the element count is sensitive to how it is computed (−4 to 4 by 0.01 is 800 elements
 * in float64 arithmetic, 801 from float32-rounded scalars; 1 to 1.3 by 0.1 is 4, its end included).
 */

const { int, ints, none } = arg;
const f = (x: number): Arg => arg.float(x);
const kind = (d: DType) => dtypeInfo(d).kind;

// ── arange ──────────────────────────────────────────────────────────────────────────────────────────────────

const NUMERIC: DType[] = [...F, ...I];
const range = (start: Arg, end: Arg, step: Arg) => (d: DType) => ({ args: [start, end, step], kwargs: { dtype: dtypeArg(d) } });
/** A start just below where the dtype stops holding every integer (2^(p)), so consecutive values round, ties to even. */
const precisionEdge = (d: DType) => 2 ** (floatFormat(d).mantissaBits + 1) - 6;

const ARANGE: CaseGroup[] = [
  noInputs('aten.arange.start_step', 'int-steps-0-10-3', NUMERIC, range(int(0), int(10), int(3))),
  noInputs('aten.arange.start_step', 'negative-step-5-to-minus-7', NUMERIC, range(int(5), int(-7), int(-2))),
  noInputs('aten.arange.start_step', 'empty-5-5', NUMERIC, range(int(5), int(5), int(1))),
  noInputs('aten.arange.start_step', 'tenths-0-1', F, range(f(0), f(1), f(0.1))),
  noInputs('aten.arange.start_step', 'tenths-minus-1-to-1', F, range(f(-1), f(1), f(0.1))),
  noInputs('aten.arange.start_step', 'tenths-1-to-1.3-end-included', F, range(f(1), f(1.3), f(0.1))),
  noInputs('aten.arange.start_step', 'hundredths-minus-4-to-4', F, range(f(-4), f(4), f(0.01))),
  noInputs('aten.arange.start_step', 'thirds-0-1', F, range(f(0), f(1), f(1 / 3))),
  noInputs('aten.arange.start_step', 'negative-tenths-1-to-0', F, range(f(1), f(0), f(-0.1))),
  noInputs('aten.arange.start_step', 'precision-edge', F, (d) => range(f(precisionEdge(d)), f(precisionEdge(d) + 12), f(1))(d)),
  // int64 truncates the scalars first: start 0.5 is 0; -2.5 to 2 by 1.5 is -2, -1, 0, 1 (the step truncates to 1)
  noInputs('aten.arange.start_step', 'fractional-start-0.5-to-5', ['int64'], range(f(0.5), f(5), f(1))),
  noInputs('aten.arange.start_step', 'fractional-step-minus-2.5-to-2-by-1.5', ['int64'], range(f(-2.5), f(2), f(1.5))),
  // no dtype: int scalars give int64, a float scalar float32
  noInputs('aten.arange.start_step', 'inferred-2-17-3', ['int64'], () => ({ args: [int(2), int(17), int(3)] })),
  noInputs('aten.arange.start_step', 'inferred-0-5-by-0.5', ['float32'], () => ({ args: [int(0), int(5), f(0.5)] })),
];

// ── empty, empty_strided ────────────────────────────────────────────────────────────────────────────────────

const EMPTY: CaseGroup[] = [
  ...(
    [
      ['2x3', [2, 3]],
      ['scalar', []],
      ['0x4', [0, 4]],
      ['3x1x5', [3, 1, 5]],
    ] as [string, number[]][]
  ).map(([name, size]) => noInputs('aten.empty.memory_format', name, ALL, (d) => ({ args: [ints(size)], kwargs: { dtype: dtypeArg(d) } }))),
  noInputs('aten.empty.memory_format', '2x3-default-dtype', ['float32'], () => ({ args: [ints([2, 3])] })),
  ...(
    [
      ['2x3-column-major', [2, 3], [1, 2]],
      ['2x3', [2, 3], [3, 1]],
      ['scalar', [], []],
      ['0x4', [0, 4], [4, 1]],
      ['3x4-stride0', [3, 4], [0, 1]],
    ] as [string, number[], number[]][]
  ).map(([name, size, stride]) => noInputs('aten.empty_strided.default', name, ALL, (d) => ({ args: [ints(size), ints(stride)], kwargs: { dtype: dtypeArg(d) } }))),
];

// ── full, full_like, fill, scalar_tensor ────────────────────────────────────────────────────────────────────

/**
 * Fill values per dtype, each defined in every dtype it is used for (c10 refuses out-of-range values, so no case asks
 * for one): `fraction` truncates toward zero into integers (2.75 → 2, −2.75 → −2, never rounded to 3 or −3).
 */
const FILLS: { tag: string; dtypes: DType[]; value: (d: DType) => Arg }[] = [
  { tag: 'fraction', dtypes: ALL, value: () => f(2.75) },
  { tag: 'negative-fraction', dtypes: ALL.filter((d) => kind(d) !== 'uint'), value: () => f(-2.75) },
  // an int scalar wraps into uint8 (−3 is 253), as c10 allows for unsigned types
  { tag: 'int', dtypes: ALL, value: () => int(-3) },
  { tag: 'tenth', dtypes: ALL, value: () => f(0.1) },
  { tag: 'nan', dtypes: [...F, 'bool'], value: () => f(NaN) },
  { tag: 'minus-inf', dtypes: F, value: () => f(-Infinity) },
  // the largest finite value as a float, the integer limits as ints
  { tag: 'max', dtypes: ALL.filter((d) => d !== 'bool'), value: (d) => (kind(d) === 'float' ? f(floatFormat(d).maxFinite) : int(limit(d, 'max'))) },
  { tag: 'min', dtypes: I, value: (d) => int(limit(d, 'min')) },
];
/** An integer dtype's limit, int64's kept where a float64 reference holds it exactly. */
function limit(d: DType, which: 'min' | 'max'): number {
  if (d === 'int64') return which === 'max' ? 2 ** 53 - 1 : -(2 ** 53 - 1);
  const info = dtypeInfo(d);
  return (which === 'max' ? info.max : info.min) as number;
}

const FULL: CaseGroup[] = [
  ...FILLS.map((v) => noInputs('aten.full.default', '3x4', v.dtypes, (d) => ({ args: [ints([3, 4]), v.value(d)], kwargs: { dtype: dtypeArg(d) } }), v.tag)),
  noInputs('aten.full.default', 'scalar', ALL, (d) => ({ args: [ints([]), f(2.75)], kwargs: { dtype: dtypeArg(d) } }), 'fraction'),
  noInputs('aten.full.default', '0x3', ALL, (d) => ({ args: [ints([0, 3]), f(2.75)], kwargs: { dtype: dtypeArg(d) } }), 'fraction'),
  // no dtype: an int fill value gives int64, a float one float32, a bool one bool (int64 through torch.ops in 1.13)
  noInputs('aten.full.default', '3x4', ['int64'], () => ({ args: [ints([3, 4]), int(7)] }), 'inferred-int'),
  noInputs('aten.full.default', '3x4', ['float32'], () => ({ args: [ints([3, 4]), f(1.5)] }), 'inferred-float'),
  noInputs('aten.full.default', '3x4', ['int64'], () => ({ args: [ints([3, 4]), arg.bool(true)] }), 'inferred-bool'),
];

const LIKE_LAYOUTS: LayoutName[] = ['contiguous', 'transposed', 'strided', 'expanded'];
const like = (op: string, v: (typeof FILLS)[number], kwargs: (d: DType) => Record<string, Arg> = () => ({})) =>
  CaseGroup.of(op)
    .tag(v.tag)
    .dtypes(v.dtypes)
    .shapes(v.tag === 'fraction' ? { '3x4': [[3, 4]], scalar: [[]], '0x3': [[0, 3]] } : { '3x4': [[3, 4]] })
    .layouts(...(v.tag === 'fraction' ? LIKE_LAYOUTS : ['contiguous' as const]))
    .call((t, d) => ({ args: [...t, v.value(d)], kwargs: kwargs(d) }));

const FULL_LIKE: CaseGroup[] = [
  ...FILLS.map((v) => like('aten.full_like.default', v)),
  // a dtype other than self's: the value converts to that one (−2.75 into int16 is −2)
  CaseGroup.of('aten.full_like.default')
    .tag('to-int16')
    .dtypes(F)
    .shapes({ '3x4': [[3, 4]] })
    .fileUnder(() => 'int16')
    .call((t) => ({ args: [...t, f(-2.75)], kwargs: { dtype: dtypeArg('int16') } })),
];

const FILL: CaseGroup[] = FILLS.map((v) => like('aten.fill.Scalar', v));

const SCALAR_TENSOR: CaseGroup[] = [
  ...FILLS.map((v) => noInputs('aten.scalar_tensor.default', 'scalar', v.dtypes, (d) => ({ args: [v.value(d)], kwargs: { dtype: dtypeArg(d) } }), v.tag)),
  noInputs('aten.scalar_tensor.default', 'scalar', ALL, (d) => ({ args: [arg.bool(true)], kwargs: { dtype: dtypeArg(d) } }), 'bool'),
  // no dtype: the default dtype whatever the scalar's type
  noInputs('aten.scalar_tensor.default', 'scalar', ['float32'], () => ({ args: [int(2)] }), 'inferred-int'),
  noInputs('aten.scalar_tensor.default', 'scalar', ['float32'], () => ({ args: [arg.bool(true)], kwargs: { dtype: none() } }), 'inferred-bool'),
];

/** The core suite's creation cases. */
export const CREATION: CaseGroup[] = [...ARANGE, ...EMPTY, ...FULL, ...FULL_LIKE, ...FILL, ...SCALAR_TENSOR];
