/**
 * Reading a report's recorded command line (`report.command`, the argv of `accelcert run …`) back: which value it gave
 * an option. What the rerun command of a case takes from it (`--worker`, `--python`, `--timeout`) is recorded nowhere
 * else, and the command line is signed with the rest of the report.
 */

/** `run --timeout` when not given: the per-case limit on the device call, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 60;

/**
 * The options of `accelcert run` that take a value (src/cli/run.ts; its test keeps the two equal): needed to tell an
 * option's value from the next option when the command line is read back.
 */
export const RUN_VALUE_OPTIONS: ReadonlySet<string> = new Set([
  '--driver',
  '--device',
  '--profile',
  '--suite',
  '--filter',
  '--dtype',
  '--shard',
  '--seed',
  '--out',
  '--key',
  '--waivers',
  '--timeout',
  '--max-crashes',
  '--depth',
  '--python',
  '--worker',
  '--bench-scale',
  '--peak',
  '--baseline',
  '--threshold',
  '--resume',
  '--graph',
  '--challenge',
]);

/**
 * The value a recorded `accelcert run` command line gave `option` (e.g. `--worker`), as `--option VALUE` or
 * `--option=VALUE`; the last one when given more than once (as the CLI takes it); undefined when not given.
 */
export function givenOption(command: readonly string[], option: string): string | undefined {
  return givenOptions(command, option).at(-1);
}

/** Every value a recorded `accelcert run` command line gave `option`, in order ([] when not given). */
export function givenOptions(command: readonly string[], option: string): string[] {
  const values: string[] = [];
  for (let i = 1; i < command.length; i++) {
    const word = command[i] ?? '';
    if (word === '--') break;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const name = eq > 0 ? word.slice(0, eq) : word;
    if (!RUN_VALUE_OPTIONS.has(name)) continue;
    const given = eq > 0 ? word.slice(eq + 1) : command[++i];
    if (name === option && given !== undefined) values.push(given);
  }
  return values;
}
