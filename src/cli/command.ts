import type { Command } from 'commander';

/**
 * A command registers itself on the program; its action reports its exit code through `setExitCode`. `args` are the
 * arguments the program was started with, after the program's name (what `run` records as its command line).
 * Lives apart from the list of commands so that no command file imports that list (no import loop).
 */
export type RegisterCommand = (program: Command, setExitCode: (code: number) => void, args: readonly string[]) => void;
