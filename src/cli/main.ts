import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { COMMANDS } from './commands.js';
import { HARNESS_VERSION } from '../version.js';

/**
 * Entry point: builds the commander program, runs one command, and turns every user-caused error into
 * one sentence on stderr and an exit code (2 usage/input, 3 infrastructure). Returns the exit code.
 */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('accelcert')
    .description('Certifies hardware accelerators for PyTorch: conformance cases judged against a float64 oracle, signed reports.')
    .version(HARNESS_VERSION)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .showSuggestionAfterError(true);
  for (const register of COMMANDS) {
    register(program, (c) => {
      code = c;
    });
  }
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return exitCodeOf(err);
  }
}

function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; every parse error is a usage error
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UserError) {
    process.stderr.write(`accelcert: ${err.message}\n`);
    return err.exitCode;
  }
  throw err;
}
