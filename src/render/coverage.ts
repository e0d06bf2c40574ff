import { CORE_OPSET } from '../ops/core-opset.js';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import { DTYPES, type DType } from '../tensor/dtype.js';

/** One cell of the op × dtype matrix: what the cases of an overload in a dtype came to. */
export type CoverageCell = 'pass' | 'fail' | 'unsupported' | 'error' | 'waived' | 'none';

/** Worst first: a cell shows the worst status among its cases. */
const ORDER: readonly CoverageCell[] = ['fail', 'error', 'unsupported', 'waived', 'pass'];

function cellOf(status: CaseResult['status']): CoverageCell {
  if (status === 'fail') return 'fail';
  if (status === 'error' || status === 'crash' || status === 'timeout') return 'error';
  if (status === 'unsupported' || status === 'skip') return 'unsupported';
  return status === 'waived' ? 'waived' : 'pass';
}

export interface CoverageMatrix {
  /** the dtypes that have cases, in DTYPES order */
  dtypes: DType[];
  /** one row per Core ATen overload, in opset order, then any other op the results hold */
  rows: { op: string; notApplicable: string | null; cells: CoverageCell[] }[];
}

/** The op × dtype matrix of a report's op results over the Core ATen opset. */
export function coverageMatrix(report: Pick<Report, 'results'>): CoverageMatrix {
  const worst = new Map<string, Map<DType, CoverageCell>>();
  for (const r of report.results) {
    if (r.kind !== 'op') continue;
    const row = worst.get(r.subject) ?? new Map<DType, CoverageCell>();
    const c = cellOf(r.status);
    const prev = row.get(r.dtype);
    if (prev === undefined || ORDER.indexOf(c) < ORDER.indexOf(prev)) row.set(r.dtype, c);
    worst.set(r.subject, row);
  }
  const present = new Set([...worst.values()].flatMap((m) => [...m.keys()]));
  const dtypes = DTYPES.filter((d) => present.has(d));
  const core = new Set(CORE_OPSET.map((o) => o.name));
  const names = [...CORE_OPSET.map((o) => o.name), ...[...worst.keys()].filter((n) => !core.has(n)).sort()];
  const notApplicable = new Map(CORE_OPSET.map((o) => [o.name, o.notApplicable ?? null]));
  return {
    dtypes,
    rows: names.map((op) => ({ op, notApplicable: notApplicable.get(op) ?? null, cells: dtypes.map((d) => worst.get(op)?.get(d) ?? 'none') })),
  };
}
