import type { OutputMetrics } from '../judge/result.js';
import type { CaseResult } from '../runner/result.js';

/** The worst margin over a case's outputs: null when some output is unbounded, undefined when none has one. */
export function worstMargin(r: Pick<CaseResult, 'outputs'>): number | null | undefined {
  let worst: number | null | undefined;
  for (const o of r.outputs) {
    if (o.margin === null) return null;
    if (worst === undefined || (worst !== null && o.margin > worst)) worst = o.margin;
  }
  return worst;
}

/** Orders margins so that unbounded (null) is worst and "no margin" (undefined) least informative. */
export function marginRank(m: number | null | undefined): number {
  return m === null ? Infinity : m === undefined ? -Infinity : m;
}

export function formatMargin(m: number | null | undefined): string {
  if (m === undefined) return '—';
  if (m === null) return 'unbounded';
  return Number.isInteger(m) ? String(m) : m.toPrecision(3);
}

/** The failing output of a case in one line: rule, mismatches, margin, worst element. */
export function describeOutput(o: OutputMetrics): string {
  const parts = [`output ${o.index} (${o.dtype}[${o.shape.join(',')}], ${o.rule})`];
  if (o.problem) parts.push(o.problem);
  parts.push(`${o.mismatches} of ${o.elements} elements outside the acceptance interval`);
  parts.push(`margin ${formatMargin(o.margin)}`);
  if (o.maxUlpError !== null) parts.push(`max ${formatNumber(o.maxUlpError)} ulp`);
  if (o.maxAbsError !== null) parts.push(`max abs error ${formatNumber(o.maxAbsError)}`);
  if (o.worst) {
    parts.push(`worst at [${o.worst.index.join(',')}]: actual ${o.worst.actual}, expected ${o.worst.expected}, allowed ${o.worst.allowed}`);
  }
  return parts.join('; ');
}

export function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/** Single-quotes a word for a POSIX shell unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

const DEFAULT_PROFILE = 'inference-fp32';

/** The command that reruns one case alone on the same driver and device. */
export function rerunCommand(driver: string, device: string, profile: string, caseId: string): string {
  const profileFlag = profile === DEFAULT_PROFILE ? '' : ` --profile ${shellQuote(profile)}`;
  return `npx accelcert run --driver ${shellQuote(driver)} --device ${shellQuote(device)}${profileFlag} --filter '${caseId.replaceAll("'", `'\\''`)}'`;
}

/** Why a case did not pass, in one line with the numbers. */
export function failureText(r: CaseResult): string {
  const failing = r.outputs.filter((o) => o.problem !== null || o.mismatches > 0 || o.margin === null || o.margin > 1);
  const lines = failing.map(describeOutput);
  if (r.message && (lines.length === 0 || r.status !== 'fail')) lines.unshift(r.message);
  return lines.length > 0 ? lines.join('\n') : r.status;
}
