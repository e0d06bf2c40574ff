import { z } from 'zod';

/** Case statuses, as DESIGN.md defines them. Crash, timeout and unsupported are never silently skips. */
export const STATUSES = ['pass', 'fail', 'error', 'crash', 'timeout', 'unsupported', 'skip', 'waived'] as const;
export const StatusSchema = z.enum(STATUSES);
export type Status = z.infer<typeof StatusSchema>;

/**
 * What the judge measured on one output (see judge/judge.ts for each field's exact definition).
 * `dtype` and `shape` are the expected ones; a device that returned others has `problem` set.
 * Errors are against the float64 reference. `margin` = worst observed error / allowed error over all
 * elements (≤ 1 passes); null means unbounded: an exact rule or the index property was broken, NaN/Inf sat
 * in the wrong place, or the values were not compared because of a `problem`.
 */
export const OutputMetricsSchema = z.object({
  index: z.number().int().nonnegative(),
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  rule: z.string(),
  elements: z.number().int().nonnegative(),
  mismatches: z.number().int().nonnegative(),
  maxAbsError: z.number().nullable(),
  maxRelError: z.number().nullable(),
  maxUlpError: z.number().nullable(),
  margin: z.number().nullable(),
  worst: z
    .object({
      index: z.array(z.number().int()),
      actual: z.string(),
      expected: z.string(),
      allowed: z.string(),
    })
    .nullable(),
  /** the first structural problem, if any (wrong dtype, wrong shape, NaN missing, …) */
  problem: z.string().nullable(),
});
export type OutputMetrics = z.infer<typeof OutputMetricsSchema>;

export const VerdictOfCaseSchema = z.object({
  status: StatusSchema,
  message: z.string().nullable(),
  outputs: z.array(OutputMetricsSchema),
});
export type CaseJudgement = z.infer<typeof VerdictOfCaseSchema>;

/**
 * The one rule that turns recorded output metrics into a status; the judge uses it and a verifier re-applies
 * it to a report. An output passes iff it has no problem, no mismatched element and a finite margin ≤ 1;
 * a case passes iff every output does (a case with no outputs passes vacuously).
 */
export function statusFromOutputs(outputs: readonly OutputMetrics[]): 'pass' | 'fail' {
  for (const o of outputs) {
    if (o.problem !== null || o.mismatches > 0 || o.margin === null || !(o.margin <= 1)) return 'fail';
  }
  return 'pass';
}
