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

/**
 * The one rule for "this output failed": a structural problem, an element outside its interval, or a margin that
 * is unbounded or above 1. The judge, verify and the renderers all ask this function.
 */
export function outputFailed(o: OutputMetrics): boolean {
  return o.problem !== null || o.mismatches > 0 || o.margin === null || !(o.margin <= 1);
}

/**
 * The one rule that turns recorded output metrics into a status; the judge uses it and a verifier re-applies
 * it to a report. A case passes iff no output failed (a case with no outputs passes vacuously).
 */
export function statusFromOutputs(outputs: readonly OutputMetrics[]): 'pass' | 'fail' {
  return outputs.some(outputFailed) ? 'fail' : 'pass';
}

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** What the judge decides about one case the device answered: status, the one message, metrics and digests. */
export const CaseJudgementSchema = z.object({
  status: z.enum(['pass', 'fail']),
  /** null when the case passed; otherwise one line naming the first failing output, where, and by how much */
  message: z.string().nullable(),
  outputs: z.array(OutputMetricsSchema),
  /** sha256 (hex) over the raw bytes of every output, in order, as the device returned them (contiguous) */
  outputDigest: Sha256Hex,
  /** the same digest for the repeated run; null when the case is documented as nondeterministic (not repeated) */
  repeatDigest: Sha256Hex.nullable(),
});
export type CaseJudgement = z.infer<typeof CaseJudgementSchema>;
