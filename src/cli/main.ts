import { Command, CommanderError } from 'commander';
import { firstLine, UserError } from '../errors.js';
import { COMMANDS } from './commands.js';
import { HARNESS_VERSION } from '../version.js';

/**
 * Entry point: builds the commander program, runs one command, and turns every user-caused error into
 * one sentence on stderr and an exit code (2 usage/input, 3 infrastructure, 4 internal error). Returns the exit code.
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
    register(
      program,
      (c) => {
        code = c;
      },
      argv.slice(2),
    );
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
  // anything else is accelcert's own failure (a bug, or a limit of the runtime such as a stack overflow): one sentence
  // and exit 4, never a stack trace unless asked for
  const first = err instanceof Error ? `${err.name}: ${firstLine(err)}` : String(err);
  process.stderr.write(`accelcert: internal error: ${first} (accelcert ${HARNESS_VERSION}; ACCELCERT_DEBUG=1 prints the stack)\n`);
  if (process.env['ACCELCERT_DEBUG'] === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 4;
}
