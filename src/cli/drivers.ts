import type { RegisterCommand } from './command.js';
import { BUILTIN_DRIVERS } from '../drivers/registry.js';
import { printJson, printLines, table } from './output.js';

export const registerDrivers: RegisterCommand = (program) => {
  program
    .command('drivers')
    .description('list driver adapters and whether each is usable here (and why not)')
    .option('--json', 'machine-readable output on stdout')
    .option('--python <path>', 'python interpreter for the pytorch driver (default: $ACCELCERT_PYTHON, then /usr/bin/python3, python3)')
    .action(async (opts: { json?: boolean; python?: string }) => {
      const rows = await Promise.all(
        BUILTIN_DRIVERS.map(async (d) => ({ name: d.name, description: d.description, ...(await d.availability({ python: opts.python })) })),
      );
      if (opts.json) return printJson({ drivers: rows });
      printLines(table([['driver', 'usable', 'why'], ...rows.map((r) => [r.name, r.usable ? 'yes' : 'no', r.reason])]));
      printLines(['', 'A JS module exporting a Driver can be named by path: --driver ./my-driver.js']);
    });
};
