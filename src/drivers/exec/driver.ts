import { UserError } from '../../errors.js';
import type { Driver, OpenOptions } from '../types.js';
import { splitCommand } from '../worker/command.js';
import { WorkerClient, workerDriverMethods } from '../worker/session.js';

function startWorker(opts: OpenOptions): Promise<WorkerClient> {
  if (!opts.worker) throw new UserError('the exec driver needs a worker command: --worker "CMD ARGS"', 2);
  return WorkerClient.start(
    { argv: splitCommand(opts.worker), label: `the worker "${opts.worker}"`, tag: 'worker', log: opts.log },
    opts,
  );
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
