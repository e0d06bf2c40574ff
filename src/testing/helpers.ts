import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { vi } from 'vitest';
import { main } from '../cli/main.js';
import { inProcessSession, referenceExec, REFERENCE_DEVICE } from '../drivers/reference/driver.js';
import type { Session } from '../drivers/types.js';
import type { TensorData } from '../tensor/tensor.js';
import { UserError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';

/** Small seeded generator of uniforms in [0, 1) (mulberry32), for tests that sweep random values reproducibly. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The UserError a promise rejects with; throws if it resolves or rejects with anything else. */
export async function userErrorOf(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof UserError)) throw new Error(`expected a UserError, got ${String(err)}`);
  return err;
}

/** Runs the CLI in process with stdout and stderr captured. */
export async function runMain(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    const code = await main(['node', 'accelcert', ...args]);
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Runs the built CLI as a separate process, as a user or a CI job would (npm test builds it first). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin/accelcert.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The reference device, recording the inputs of the first request of every case it is sent. */
export function recordingReference(): { session: Session; sent: Map<string, TensorData[]> } {
  const base = inProcessSession(REFERENCE_DEVICE, referenceExec);
  const sent = new Map<string, TensorData[]>();
  const session: Session = {
    ...base,
    exec: (req) => {
      // the inputs of op and collective requests, which the seed tests compare with the cases they draw
      if ((req.kind === 'op' || req.kind === 'collective') && !sent.has(req.caseId)) sent.set(req.caseId, req.inputs);
      return base.exec(req);
    },
  };
  return { session, sent };
}
