import type { Command } from 'commander';
import { UserError } from '../errors.js';

/**
 * A command registers itself on the program; its action reports its exit code through `setExitCode`. `args` are the
 * arguments the program was started with, after the program's name (what `run` records as its command line).
 * Lives apart from the list of commands so that no command file imports that list (no import loop).
 */
export type RegisterCommand = (program: Command, setExitCode: (code: number) => void, args: readonly string[]) => void;

/** A flag's value as a positive number; anything else is one sentence naming the flag (exit 2). */
export function positiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag} "${text}" must be a positive number`);
  return n;
}
