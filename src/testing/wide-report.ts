import { failureMessage } from '../judge/describe.js';
import { CORE_OPSET } from '../ops/core-opset.js';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import type { DType } from '../tensor/dtype.js';
import { syntheticMetrics, syntheticReport } from './synthetic.js';

/*
 * A synthetic report shaped like a full profile's: results spread over every Core ATen device kernel and nine dtypes,
 * with failures, crashes and unsupported cases sprinkled in, so that report.html's size and rendering time are
 * measured on a page with a full heat map and its caps reached (syntheticReport alone has four ops and two dtypes).
 */

const KERNELS = CORE_OPSET.filter((o) => o.notApplicable === undefined);
const WIDE_DTYPES: readonly DType[] = ['float64', 'float32', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8'];

export interface WideOptions {
  /** every `failEvery`-th case fails (default 20: 5 %) */
  failEvery?: number;
  /** every `unsupportedEvery`-th case (offset by 3) is unsupported (default 25: 4 %) */
  unsupportedEvery?: number;
}

/** A report of `n` op results over the Core ATen device kernels × nine dtypes; deterministic for a given `n`. */
export function wideReport(n: number, options: WideOptions = {}): Report {
  const failEvery = options.failEvery ?? 20;
  const unsupportedEvery = options.unsupportedEvery ?? 25;
  const result = (i: number): CaseResult => {
    const op = KERNELS[i % KERNELS.length] as (typeof KERNELS)[number];
    const dtype = WIDE_DTYPES[Math.floor(i / KERNELS.length) % WIDE_DTYPES.length] as DType;
    const family = op.group.split(',')[0] ?? 'core';
    const id = `core/${family}/${op.name}/${dtype}/case-${String(i).padStart(6, '0')}`;
    const base = { id, kind: 'op' as const, subject: op.name, family, dtype, outputDigest: null, timings: { execMs: 0.25, deviceMs: null } };
    if (i % unsupportedEvery === 3) return { ...base, status: 'unsupported', message: `${op.name} has no ${dtype} kernel on this device`, outputs: [] };
    if (i % 997 === 5) return { ...base, status: 'crash', message: 'worker exited with signal SIGSEGV while running the case', outputs: [] };
    // margins spread over [0, 1) for passes, above 1 for failures: a multiplicative hash keeps them deterministic
    const margin = i % failEvery === 0 ? 1 + (i % 13) / 3 : ((i * 7919) % 1000) / 1000;
    const outputs = [syntheticMetrics(dtype, 'ulp≤2', margin)];
    const failed = margin > 1;
    return { ...base, status: failed ? 'fail' : 'pass', message: failed ? failureMessage(outputs, 1, 1) : null, outputs, outputDigest: 'a'.repeat(64) };
  };
  return syntheticReport({ cases: n, results: (c) => result(Number(c.id.slice(c.id.lastIndexOf('-') + 1))) }).report;
}
