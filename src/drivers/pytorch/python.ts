import { execFile } from 'node:child_process';
import { UserError } from '../../errors.js';
import type { OpenOptions } from '../types.js';

export interface PythonChoice {
  /** the interpreter to run: as named by --python or ACCELCERT_PYTHON, else the found candidate's sys.executable */
  path: string;
  /** torch.__version__, or null when this interpreter cannot import torch */
  torchVersion: string | null;
  /** one sentence: what will be used, or why PyTorch is not usable */
  reason: string;
}

export interface FindPythonOptions extends OpenOptions {
  /** environment to read ACCELCERT_PYTHON from (default: process.env) */
  env?: NodeJS.ProcessEnv;
  /** interpreters to try when none is named (default: DEFAULT_PYTHON_CANDIDATES) */
  candidates?: readonly string[];
}

/** Tried in order when neither --python nor ACCELCERT_PYTHON names one; the system python often has the distro's torch. */
export const DEFAULT_PYTHON_CANDIDATES: readonly string[] = ['python3', '/usr/bin/python3', '/usr/local/bin/python3', 'python'];

interface Probe {
  executable: string;
  python: string;
  torch: string | null;
  error: string | null;
}

const PROBE_MARK = 'ACCELCERT_PROBE ';
// prints one marked line, whatever torch prints while importing
const PROBE_SCRIPT = [
  'import json, sys',
  'r = {"executable": sys.executable, "python": sys.version.split()[0], "torch": None, "error": None}',
  'try:',
  '    import torch',
  '    r["torch"] = torch.__version__',
  'except BaseException as e:',
  '    r["error"] = "%s: %s" % (type(e).__name__, e)',
  `print(${JSON.stringify(PROBE_MARK)} + json.dumps(r))`,
].join('\n');

const probes = new Map<string, Promise<Probe | null>>();

/** Runs the interpreter once (cached per process); null when it does not run at all. */
function probe(python: string): Promise<Probe | null> {
  let p = probes.get(python);
  if (!p) {
    p = new Promise((resolve) => {
      execFile(python, ['-c', PROBE_SCRIPT], { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (_err, stdout) => {
        const line = String(stdout)
          .split('\n')
          .find((l) => l.startsWith(PROBE_MARK));
        if (!line) return resolve(null);
        try {
          resolve(JSON.parse(line.slice(PROBE_MARK.length)) as Probe);
        } catch {
          resolve(null);
        }
      });
    });
    probes.set(python, p);
  }
  return p;
}

function describe(name: string, pr: Probe): string {
  const exe = pr.executable && pr.executable !== name ? ` (${pr.executable})` : '';
  return `${name}${exe}`;
}

/**
 * Finds the Python interpreter of the pytorch driver: --python, then ACCELCERT_PYTHON, then the candidates
 * in order, preferring the first that can import torch. A named interpreter is used as named (no fallback).
 * Throws a UserError when no interpreter runs: exit code 2 for a named one (a usage mistake), 3 when none
 * of the candidates exists (the machine lacks Python).
 */
export async function findPython(opts: FindPythonOptions = {}): Promise<PythonChoice> {
  const env = opts.env ?? process.env;
  const named = opts.python ? { path: opts.python, source: '--python' } : env.ACCELCERT_PYTHON ? { path: env.ACCELCERT_PYTHON, source: 'ACCELCERT_PYTHON' } : null;
  if (named) {
    const pr = await probe(named.path);
    if (!pr) throw new UserError(`${named.source} ${named.path} is not a Python interpreter that runs here`, 2);
    // a named interpreter runs exactly as named: a wrapper (an environment-setup script, `conda run`, a container
    // launcher) is the program the user chose, not the Python it ends up starting
    const path = named.path;
    if (pr.torch === null) {
      return { path, torchVersion: null, reason: `${describe(named.path, pr)} has no torch module (${pr.error ?? 'import failed'}); install PyTorch for it or name another interpreter with --python` };
    }
    return { path, torchVersion: pr.torch, reason: `using ${describe(named.path, pr)} from ${named.source}: Python ${pr.python}, torch ${pr.torch}` };
  }
  const candidates = opts.candidates ?? DEFAULT_PYTHON_CANDIDATES;
  const results = await Promise.all(candidates.map(async (c) => ({ name: c, probe: await probe(c) })));
  const running = results.filter((r): r is { name: string; probe: Probe } => r.probe !== null);
  const withTorch = running.find((r) => r.probe.torch !== null);
  const without = running.filter((r) => r.probe.torch === null).map((r) => describe(r.name, r.probe));
  if (withTorch) {
    const skipped = running.slice(0, running.indexOf(withTorch)).filter((r) => r.probe.torch === null);
    const note = skipped.length > 0 ? ` (${skipped.map((r) => r.name).join(', ')} ${skipped.length === 1 ? 'has' : 'have'} no torch module)` : '';
    return {
      path: withTorch.probe.executable || withTorch.name,
      torchVersion: withTorch.probe.torch,
      reason: `using ${describe(withTorch.name, withTorch.probe)}: Python ${withTorch.probe.python}, torch ${withTorch.probe.torch}${note}`,
    };
  }
  const first = running[0];
  if (first) {
    return {
      path: first.probe.executable || first.name,
      torchVersion: null,
      reason: `${without.join(', ')} ${without.length === 1 ? 'has' : 'have'} no torch module; install PyTorch or name an interpreter that has it with --python`,
    };
  }
  throw new UserError(`no Python interpreter found (tried ${candidates.join(', ')}); install Python 3 with PyTorch or name one with --python`, 3);
}
