import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { positiveNumber, type RegisterCommand } from './command.js';
import { UserError } from '../errors.js';
import { resolveDriver } from '../drivers/registry.js';
import type { Driver, OpenOptions } from '../drivers/types.js';
import { DEFAULT_TIMEOUT_SECONDS } from '../report/command.js';
import { RUN_FILES } from '../report/files.js';
import { loadReport } from '../report/load.js';
import { oracleCacheFromEnv } from '../runner/oracle-cache.js';
import { auditExitCode, auditReport, DEFAULT_AUDIT_SAMPLE, parseSampleSize, planAudit, renderAudit, sampleSeedOf } from '../verify/audit.js';
import { graphBeside } from '../verify/graph.js';
import type { Suite } from '../suite/suite.js';
import { shippedSuites } from '../../suites/index.js';
import { printJson, printLines } from './output.js';

const AuditOptionsSchema = z.object({
  driver: z.string(),
  device: z.string().optional(),
  worker: z.string().optional(),
  python: z.string().optional(),
  timeout: z.string().default(String(DEFAULT_TIMEOUT_SECONDS)),
  sample: z.string().default(String(DEFAULT_AUDIT_SAMPLE)),
  sampleSeed: z.string().optional(),
  json: z.boolean().default(false),
});

/**
 * The report.json that REPORT names: a run folder's, a report.dsse.json's neighbour, or the file itself. The envelope
 * is not read: whether the report is the one that was signed is `verify`'s question, not the audit's.
 */
function reportFile(given: string): string {
  if (existsSync(given) && statSync(given).isDirectory()) return join(given, RUN_FILES.report);
  return basename(given) === RUN_FILES.envelope ? join(dirname(given), RUN_FILES.report) : given;
}

/** The cases a rerun can come from: the shipped suites, plus the graph file a `run --graph` folder holds. */
function suitesFor(reportPath: string): Suite[] {
  const graph = graphBeside(reportPath)?.suite;
  return graph ? [...shippedSuites(), graph] : shippedSuites();
}

async function usableDriver(name: string, openOptions: OpenOptions): Promise<Driver> {
  const driver = await resolveDriver(name);
  const a = await driver.availability(openOptions);
  if (!a.usable) throw new UserError(`the ${driver.name} driver is not usable: ${a.reason}`, a.exitCode ?? 3);
  return driver;
}

export const registerAudit: RegisterCommand = (program, setExitCode) => {
  program
    .command('audit')
    .description("rerun a random sample of a report's cases on your own device and compare the output digests bit for bit")
    .argument('<report>', 'a run folder, its report.json or its report.dsse.json (the report.json beside it is read)')
    .requiredOption('--driver <name>', 'driver of your device: pytorch, exec (with --worker), reference, or a path to a driver module')
    .option('--device <device>', "device string, e.g. cpu, cuda:0 (default: the driver's first device)")
    .option('--worker <command>', 'worker command line for the exec driver')
    .option('--python <path>', 'python interpreter for the pytorch driver (default: $ACCELCERT_PYTHON, then /usr/bin/python3, python3)')
    .option('--timeout <seconds>', 'per-case limit on the device call', String(DEFAULT_TIMEOUT_SECONDS))
    .option('--sample <n>', 'how many cases to rerun, drawn at random from those with deterministic outputs', String(DEFAULT_AUDIT_SAMPLE))
    .option('--sample-seed <seed>', "draw the sample from this seed (1 to 64 letters, digits, '.', '_', '-'); default: a fresh one, printed, so the audit can be repeated")
    .option('--json', 'print the audit as JSON on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      [
        '',
        "The report's cases that can be audited are op and model cases that passed, failed or were waived, whose outputs",
        "the submitter's device gave bit for bit twice, and that are not random (a random op's draws differ by right) nor",
        "documented nondeterministic. Each sampled case is rerun with the report's seed, so its inputs are the report's",
        '(a case whose input digest differs is reported: its outputs cannot be compared). On the same device and software',
        'stack a deterministic op gives the same bits, so a differing output digest means the report was produced on',
        'another device or stack, or its outputs were not computed; a warning says when the two fingerprints name',
        'different hardware or frameworks. The audit does not check the signature or the claims of the report: that is',
        '`accelcert verify`, which a reviewer runs as well.',
        '',
        'Exit codes: 0 every sampled case matches bit for bit; 1 a case differs, or could not be rerun (crash, timeout,',
        'error, unsupported); 2 usage or input error (an unreadable report, a bad --sample, a case this accelcert does',
        'not ship); 3 a driver cannot start, or the device was lost; 130 interrupted.',
      ].join('\n'),
    )
    .action(async (given: string, raw: unknown) => {
      const opts = AuditOptionsSchema.parse(raw);
      const timeoutMs = positiveNumber(opts.timeout, '--timeout') * 1000;
      const sample = parseSampleSize(opts.sample);
      const sampleSeed = sampleSeedOf(opts.sampleSeed);
      const reportPath = reportFile(given);
      const report = loadReport(reportPath);
      const plan = planAudit(report, suitesFor(reportPath), sample, sampleSeed);
      const openOptions: OpenOptions = { python: opts.python, worker: opts.worker };
      const driver = await usableDriver(opts.driver, openOptions);
      const outcome = await auditReport({
        report,
        reportPath,
        plan,
        driver,
        driverName: opts.driver,
        device: opts.device,
        openOptions,
        timeoutMs,
        sample,
        sampleSeed,
        cache: oracleCacheFromEnv(process.env),
      });
      if (opts.json) printJson(outcome);
      else printLines(renderAudit(outcome));
      setExitCode(auditExitCode(outcome));
    });
};
