import type { Command } from 'commander';
import { registerDiscover } from './discover.js';
import { registerDrivers } from './drivers.js';
import { registerKeygen } from './keygen.js';
import { registerReport } from './report.js';
import { registerVerify } from './verify.js';
import { registerRun } from './run.js';
import { registerSuites } from './suites.js';

/** A command registers itself on the program; its action reports its exit code through `setExitCode`. */
export type RegisterCommand = (program: Command, setExitCode: (code: number) => void) => void;

// One file per command; add new commands to this list.
export const COMMANDS: RegisterCommand[] = [registerRun, registerSuites, registerDrivers, registerDiscover, registerVerify, registerKeygen, registerReport];
