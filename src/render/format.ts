import { describeOutput } from '../judge/describe.js';
import { outputFailed } from '../judge/result.js';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import { DEFAULT_PROFILE } from '../suite/profile.js';

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

/** Single-quotes a word for a POSIX shell unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command that reruns one case alone on the same driver and device, with the same inputs (the run's seed). */
export function rerunCommand(report: Pick<Report, 'target' | 'profile' | 'selection' | 'graph'>, caseId: string): string {
  const { driver, device } = report.target;
  // a graph file's run names the file, not a profile
  const profileFlag = report.graph
    ? ` --graph ${shellQuote(report.graph.file)}`
    : report.profile.name === DEFAULT_PROFILE
      ? ''
      : ` --profile ${shellQuote(report.profile.name)}`;
  const seed = report.selection.seed;
  const seedFlag = seed ? ` --seed ${shellQuote(seed)}` : '';
  return `npx accelcert run --driver ${shellQuote(driver)} --device ${shellQuote(device)}${profileFlag}${seedFlag} --filter '${caseId.replaceAll("'", `'\\''`)}'`;
}

/** Why a case did not pass: every failing output in one line each, with the numbers; the message for other statuses. */
export function failureText(r: CaseResult): string {
  const lines = r.outputs.filter(outputFailed).map(describeOutput);
  if (r.message && (lines.length === 0 || r.status !== 'fail')) lines.unshift(r.message);
  return lines.length > 0 ? lines.join('\n') : r.status;
}
