import type { RegisterCommand } from './command.js';
import { registerAudit } from './audit.js';
import { registerCompare } from './compare.js';
import { registerDiscover } from './discover.js';
import { registerDriverCheck } from './driver-check.js';
import { registerDrivers } from './drivers.js';
import { registerGraph } from './graph.js';
import { registerKeygen } from './keygen.js';
import { registerMerge } from './merge.js';
import { registerReport } from './report.js';
import { registerRepro } from './repro.js';
import { registerVerify } from './verify.js';
import { registerRun } from './run.js';
import { registerChallenge, registerWaivers } from './reviewer.js';
import { registerSuites } from './suites.js';

// One file per command; add new commands to this list.
export const COMMANDS: RegisterCommand[] = [registerRun, registerMerge, registerSuites, registerDrivers, registerDiscover, registerDriverCheck, registerVerify, registerAudit, registerWaivers, registerChallenge, registerKeygen, registerReport, registerRepro, registerCompare, registerGraph];
