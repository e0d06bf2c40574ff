import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { UserError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../version.js';
import { loadGraphFile, type GraphFile } from '../../workload/graph-file.js';
import { findPython } from './python.js';

/** The capture helper: traces a user's module to an accelcert graph file (see its docstring and docs/graphs.md). */
export const PYTORCH_CAPTURE = join(PACKAGE_ROOT, 'src/drivers/pytorch/capture.py');

export interface CaptureOptions {
  /** the user's .py file defining model() and example_inputs() */
  script: string;
  /** the graph file to write */
  out: string;
  /** the interpreter (--python); default: the one the pytorch driver would use */
  python?: string;
  /** keep the module's parameters, buffers and constants as literal values */
  keepWeights?: boolean;
  /** the model's name (default: the module's class name in kebab case) */
  name?: string;
  /** convert the module's floating weights and inputs to this dtype before tracing */
  dtype?: string;
}

export interface CaptureOutcome {
  file: GraphFile;
  /** sha256 of the written file */
  digest: string;
  /** what the interpreter choice was, in one sentence */
  python: string;
}

/**
 * Runs capture.py with the interpreter the pytorch driver would use, then loads the file it wrote with the graph-file
 * loader, so a bad capture is reported like any bad file. Every failure is one sentence: exit 2 for the user's script
 * or options, 3 when no interpreter with torch runs here.
 */
export async function captureGraph(opts: CaptureOptions): Promise<CaptureOutcome> {
  const python = await findPython({ python: opts.python });
  if (python.torchVersion === null) throw new UserError(`cannot capture a graph: ${python.reason}`, 3);
  const out = resolve(opts.out);
  const argv = [PYTORCH_CAPTURE, resolve(opts.script), out];
  if (opts.keepWeights) argv.push('--keep-weights');
  if (opts.name !== undefined) argv.push('--name', opts.name);
  if (opts.dtype !== undefined) argv.push('--dtype', opts.dtype);
  const result = await new Promise<{ code: number | null; stderr: string; error: string | null }>((done) => {
    execFile(python.path, argv, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }, (err, _stdout, stderr) => {
      // a numeric code is the helper's exit status; a string one (ENOENT, EACCES) means it never ran
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      const error = err && typeof err.code === 'string' ? err.code : null;
      done({ code, stderr: String(stderr), error });
    });
  });
  if (result.error) throw new UserError(`cannot run ${python.path}: ${result.error}`, 3);
  if (result.code !== 0) {
    const lines = result.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const told = lines.filter((l) => l.startsWith('error: ')).pop();
    const message = told ? told.slice('error: '.length) : `the capture helper failed (exit ${result.code ?? 'by a signal'}): ${lines.pop() ?? 'no message'}`;
    throw new UserError(message, result.code === 3 ? 3 : 2);
  }
  const { file, digest } = loadGraphFile(opts.out);
  return { file, digest, python: python.reason };
}
