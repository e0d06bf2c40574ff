import type { RegisterCommand } from './command.js';
import { firstLine, UserError } from '../errors.js';
import { BUILTIN_DRIVERS, resolveDriver } from '../drivers/registry.js';
import { deviceName, type DeviceInfo } from '../device/device.js';
import { printJson, printLines } from './output.js';

export const registerDiscover: RegisterCommand = (program, setExitCode) => {
  program
    .command('discover')
    .description('list the devices each driver sees, with fingerprints')
    .option('--driver <name>', 'one driver (default: every usable built-in driver)')
    .option('--python <path>', 'python interpreter for the pytorch driver')
    .option('--worker <command>', 'worker command for the exec driver')
    .option('--json', 'machine-readable output on stdout')
    .action(async (opts: { driver?: string; python?: string; worker?: string; json?: boolean }) => {
      const openOpts = { python: opts.python, worker: opts.worker };
      const drivers = opts.driver ? [await resolveDriver(opts.driver)] : BUILTIN_DRIVERS;
      const found: { driver: string; devices: DeviceInfo[]; unavailable: string | null }[] = [];
      // a driver the user named that cannot discover: exit 2 when the command is at fault (exec without --worker), else 3
      let namedFailure: 2 | 3 = 3;
      for (const d of drivers) {
        try {
          const a = await d.availability(openOpts);
          if (!a.usable && a.exitCode) namedFailure = a.exitCode;
          found.push(a.usable ? { driver: d.name, devices: await d.discover(openOpts), unavailable: null } : { driver: d.name, devices: [], unavailable: a.reason });
        } catch (err) {
          // one driver failing to discover must not hide the others' devices
          if (err instanceof UserError) namedFailure = err.exitCode;
          found.push({ driver: d.name, devices: [], unavailable: firstLine(err) });
        }
      }
      if (opts.driver && found[0]?.unavailable) setExitCode(namedFailure);
      if (opts.json) return printJson({ drivers: found });
      const lines: string[] = [];
      for (const f of found) {
        if (f.unavailable) {
          lines.push(`${f.driver}: not usable: ${f.unavailable}`);
          continue;
        }
        for (const dev of f.devices) {
          const fp = dev.fingerprint;
          lines.push(`${f.driver}  --device ${dev.device}  ${deviceName(fp)}`);
          const facts = [
            fp.framework ? `${fp.framework.name} ${fp.framework.version}` : null,
            fp.memoryBytes !== null ? `${(fp.memoryBytes / 2 ** 30).toFixed(1)} GiB` : null,
            fp.driverVersion ? `driver ${fp.driverVersion}` : null,
            ...Object.entries(fp.extra).map(([k, v]) => `${k}=${v}`),
          ].filter((x): x is string => x !== null);
          if (facts.length) lines.push(`    ${facts.join(', ')}`);
        }
      }
      printLines(lines);
    });
};
