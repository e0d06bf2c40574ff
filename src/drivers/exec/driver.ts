import { UserError } from '../../errors.js';
import type { Driver, OpenOptions } from '../types.js';
import { splitCommand } from '../worker/command.js';
import type { WorkerSpec } from '../worker/process.js';
import { WorkerClient, workerDriverMethods } from '../worker/session.js';

/** How the exec driver starts its worker: the --worker command, split as a shell would, run without a shell. */
export function execWorkerSpec(opts: OpenOptions): WorkerSpec {
  if (!opts.worker) throw new UserError('the exec driver needs a worker command: --worker "CMD ARGS"', 2);
  return { argv: splitCommand(opts.worker), label: `the worker "${opts.worker}"`, tag: 'worker', log: opts.log };
}

function startWorker(opts: OpenOptions): Promise<WorkerClient> {
  return WorkerClient.start(execWorkerSpec(opts), opts);
}

/** Any worker program, in any language, that speaks the accelcert protocol (docs/driver-protocol.md). */
export const execDriver: Driver = {
  name: 'exec',
  description: 'any worker program speaking the accelcert protocol (--worker "CMD ARGS")',
  async availability(opts) {
    return opts.worker
      ? { usable: true, reason: `runs the worker "${opts.worker}"` }
      : { usable: false, reason: 'needs a worker command: --worker "CMD ARGS"', exitCode: 2 };
  },
  ...workerDriverMethods(startWorker),
};
