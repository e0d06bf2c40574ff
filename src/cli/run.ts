import { Option, type Command } from 'commander';
import { accessSync, constants, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { z } from 'zod';
import { positiveNumber, type RegisterCommand } from './command.js';
import { UserError } from '../errors.js';
import { autoSelect, resolveDriver } from '../drivers/registry.js';
import { deviceName } from '../device/device.js';
import { buildReport, runExitCode } from '../report/build.js';
import { loadWaivers } from '../report/waivers.js';
import { loadChallenge } from '../report/challenge.js';
import { writeRunOutputs, type Signing } from '../render/write.js';
import { ensureDefaultKey, loadPrivateKey } from '../signing/keys.js';
import { oracleCacheFromEnv } from '../runner/oracle-cache.js';
import { runCases } from '../runner/run.js';
import { JOURNAL_FILE, readJournal } from '../runner/journal.js';
import { deviceProblem, MANIFEST_FILE, readManifest, resumeProblem, writeManifest, type RunManifest } from '../runner/manifest.js';
import { RUN_LOG_FILE } from '../runner/log.js';
import type { CaseResult } from '../runner/result.js';
import type { DeviceInfo } from '../device/device.js';
import { HARNESS_VERSION } from '../version.js';
import { DEFAULT_PROFILE, getProfile, hasBenchmarks, requiredCases } from '../suite/profile.js';
import { BENCH_SCALES, BenchScaleSchema, type BenchScale } from '../workload/bench.js';
import { parsePeaks } from '../bench/peaks.js';
import { compareReports, comparisonExitCode, comparisonMarkdown } from '../render/compare.js';
import { loadReport } from '../report/load.js';
import { RUN_FILES } from '../report/files.js';
import { DEFAULT_TIMEOUT_SECONDS } from '../report/command.js';
import type { Driver, OpenOptions } from '../drivers/types.js';
import { parseThreshold } from './compare.js';
import { shippedSuites } from '../../suites/index.js';
import { findSuite } from '../suite/suite.js';
import { GRAPH_PROFILE, graphFileSuite } from '../suite/graph-suite.js';
import { GRAPH_FILE_IN_RUN, loadGraphFile } from '../workload/graph-file.js';
import { parseDtypes, parseShard, selectCases } from '../suite/select.js';
import { userSeedProblem } from '../tensor/prng.js';
import { printJson } from './output.js';
import { isDeviceList, runOnEveryDevice } from './node-run.js';

const RunOptionsSchema = z.object({
  driver: z.string().optional(),
  device: z.string().optional(),
  profile: z.string().default(DEFAULT_PROFILE),
  suite: z.array(z.string()).default([]),
  filter: z.array(z.string()).default([]),
  dtype: z.array(z.string()).default([]),
  shard: z.string().optional(),
  seed: z.string().optional(),
  challenge: z.string().optional(),
  out: z.string().optional(),
  key: z.string().optional(),
  sign: z.boolean().default(true),
  waivers: z.string().optional(),
  timeout: z.string().default(String(DEFAULT_TIMEOUT_SECONDS)),
  depth: z.string().default('4'),
  maxCrashes: z.string().default('10'),
  spareWorker: z.boolean().default(true),
  traceProtocol: z.boolean().default(false),
  python: z.string().optional(),
  worker: z.string().optional(),
  graph: z.string().optional(),
  benchScale: z.string().optional(),
  peak: z.array(z.string()).default([]),
  baseline: z.string().optional(),
  threshold: z.string().default('5'),
  resume: z.string().optional(),
  force: z.boolean().default(false),
  split: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** `--bench-scale`, or null when not given; anything but small or full names the flag (exit 2). */
function parseBenchScale(text: string | undefined): BenchScale | null {
  if (text === undefined) return null;
  const r = BenchScaleSchema.safeParse(text);
  if (!r.success) throw new UserError(`--bench-scale "${text}" must be one of ${BENCH_SCALES.join(', ')}`);
  return r.data;
}

/**
 * The bench scale when --bench-scale is not given: small on a CPU (and on the in-process reference device), full on
 * an accelerator. Without --device, the driver's first device decides.
 */
async function defaultBenchScale(driver: Driver, device: string | undefined, openOptions: OpenOptions): Promise<BenchScale> {
  const name = device ?? (driver.name === 'reference' ? 'reference' : (await driver.discover(openOptions))[0]?.device ?? 'cpu');
  return name === 'reference' || name === 'cpu' || name.startsWith('cpu:') ? 'small' : 'full';
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The user seed of `--seed`, or null without one; a bad seed is one sentence naming the flag (exit 2). */
function parseSeed(text: string | undefined): string | null {
  if (text === undefined) return null;
  const problem = userSeedProblem(text);
  if (problem !== null) throw new UserError(`--seed ${JSON.stringify(text)} ${problem}`);
  return text;
}

function parseCount(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} "${text}" must be a whole number of 0 or more`);
  return n;
}

export const registerRun: RegisterCommand = (program, setExitCode, args) => {
  program
    .command('run')
    .description('run the cases a profile requires on a device (operators, models, benchmarks or collectives), judge or measure them, and write a signed report')
    .option('--driver <name>', 'driver: pytorch, exec, reference, or a path to a driver module (default: the best usable target)')
    .option('--device <device>', 'device string, e.g. cpu, cuda:0, xpu:0, mps, npu:0 (default: the driver\'s first device); a list X,Y or PREFIX:all (e.g. cuda:all) runs every device in parallel, each in its own run folder under --out, with a node summary')
    .option('--profile <name>', 'certification profile: inference-fp32, inference-lowp, full, bench, collectives, collectives-lowp', DEFAULT_PROFILE)
    .option('--suite <name>', 'only this suite (repeatable)', collect)
    .option('--filter <glob>', 'only cases whose id matches (repeatable; `*` within a segment, `**` across)', collect)
    .option('--dtype <dtype>', 'only cases filed under this dtype (repeatable)', collect)
    .option('--split', 'with a list of identical devices (--device cuda:all): spread the selection across them, one shard each, and merge their signed runs into one report whose results name the device that ran them')
    .option('--shard <K/N>', 'only the K-th of N shards of the selection; auto (or auto/N): K and N from a Kubernetes Indexed Job or a Slurm job array')
    .option('--challenge <file>', "answer a reviewer's challenge (accelcert challenge): its seed becomes the run's, and the report carries it")
    .option('--seed <seed>', "mix this seed into every case's inputs (1 to 64 letters, digits, '.', '_', '-'; default: none, the suites' own inputs)")
    .option('--out <dir>', 'run folder, new or empty (default: a new reports/<time>-<driver>-<device>)')
    .option('--force', "with --out: replace the run in a folder that is not empty (the run's files there are removed first)")
    .option('--key <file>', 'private key (PEM) to sign the report with (default: the user key, created on first use)')
    .option('--no-sign', 'leave the report unsigned')
    .option('--waivers <file>', 'waiver file (JSON, or signed by a waiver authority with `accelcert waivers sign`): failures it covers count as waived; verify honours only waivers signed by a key the reviewer trusts')
    .option('--timeout <seconds>', 'per-case limit on the device call', String(DEFAULT_TIMEOUT_SECONDS))
    .option('--max-crashes <n>', 'stop after n cases in a row crash, time out or break the protocol (0: never); the cases left are recorded as not run, exit 3', '10')
    .option('--trace-protocol', "write every frame header a worker driver sends and receives to run.log (bodies as their size): for a worker's author")
    .option('--no-spare-worker', 'keep no worker started ahead (by default one waits idle, so that a crash or hang is replaced in milliseconds, not the seconds a framework import takes)')
    .addOption(new Option('--depth <n>', 'requests kept in flight to the device').default('4').hideHelp())
    .option('--python <path>', 'python interpreter for the pytorch driver (default: $ACCELCERT_PYTHON, then /usr/bin/python3, python3)')
    .option('--worker <command>', 'worker command line for the exec driver')
    .option('--bench-scale <scale>', 'benchmark sizes of profile bench: small (a CPU, seconds each) or full (an accelerator); default small on a CPU, else full')
    .option('--peak <precision=value>', "the device's dense peak, replacing the built-in table: PRECISION=TFLOPS (float64, float32, tf32, bfloat16, float16, float8) or memory=TB/S (repeatable)", collect)
    .option('--baseline <dir>', 'compare with this earlier run (folder or report.json): new failures or benchmark regressions exit 1; comparison.md goes in the run folder')
    .option('--threshold <percent>', 'with --baseline: how much slower a benchmark must be to regress, in percent', '5')
    .option('--resume <dir>', 'continue the run in DIR after the harness was killed or interrupted: the same command, with this flag; finished cases are not run again')
    .option('--graph <file>', "run the model of a graph file (`accelcert graph capture`) in eager and compiled mode instead of a profile's cases; the verdict covers that model only")
    .option('--json', 'print the report summary as JSON on stdout (progress and logs go to stderr)')
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 every selected case passed or was waived; 1 a case failed, errored, crashed, timed out or is',
        'unsupported, or (with --baseline) a case newly failed or a benchmark regressed; 2 usage or input error; 3 a',
        'driver cannot start, or the device was lost or kept crashing (--max-crashes); 4 internal error; 130 interrupted.',
        '',
        'Interrupts: Ctrl-C (SIGINT) or SIGTERM starts no more cases; those in flight finish, then an INCOMPLETE report of',
        'what ran is written (exit 130). A second one stops at once, without a report (exit 130): every finished case is',
        'in journal.jsonl, and the same command with --resume DIR runs the rest.',
        '',
        'Run folder: --out DIR must be new or empty; --force first removes the files of the run it holds (report, journal,',
        'run.json, run.log, ...). summary.md and junit.xml print, for each case that did not pass, the command that reruns',
        'it alone on the same target, quoted for a POSIX shell: paste it in the folder this run was started from.',
        '',
        'Environment:',
        '  ACCELCERT_PYTHON           python interpreter for the pytorch driver (after --python)',
        '  ACCELCERT_TORCH_PLUGINS    comma-separated modules the pytorch worker imports first, e.g. torch_npu',
        '  ACCELCERT_COMPILE_BACKEND  torch.compile backend for compiled model cases (default inductor), e.g. aot_eager',
        '  ACCELCERT_HOME             folder of the default signing key (default ~/.config/accelcert)',
        '  ACCELCERT_CACHE            folder of the oracle\'s answer cache, or off (default $XDG_CACHE_HOME/accelcert, ~/.cache/accelcert)',
        '  CI                         plain progress lines instead of a progress bar',
        '  JOB_COMPLETION_INDEX       --shard auto in a Kubernetes Indexed Job: the 0-based shard (N from auto/N or ACCELCERT_SHARD_COUNT)',
        '  SLURM_ARRAY_TASK_ID        --shard auto in a Slurm job array, with SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT',
      ].join('\n'),
    )
    .action(async (raw: unknown, command: Command) => {
      const opts = RunOptionsSchema.parse(raw);
      // a device list is one run per device, each a child `run` with this command line: nothing else is done here
      if (opts.device !== undefined && isDeviceList(opts.device)) return setExitCode(await runOnEveryDevice({ ...opts, device: opts.device }, args));
      if (opts.split) throw new UserError(`--split spreads the selection across a list of devices: give them with --device (e.g. cuda:all or cuda:0,cuda:1), not ${opts.device === undefined ? 'no --device' : `--device ${opts.device}`}`);
      const timeoutMs = positiveNumber(opts.timeout, '--timeout') * 1000;
      const depth = Math.floor(positiveNumber(opts.depth, '--depth'));
      const maxCrashes = parseCount(opts.maxCrashes, '--max-crashes');
      if (opts.challenge !== undefined && opts.seed !== undefined) throw new UserError('--challenge FILE gives the seed: give --seed or --challenge, not both');
      const challenge = opts.challenge !== undefined ? loadChallenge(opts.challenge) : null;
      const seed = challenge ? challenge.challenge.seed : parseSeed(opts.seed);

      // Validate everything the user typed before starting any device.
      if (opts.graph !== undefined && (command.getOptionValueSource('profile') === 'cli' || opts.suite.length > 0)) {
        throw new UserError('--graph runs the cases of its graph file: it takes no --profile or --suite');
      }
      const graph = opts.graph !== undefined ? loadGraphFile(opts.graph) : null;
      // a graph file's cases stand in for a profile's: all of them are required
      const profile = graph ? null : getProfile(opts.profile);
      const suites = graph ? [graphFileSuite(graph.file, graph.digest)] : shippedSuites();
      for (const s of opts.suite) findSuite(suites, s);
      const benched = profile !== null && hasBenchmarks(profile, suites);
      const givenScale = parseBenchScale(opts.benchScale);
      if (givenScale && !benched) throw new UserError(`--bench-scale applies to a profile with benchmarks (bench), not ${profile?.name ?? 'a graph file'}`);
      const peak = parsePeaks(opts.peak);
      const threshold = parseThreshold(opts.threshold);
      const baseline = opts.baseline !== undefined ? loadReport(opts.baseline) : null;
      const selection = { filters: opts.filter, dtypes: parseDtypes(opts.dtype), shard: parseShard(opts.shard, process.env) };
      const grant = opts.waivers ? loadWaivers(opts.waivers) : { waivers: [], envelope: null };
      if (opts.resume !== undefined && opts.out !== undefined && resolve(opts.out) !== resolve(opts.resume)) {
        throw new UserError('--resume DIR continues the run in DIR: give no --out, or the same folder');
      }
      if (opts.resume !== undefined && opts.force) throw new UserError(`--resume ${opts.resume} continues the run in its folder; --force would remove it: give one of them`);
      // a run never mixes its files with another's: an --out folder is new or empty, unless --force replaces its run
      if (opts.out !== undefined && opts.resume === undefined && !opts.force) refuseNonEmptyFolder(opts.out);

      const openOptions = { python: opts.python, worker: opts.worker, traceProtocol: opts.traceProtocol };
      let driver;
      let device = opts.device;
      if (opts.driver) {
        driver = await resolveDriver(opts.driver);
        const a = await driver.availability(openOptions);
        if (!a.usable) throw new UserError(`the ${driver.name} driver is not usable: ${a.reason}`, a.exitCode ?? 3);
      } else {
        const choice = await autoSelect(openOptions);
        driver = choice.driver;
        device ??= choice.device;
        process.stderr.write(`accelcert: target ${driver.name} ${choice.device}: ${choice.reason}\n`);
      }

      const benchScale = benched ? (givenScale ?? (await defaultBenchScale(driver, device, openOptions))) : null;
      const required = profile ? requiredCases(profile, suites, benchScale) : suites.flatMap((s) => s.cases);
      const inSuites = opts.suite.length ? required.filter((c) => opts.suite.includes(c.suite)) : required;
      const cases = selectCases(inSuites, selection);
      // the key is read before the first case: an unreadable or encrypted key must not wait for the end of an hours-long run
      const signing: Signing = !opts.sign ? { none: true } : { key: opts.key !== undefined ? loadPrivateKey(opts.key) : ensureDefaultKey((line) => process.stderr.write(`accelcert: ${line}\n`)).key };

      const outDir = resolve(opts.resume ?? opts.out ?? join(defaultReportsDir(), runFolderName(driver.name, device)));
      const manifest: RunManifest = {
        accelcert: HARNESS_VERSION,
        startedAt: new Date().toISOString(),
        command: ['accelcert', ...args],
        driver: opts.driver ?? driver.name,
        device: device ?? null,
        profile: profile?.name ?? GRAPH_PROFILE,
        graph: graph?.digest ?? null,
        suites: Object.fromEntries(suites.map((x) => [x.name, x.digest])),
        // the resolved K/N: `--shard auto` resumed in another job slot must not quietly become another shard
        selection: { suites: opts.suite, filters: opts.filter, dtypes: selection.dtypes, shard: selection.shard ? `${selection.shard.index}/${selection.shard.count}` : null, seed, benchScale },
        fingerprint: null,
      };
      // a resumed run continues the run its folder records, and only that run: same accelcert, target and selection
      let started = manifest;
      let done: CaseResult[] = [];
      if (opts.resume !== undefined) {
        started = readManifest(outDir, opts.resume);
        const problem = resumeProblem(started, manifest);
        if (problem) throw new UserError(`--resume ${opts.resume}: ${problem}`);
        const selected = new Set(cases.map((c) => c.id));
        done = readJournal(join(outDir, JOURNAL_FILE)).results.filter((r) => selected.has(r.id));
      } else {
        if (opts.force) removeRunFiles(outDir);
        ensureWritableFolder(outDir);
        writeManifest(outDir, manifest);
      }
      const finished = new Set(done.map((r) => r.id));
      const onOpened = (opened: DeviceInfo): void => {
        if (opts.resume === undefined) return writeManifest(outDir, { ...manifest, fingerprint: opened.fingerprint });
        const problem = deviceProblem(started, opened.fingerprint);
        if (problem) throw new UserError(`--resume ${opts.resume}: ${problem}`);
      };
      if (graph) {
        // the exact bytes whose sha256 the report records, so that verify can take the cases from the run folder (which
        // exists by now: created above, or the resumed run's)
        writeFileSync(join(outDir, GRAPH_FILE_IN_RUN), graph.bytes);
      }
      const cache = oracleCacheFromEnv(process.env);
      const out = await runCases({
        driver,
        device,
        openOptions,
        cases: cases.filter((c) => !finished.has(c.id)),
        outDir,
        timeoutMs,
        depth,
        seed,
        cache,
        maxConsecutiveCrashes: maxCrashes === 0 ? Infinity : maxCrashes,
        spareWorker: opts.spareWorker,
        resume: opts.resume !== undefined,
        onOpened,
      });
      const byId = new Map([...done, ...out.results].map((r) => [r.id, r]));
      const results = cases.flatMap((c) => byId.get(c.id) ?? []);
      const report = buildReport({
        command: ['accelcert', ...args],
        startedAt: opts.resume !== undefined ? new Date(started.startedAt) : out.startedAt,
        endedAt: out.endedAt,
        target: { driver: opts.driver ?? driver.name, device: out.device.device, fingerprint: out.device.fingerprint },
        suites: profile ? suites.filter((s) => profile.suites.includes(s.name)) : suites,
        profile: profile?.name ?? GRAPH_PROFILE,
        ...(graph && opts.graph !== undefined ? { graph: { file: opts.graph, sha256: graph.digest, name: graph.file.name } } : {}),
        requiredIds: required.map((c) => c.id),
        selection: { suites: opts.suite, ...selection, cases: cases.length, seed, benchScale },
        peak,
        results,
        waivers: grant.waivers,
        signedWaivers: grant.envelope,
        challenge: challenge?.envelope ?? null,
        run: out.interrupted
          ? { outcome: 'interrupted', message: 'interrupted by a signal' }
          : out.deviceLost
            ? { outcome: 'crashed', message: out.deviceLost }
            : { outcome: 'completed', message: null },
      });
      const written = await writeRunOutputs(outDir, report, signing);
      out.log.info({ files: written.files, verdict: report.verdict }, 'report written');

      const comparison = baseline ? compareReports(baseline, report, { threshold }) : null;
      if (comparison) {
        const file = join(outDir, RUN_FILES.comparison);
        writeFileSync(file, `${comparisonMarkdown(comparison)}\n`);
        written.files.push(file);
      }
      const s = report.summary.byStatus;
      if (opts.json) {
        printJson({ outDir, verdict: report.verdict, summary: report.summary, files: written.files, ...(comparison ? { comparison } : {}) });
      } else {
        const counts = Object.entries(s).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
        process.stdout.write(
          [
            `${report.verdict.status} (${report.verdict.profile}) on driver ${driver.name}, device ${out.device.device}: ${deviceName(out.device.fingerprint)}`,
            ...report.verdict.reasons.map((r) => `  - ${r}`),
            `cases: ${report.summary.total} (${counts})`,
            ...report.waivers.filter((w) => w.matched.length === 0).map((w) => `waiver ${w.id} (${w.cases}) matched nothing`),
            `run folder: ${outDir}`,
            '',
          ].join('\n'),
        );
        if (comparison) process.stdout.write(`\n${comparisonMarkdown(comparison)}\n`);
      }
      const compared = comparison ? comparisonExitCode(comparison) : 0;
      // a device lost for good, or one whose cases kept crashing, is an infrastructure failure: the report says what ran
      setExitCode(out.interrupted ? 130 : out.deviceLost ? 3 : Math.max(runExitCode(report), compared));
    });
};

/** Every file a run writes into its folder: what --force removes, so that nothing of the old run is left or appended to. */
const RUN_FOLDER_FILES: readonly string[] = [...Object.values(RUN_FILES), MANIFEST_FILE, JOURNAL_FILE, RUN_LOG_FILE, GRAPH_FILE_IN_RUN];
const LISTED_FILES = 4;

/** `--out DIR` when DIR exists and holds anything: one sentence naming it and what it holds (exit 2). */
function refuseNonEmptyFolder(given: string): void {
  let entries: string[];
  try {
    if (!statSync(given).isDirectory()) return; // not a folder: creating the run folder says why it cannot be
    entries = readdirSync(given).sort();
  } catch {
    return; // absent (the run creates it), or unreadable (creating the run folder says so)
  }
  if (entries.length === 0) return;
  const more = entries.length - LISTED_FILES;
  const held = more > 1 ? `${entries.slice(0, LISTED_FILES).join(', ')} and ${more} more` : entries.join(', ');
  // a run that never wrote its report was killed or stopped: what the user most likely wants is to continue it
  const unfinished = entries.includes(MANIFEST_FILE) && !entries.includes(RUN_FILES.report);
  const continueIt = unfinished ? `continue its unfinished run with --resume ${given}, ` : '';
  throw new UserError(`--out ${given}: the folder is not empty (it holds ${held}); ${continueIt}choose another folder, or add --force to replace its run`);
}

/** `--force`: the files of the run in the folder go before the new run starts; anything else in it stays. */
function removeRunFiles(dir: string): void {
  try {
    for (const name of RUN_FOLDER_FILES) rmSync(join(dir, name), { force: true });
  } catch (err) {
    throw new UserError(`--force cannot remove the run in ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The run folder, created now and checked writable: a folder the report cannot go into must fail before the first case. */
function ensureWritableFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UserError(`cannot write the run folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Run folders go under ./reports, the project's git-ignored output folder when run from a checkout. */
function defaultReportsDir(): string {
  return resolve('reports');
}

function runFolderName(driver: string, device: string | undefined): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  const safe = (x: string) => x.replace(/[^A-Za-z0-9_.-]+/g, '_');
  return `${stamp}-${safe(driver)}-${safe(device ?? 'default')}`;
}
