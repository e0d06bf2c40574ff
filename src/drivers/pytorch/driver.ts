import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../version.js';
import type { Driver, OpenOptions } from '../types.js';
import type { WorkerSpec } from '../worker/process.js';
import { WorkerClient, workerDriverMethods } from '../worker/session.js';
import { findPython } from './python.js';

/** The Python worker, shipped as a file beside this driver's sources (also in the npm package). */
export const PYTORCH_WORKER = join(PACKAGE_ROOT, 'src/drivers/pytorch/worker.py');

/** How the pytorch driver starts its worker: the found (or named) interpreter running worker.py. */
export async function pytorchWorkerSpec(opts: OpenOptions): Promise<WorkerSpec> {
  const py = await findPython(opts);
  if (py.torchVersion === null) throw new UserError(py.reason, 3);
  return {
    argv: [py.path, '-u', PYTORCH_WORKER],
    env: {
      // glibc would mmap (and page-fault) every fresh tensor buffer of ≥128 KiB: keep them on the heap, reused
      MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
      MALLOC_TRIM_THRESHOLD_: String(512 * 1024 * 1024),
      ...process.env,
      PYTHONUNBUFFERED: '1',
      // tracebacks of hard crashes (segfaults in a backend) land in the run log
      PYTHONFAULTHANDLER: '1',
    },
    label: `the pytorch worker (${py.path}, torch ${py.torchVersion})`,
    tag: 'pytorch',
    log: opts.log,
  };
}

async function startWorker(opts: OpenOptions): Promise<WorkerClient> {
  return WorkerClient.start(await pytorchWorkerSpec(opts), opts);
}

/** Any device PyTorch can address (cpu, cuda:N incl. ROCm, xpu:N, mps, PrivateUse1 backends), through a Python worker. */
export const pytorchDriver: Driver = {
  name: 'pytorch',
  description: 'any device PyTorch can address (cpu, cuda:N, xpu:N, mps, npu:N, …) through a Python worker calling torch.ops.aten',
  async availability(opts) {
    try {
      const py = await findPython(opts);
      return { usable: py.torchVersion !== null, reason: py.reason };
    } catch (err) {
      if (err instanceof UserError) return { usable: false, reason: err.message, exitCode: err.exitCode };
      throw err;
    }
  },
  ...workerDriverMethods(startWorker),
};

export { findPython, type PythonChoice, type FindPythonOptions } from './python.js';
