import { z } from 'zod';
import { checkSession, checkWorker, type Check } from '../drivers/check.js';
import { execWorkerSpec } from '../drivers/exec/driver.js';
import { pytorchWorkerSpec } from '../drivers/pytorch/driver.js';
import { resolveDriver } from '../drivers/registry.js';
import type { OpenOptions } from '../drivers/types.js';
import type { WorkerSpec } from '../drivers/worker/process.js';
import { positiveNumber, type RegisterCommand } from './command.js';
import { printJson, printLines } from './output.js';

const DriverCheckOptionsSchema = z.object({
  driver: z.string(),
  device: z.string().optional(),
  worker: z.string().optional(),
  python: z.string().optional(),
  timeout: z.string().default('30'),
  json: z.boolean().default(false),
});

const MARK = { true: 'ok', false: 'FAIL', null: '--' } as const;

export const registerDriverCheck: RegisterCommand = (program, setExitCode) => {
  program
    .command('driver-check')
    .description("check a driver itself before any certification case: hello, capabilities, ids and pipelining, unknown ops and dtypes, malformed requests, non-contiguous and zero-size tensors, close (a checklist for a vendor's CI)")
    .requiredOption('--driver <name>', 'the driver to check: exec (with --worker), pytorch, reference, or a path to a driver module')
    .option('--device <device>', "device to open (default: the driver's first device)")
    .option('--worker <command>', 'worker command line for the exec driver')
    .option('--python <path>', 'python interpreter for the pytorch driver')
    .option('--timeout <seconds>', 'how long the worker may take to answer one request', '30')
    .option('--json', 'the checklist as JSON on stdout')
    .addHelpText('after', '\nExit codes: 0 every check passed (or does not apply); 1 a check failed; 2 usage error.')
    .action(async (raw: unknown) => {
      const opts = DriverCheckOptionsSchema.parse(raw);
      const timeoutMs = positiveNumber(opts.timeout, '--timeout') * 1000;
      const openOptions: OpenOptions = { worker: opts.worker, python: opts.python, timeoutMs };
      const driver = await resolveDriver(opts.driver);
      const spec: WorkerSpec | null = driver.name === 'exec' ? execWorkerSpec(openOptions) : driver.name === 'pytorch' ? await pytorchWorkerSpec(openOptions) : null;
      const checks: Check[] = spec ? await checkWorker(spec, { device: opts.device, timeoutMs }) : await checkSession(() => driver.open(opts.device, openOptions));
      const failed = checks.filter((c) => c.ok === false).length;
      setExitCode(failed > 0 ? 1 : 0);
      const target = spec ? spec.label : `the ${driver.name} driver`;
      if (opts.json) return printJson({ target, checks, passed: failed === 0 });
      const width = Math.max(...checks.map((c) => c.name.length));
      printLines([
        `driver-check: ${target}`,
        ...checks.map((c) => `  ${MARK[String(c.ok) as keyof typeof MARK].padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`),
        `${checks.length} checks: ${checks.filter((c) => c.ok === true).length} passed, ${failed} failed, ${checks.filter((c) => c.ok === null).length} not applicable`,
      ]);
    });
};
