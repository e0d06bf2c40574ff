import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { autoSelect, resolveDriver } from '../drivers/registry.js';
import type { Driver, OpenOptions } from '../drivers/types.js';
import { createPublicKey } from 'node:crypto';
import { ensureDefaultKey, keyFingerprint, loadPrivateKey } from '../signing/keys.js';
import type { TrustedKey } from '../signing/keyring.js';
import { runExitCode } from '../report/build.js';
import { writeRunOutputs } from '../render/write.js';
import { deviceName } from '../device/device.js';
import { mergeRunFolders } from './merge.js';
import { loadReport } from '../report/load.js';
import { RUN_FILES } from '../report/files.js';
import { nodeAgreement, nodeSummaryMarkdown, summarizeNode, type DeviceRun, type NodeSummary } from '../report/node-summary.js';
import { printJson } from './output.js';

/**
 * `run --device X,Y` and `run --device PREFIX:all`: one whole run per device, in parallel, each a child accelcert
 * process with its own signed run folder under OUT, then OUT/node-summary.{md,json} comparing them. Children rather
 * than sessions in one process: each run stays exactly what `run --device D` is (its journal, signals, exit code,
 * report), and a device that crashes its framework takes only its own run down.
 */

export const NODE_SUMMARY_FILES = { markdown: 'node-summary.md', json: 'node-summary.json' } as const;

/** What the node run needs of `run`'s options; everything else is forwarded to the children as it was typed. */
export interface NodeRunOptions {
  driver?: string | undefined;
  device: string;
  out?: string | undefined;
  force: boolean;
  resume?: string | undefined;
  sign: boolean;
  key?: string | undefined;
  json: boolean;
  python?: string | undefined;
  worker?: string | undefined;
  profile?: string | undefined;
  /** spread the selection across the devices, one shard each, and merge the shards into one report */
  split?: boolean | undefined;
}

/** A device list (`a,b`) or every device of a kind (`PREFIX:all`): what takes `run` to one run per device. */
export function isDeviceList(device: string): boolean {
  return device.includes(',') || device.endsWith(':all');
}

/** `PREFIX:all` items, expanded by the driver's discover; null when the item names one device. */
function allPrefix(item: string): string | null {
  return item.endsWith(':all') ? item.slice(0, -':all'.length) : null;
}

/** Runs every device of the list; returns the worst of the runs' exit codes. */
export async function runOnEveryDevice(opts: NodeRunOptions, args: readonly string[]): Promise<number> {
  if (opts.resume !== undefined) {
    throw new UserError(`--device ${opts.device} starts a new run per device, which --resume cannot continue: resume each device's run folder with its own --device`);
  }
  if (opts.split) splitProblem(args, opts);
  if (opts.profile?.startsWith('collectives')) {
    // a collective spans the node: one worker forms a rank on every device, so one run, not one per device
    throw new UserError(`--profile ${opts.profile} runs once for the whole node, its worker forming a rank on every device: give one device (e.g. --device ${opts.device.split(',')[0]?.replace(/:all$/, ':0')}), not --device ${opts.device}`);
  }
  const items = opts.device.split(',').map((x) => x.trim());
  if (items.some((x) => x === '')) throw new UserError(`--device "${opts.device}" has an empty item: give devices separated by commas, e.g. cuda:0,cuda:1`);
  const openOptions: OpenOptions = { python: opts.python, worker: opts.worker };
  const needsDriver = items.some((x) => allPrefix(x) !== null);
  const driver = needsDriver ? await usableDriver(opts.driver, openOptions) : null;
  const devices = needsDriver && driver ? await expandAll(items, driver, openOptions) : items;
  const outDir = resolve(opts.out ?? join('reports', `${timeStamp()}-${opts.driver ?? driver?.name ?? 'default'}-node`));
  prepareNodeFolder(outDir, opts);
  // every child would otherwise create the missing default key at once, each its own
  if (opts.sign && opts.key === undefined) ensureDefaultKey((line) => process.stderr.write(`accelcert: ${line}\n`));
  const childArgs = forwardedArgs(args, opts.driver === undefined && driver ? ['--driver', driver.name] : []).filter((a) => a !== '--split');
  if (opts.split) {
    // one shard per device, each a signed run of its own under shards/, then merged into the one report of the run
    const shardsDir = join(outDir, 'shards');
    const shards = await runChildren(devices, shardsDir, childArgs, true, (i) => ['--shard', `${i + 1}/${devices.length}`]);
    return mergeSplit(outDir, shardsDir, shards, opts, args);
  }
  const runs = await runChildren(devices, outDir, childArgs, opts.json);
  const summary = summarizeNode(runs);
  writeNodeSummary(outDir, summary);
  printNodeSummary(outDir, summary, opts.json);
  return summary.exitCode;
}

/** What --split cannot run with, in one sentence (exit 2): it makes the shards itself, and merges signed runs only. */
function splitProblem(args: readonly string[], opts: NodeRunOptions): void {
  if (args.some((a) => a === '--shard' || a.startsWith('--shard='))) throw new UserError('--split makes one shard per device itself: it takes no --shard');
  if (!opts.sign) throw new UserError("--split merges the devices' signed runs into one report: it cannot run with --no-sign");
}

/**
 * The one report of a split run: the devices' shard runs, their signatures checked with the key that signed them,
 * merged (report/merge.ts refuses anything but the complete shards of one run, on devices of one model) and signed.
 */
async function mergeSplit(outDir: string, shardsDir: string, runs: readonly DeviceRun[], opts: NodeRunOptions, args: readonly string[]): Promise<number> {
  const lost = runs.find((r) => r.report === null);
  if (lost) throw new UserError(`--split: the run on ${lost.device} wrote no report (exit ${lost.exitCode}); its shard is missing, so nothing is merged (see ${join(shardsDir, lost.folder)})`, 3);
  const key = opts.key !== undefined ? loadPrivateKey(opts.key) : ensureDefaultKey((line) => process.stderr.write(`accelcert: ${line}\n`)).key;
  const pub = createPublicKey(key);
  const trusted: TrustedKey[] = [{ key: pub, source: opts.key ?? 'the default key', fingerprint: keyFingerprint(pub) }];
  const { report } = mergeRunFolders(runs.map((r) => join(shardsDir, r.folder)), trusted, ['accelcert', ...args]);
  const written = await writeRunOutputs(outDir, report, { key });
  if (opts.json) printJson({ outDir, verdict: report.verdict, summary: report.summary, devices: runs.map((r) => r.device), files: written.files });
  else {
    const lines = [
      `${report.verdict.status} (${report.verdict.profile}) split across ${runs.length} devices (${runs.map((r) => r.device).join(', ')}), ${deviceName(report.target.fingerprint)}`,
      ...report.verdict.reasons.map((r) => `  - ${r}`),
      `cases: ${report.summary.total}`,
      `run folder: ${outDir}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return runExitCode(report);
}

async function usableDriver(name: string | undefined, openOptions: OpenOptions): Promise<Driver> {
  const driver = name !== undefined ? await resolveDriver(name) : (await autoSelect(openOptions)).driver;
  const a = await driver.availability(openOptions);
  if (!a.usable) throw new UserError(`the ${driver.name} driver is not usable: ${a.reason}`, a.exitCode ?? 3);
  return driver;
}

/**
 * The list with each `PREFIX:all` replaced by the devices discover lists named PREFIX or PREFIX:…, in its order. A
 * device typed twice is run twice on purpose (several runs on one CPU); one that `:all` also yields is a slip.
 */
async function expandAll(items: readonly string[], driver: Driver, openOptions: OpenOptions): Promise<string[]> {
  const listed = (await driver.discover(openOptions)).map((d) => d.device);
  const expanded = items.map((item) => {
    const prefix = allPrefix(item);
    if (prefix === null) return { item, devices: [item] };
    const found = listed.filter((d) => d === prefix || d.startsWith(`${prefix}:`));
    if (found.length === 0) throw new UserError(`--device ${item}: the ${driver.name} driver lists no ${prefix} device (it lists ${listed.join(', ') || 'none'})`, 3);
    return { item, devices: found };
  });
  for (const e of expanded.filter((x) => allPrefix(x.item) !== null)) {
    const twice = e.devices.find((d) => expanded.some((o) => o !== e && o.devices.includes(d)));
    if (twice !== undefined) throw new UserError(`--device ${items.join(',')} names ${twice} twice: ${e.item} already runs it`);
  }
  return expanded.flatMap((e) => e.devices);
}

/** The node's folder: new or empty, or with --force the children replace their runs in it. */
function prepareNodeFolder(outDir: string, opts: NodeRunOptions): void {
  if (!opts.force && existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new UserError(`--out ${opts.out ?? outDir}: the folder is not empty; choose another folder, or add --force to replace the runs in it`);
  }
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot write the run folder ${outDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** `run`'s arguments without --device and --out (each child gets its own), plus what the parent resolved. */
export function forwardedArgs(args: readonly string[], extra: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--device' || a === '--out') i++;
    else if (!a.startsWith('--device=') && !a.startsWith('--out=')) out.push(a);
  }
  return [...out, ...extra];
}

/** The run folder of the n-th device (1-based): `1-cpu`, `2-cuda-0`. */
export function deviceFolderName(n: number, device: string): string {
  return `${n}-${device.replace(/:/g, '-').replace(/[^A-Za-z0-9_.-]+/g, '_')}`;
}

interface Child {
  folder: string;
  device: string;
  done: Promise<number>;
  kill: (signal: NodeJS.Signals) => void;
}

async function runChildren(devices: readonly string[], outDir: string, childArgs: readonly string[], json: boolean, extra: (i: number) => string[] = () => []): Promise<DeviceRun[]> {
  const children = devices.map((device, i) => startChild(device, deviceFolderName(i + 1, device), outDir, [...childArgs, ...extra(i)], json));
  // the children run in their own process groups (a terminal's Ctrl-C reaches only this process), so each signal
  // reaches each child exactly once: the first lets the runs finish their cases in flight, a second stops them
  const forward = (signal: NodeJS.Signals): void => children.forEach((c) => c.kill(signal));
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const codes = await Promise.all(children.map((c) => c.done));
    return children.map((c, i) => ({ folder: c.folder, device: c.device, exitCode: codes[i] ?? 4, report: reportOf(join(outDir, c.folder)) }));
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

function startChild(device: string, folder: string, outDir: string, childArgs: readonly string[], json: boolean): Child {
  const args = [join(PACKAGE_ROOT, 'bin', 'accelcert.js'), ...childArgs, '--device', device, '--out', join(outDir, folder)];
  // each run holds its one device: its worker forms no ranks across the others (collective benchmarks are not applicable)
  const sub = execa(process.execPath, args, { reject: false, buffer: false, detached: true, stdin: 'ignore', env: { ACCELCERT_NODE_DEVICE_RUN: '1' } });
  const prefix = `[${folder}] `;
  // with --json the parent's stdout is the node summary alone: the children's own output goes to stderr
  const lines = [prefixLines(sub.stdout, prefix, json ? process.stderr : process.stdout), prefixLines(sub.stderr, prefix, process.stderr)];
  const done = Promise.all([sub, ...lines]).then(([r]) => r.exitCode ?? signalExitCode(r.signal));
  return { folder, device, done, kill: (signal) => sub.kill(signal) };
}

/** A child killed by a signal: 130 for an interrupt, as `run` exits; any other signal came from the environment (3). */
function signalExitCode(signal: string | undefined): number {
  return signal === 'SIGINT' || signal === 'SIGTERM' ? 130 : 3;
}

function prefixLines(stream: Readable, prefix: string, to: NodeJS.WritableStream): Promise<void> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', (line) => to.write(`${prefix}${line}\n`));
  return new Promise((done) => rl.once('close', done));
}

/** A child's report, or null when it wrote none (refused, or stopped at once) or one that does not load. */
function reportOf(folder: string): DeviceRun['report'] {
  if (!existsSync(join(folder, RUN_FILES.report))) return null;
  try {
    return loadReport(folder);
  } catch {
    return null;
  }
}

function writeNodeSummary(outDir: string, summary: NodeSummary): void {
  writeFileSync(join(outDir, NODE_SUMMARY_FILES.json), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(outDir, NODE_SUMMARY_FILES.markdown), nodeSummaryMarkdown(summary));
}

function printNodeSummary(outDir: string, s: NodeSummary, json: boolean): void {
  if (json) return printJson({ outDir, ...s });
  const lines = s.devices.map((d) => `${d.folder}: ${d.verdict ?? 'no report'} on ${d.device}${d.name ? `: ${d.name}` : ''} (exit ${d.exitCode})`);
  process.stdout.write(`${[...lines, nodeAgreement(s), `node summary: ${join(outDir, NODE_SUMMARY_FILES.markdown)}`].join('\n')}\n`);
}

function timeStamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
}
