import { z } from 'zod';
import { deviceName, FingerprintSchema } from '../device/device.js';
import { StatusSchema } from '../judge/result.js';
import type { CaseResult } from '../runner/result.js';
import { VerdictStatusSchema, type Report } from './schema.js';

/**
 * The node summary of `run --device X,Y` or `--device PREFIX:all` (one run per device of a node, in parallel): each
 * device's verdict and counts, and the cases whose status or output digest differs between devices. Pure: the CLI
 * gathers the runs, this compares and renders them.
 */

/** How many differing case ids the summary names; the rest are counted. */
export const LISTED_DIFFERENCES = 20;

/** A result as the comparison sees it: absent when the device's report does not hold the case (its run stopped). */
const CaseOnDeviceSchema = z.object({ status: StatusSchema.nullable(), outputDigest: z.string().nullable() });

export const NodeDeviceSchema = z.object({
  /** the run folder's name under the node's folder, e.g. `1-cpu` */
  folder: z.string(),
  /** the device string the run was given */
  device: z.string(),
  exitCode: z.number().int(),
  /** null when the run wrote no report (it was refused, or stopped at once) */
  fingerprint: FingerprintSchema.nullable(),
  name: z.string().nullable(),
  verdict: VerdictStatusSchema.nullable(),
  total: z.number().int().nonnegative().nullable(),
  byStatus: z.record(z.string(), z.number().int().nonnegative()).nullable(),
});
export type NodeDevice = z.infer<typeof NodeDeviceSchema>;

export const NodeDifferenceSchema = z.object({
  id: z.string(),
  /** per device, in the order of `devices`: the case's status and output digest there */
  devices: z.array(CaseOnDeviceSchema),
});
export type NodeDifference = z.infer<typeof NodeDifferenceSchema>;

export const NodeSummarySchema = z.strictObject({
  format: z.literal('accelcert-node-summary'),
  version: z.literal(1),
  devices: z.array(NodeDeviceSchema),
  /** true when every device wrote a report and no case differs between them */
  agree: z.boolean(),
  /** how many cases differ in all */
  differing: z.number().int().nonnegative(),
  /** the first LISTED_DIFFERENCES of them, in the order of the first report that holds them */
  differences: z.array(NodeDifferenceSchema),
  /** the worst of the devices' exit codes: what `run` exits with */
  exitCode: z.number().int(),
});
export type NodeSummary = z.infer<typeof NodeSummarySchema>;

/** One device's run as the CLI gathered it: the folder, the device, the child's exit code and its report, if any. */
export interface DeviceRun {
  folder: string;
  device: string;
  exitCode: number;
  report: Report | null;
}

/** The worst exit code: exit codes grow with how bad the outcome is (0 passed, 1 failed, 2 input, 3 environment, …). */
export function worstExitCode(codes: readonly number[]): number {
  return codes.reduce((a, b) => Math.max(a, b), 0);
}

export function summarizeNode(runs: readonly DeviceRun[]): NodeSummary {
  const devices = runs.map(deviceEntry);
  const all = differingCases(runs);
  return {
    format: 'accelcert-node-summary',
    version: 1,
    devices,
    agree: all.length === 0 && runs.every((r) => r.report !== null),
    differing: all.length,
    differences: all.slice(0, LISTED_DIFFERENCES),
    exitCode: worstExitCode(runs.map((r) => r.exitCode)),
  };
}

function deviceEntry(run: DeviceRun): NodeDevice {
  const r = run.report;
  return {
    folder: run.folder,
    device: run.device,
    exitCode: run.exitCode,
    fingerprint: r?.target.fingerprint ?? null,
    name: r ? deviceName(r.target.fingerprint) : null,
    verdict: r?.verdict.status ?? null,
    total: r?.summary.total ?? null,
    byStatus: r ? nonZero(r.summary.byStatus) : null,
  };
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

/**
 * The cases whose status differs between any two reports, or whose output digest differs between two devices of the
 * same model (devices of one model must agree bit for bit; different models may round differently within bounds).
 * A case one report lacks counts as differing: that device did not finish it.
 */
export function differingCases(runs: readonly DeviceRun[]): NodeDifference[] {
  const reported = runs.filter((r) => r.report !== null);
  if (reported.length < 2) return [];
  const byId = runs.map((r) => (r.report ? new Map(r.report.results.map((c) => [c.id, c])) : null));
  const models = runs.map((r) => (r.report ? deviceName(r.report.target.fingerprint) : null));
  const out: NodeDifference[] = [];
  for (const id of caseIds(reported.flatMap((r) => (r.report ? [r.report] : [])))) {
    // a run without a report has a column (null) but takes no part in the comparison: its exit code says why
    const results = byId.map((m) => (m ? (m.get(id) ?? null) : undefined));
    const compared = results.flatMap((r, i) => (r === undefined ? [] : [{ result: r, model: models[i] ?? '' }]));
    if (!resultsAgree(compared)) out.push({ id, devices: results.map((r) => onDevice(r ?? null)) });
  }
  return out;
}

/** Every case id of the reports, in the order of the first report that holds it. */
function caseIds(reports: readonly Report[]): string[] {
  return [...new Set(reports.flatMap((rep) => rep.results.map((c) => c.id)))];
}

function onDevice(r: CaseResult | null): z.infer<typeof CaseOnDeviceSchema> {
  return { status: r?.status ?? null, outputDigest: r?.outputDigest ?? null };
}

function resultsAgree(compared: readonly { result: CaseResult | null; model: string }[]): boolean {
  if (compared.some((c) => c.result === null)) return false;
  const present = compared.flatMap((c) => (c.result ? [{ result: c.result, model: c.model }] : []));
  if (new Set(present.map((c) => c.result.status)).size > 1) return false;
  const models = new Set(present.map((c) => c.model));
  return [...models].every((model) => digestsAgree(present.filter((c) => c.model === model).map((c) => c.result)));
}

/**
 * Output digests of one model's devices: equal, unless the op is nondeterministic by its documentation (no repeat
 * digest recorded) or a device returned no output, where bytes are not expected to match.
 */
function digestsAgree(results: readonly CaseResult[]): boolean {
  const compared = results.filter((r) => r.outputDigest !== null && r.repeatDigest !== null);
  if (compared.length < results.length) return true;
  return new Set(compared.map((r) => r.outputDigest)).size <= 1;
}

/** node-summary.md: one line per device, whether they agree, and the differing cases. */
export function nodeSummaryMarkdown(s: NodeSummary): string {
  const lines = [
    '# accelcert node summary',
    '',
    `${s.devices.length} devices, exit code ${s.exitCode}: ${nodeAgreement(s)}`,
    '',
    '| run folder | device | model | fingerprint | verdict | cases | exit |',
    '| --- | --- | --- | --- | --- | --- | ---: |',
    ...s.devices.map(deviceRow),
  ];
  if (s.differing > 0) lines.push('', '## Cases that differ between devices', '', differenceHeader(s), differenceRule(s), ...s.differences.map(differenceRow));
  if (s.differing > s.differences.length) lines.push('', `and ${s.differing - s.differences.length} more`);
  return `${lines.join('\n')}\n`;
}

/** One line: whether the devices agree, else how many cases differ and how many devices wrote no report. */
export function nodeAgreement(s: NodeSummary): string {
  if (s.agree) return 'the devices agree on every case (status and output digest)';
  const missing = s.devices.filter((d) => d.verdict === null).length;
  const parts = [s.differing > 0 ? `${s.differing} cases differ between devices` : null, missing > 0 ? `${missing} ${missing === 1 ? 'device' : 'devices'} wrote no report` : null];
  return parts.filter((p) => p !== null).join('; ');
}

function deviceRow(d: NodeDevice): string {
  const fp = d.fingerprint;
  const facts = fp ? [fp.framework ? `${fp.framework.name} ${fp.framework.version}` : null, fp.driverVersion ? `driver ${fp.driverVersion}` : null].filter((x) => x !== null).join(', ') : '';
  const counts = d.byStatus ? `${d.total ?? 0} (${Object.entries(d.byStatus).map(([k, n]) => `${n} ${k}`).join(', ')})` : 'no report';
  return `| ${d.folder} | \`${d.device}\` | ${d.name ?? '—'} | ${facts || '—'} | ${d.verdict ?? '—'} | ${counts} | ${d.exitCode} |`;
}

function differenceHeader(s: NodeSummary): string {
  return `| case | ${s.devices.map((d) => d.folder).join(' | ')} |`;
}

function differenceRule(s: NodeSummary): string {
  return `| --- | ${s.devices.map(() => '---').join(' | ')} |`;
}

function differenceRow(d: NodeDifference): string {
  const cell = (c: NodeDifference['devices'][number]): string => (c.status === null ? 'absent' : `${c.status} ${c.outputDigest?.slice(0, 12) ?? '—'}`);
  return `| \`${d.id}\` | ${d.devices.map(cell).join(' | ')} |`;
}
