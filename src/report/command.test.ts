import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerRun } from '../cli/run.js';
import { DEFAULT_TIMEOUT_SECONDS, givenOption, RUN_VALUE_OPTIONS } from './command.js';

/** `accelcert run` as the CLI defines it. */
function runCommand(): Command {
  const program = new Command('accelcert');
  registerRun(program, () => undefined, []);
  const run = program.commands.find((c) => c.name() === 'run');
  if (!run) throw new Error('no run command');
  return run;
}

describe('reading a recorded run command line back', () => {
  it('knows every option of run that takes a value, and its default timeout', () => {
    const run = runCommand();
    const valued = run.options.filter((o) => o.required || o.optional).map((o) => o.long);
    expect(new Set(valued)).toEqual(RUN_VALUE_OPTIONS);
    expect(run.options.find((o) => o.long === '--timeout')?.defaultValue).toBe(String(DEFAULT_TIMEOUT_SECONDS));
  });

  it('finds an option given as --option VALUE or --option=VALUE, the last one given, and never a value taken for an option', () => {
    const command = ['accelcert', 'run', '--json', '--worker', 'a b', '--filter', '--python', '--timeout=7', '--worker=c=d'];
    expect(givenOption(command, '--worker')).toBe('c=d');
    expect(givenOption(command, '--timeout')).toBe('7');
    expect(givenOption(command, '--python')).toBeUndefined();
    expect(givenOption(['accelcert', 'run', '--python'], '--python')).toBeUndefined();
    expect(givenOption(['accelcert', 'run', '--', '--python', 'x'], '--python')).toBeUndefined();
  });
});
