import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { FingerprintSchema, type Fingerprint } from '../device/device.js';
import { firstIssue, UserError } from '../errors.js';
import { readJsonText } from '../json.js';

/** The run folder's run.json: what a run is, written when it starts, so that `run --resume` can continue only that run. */
export const MANIFEST_FILE = 'run.json';

export const RunManifestSchema = z.strictObject({
  accelcert: z.string(),
  startedAt: z.string(),
  /** the command line that started the run */
  command: z.array(z.string()),
  driver: z.string(),
  device: z.string().nullable(),
  profile: z.string(),
  /** sha256 of the graph file of `run --graph`, else null */
  graph: z.string().nullable(),
  /** suite name → digest */
  suites: z.record(z.string(), z.string()),
  selection: z.object({
    suites: z.array(z.string()),
    filters: z.array(z.string()),
    dtypes: z.array(z.string()),
    shard: z.string().nullable(),
    seed: z.string().nullable(),
    benchScale: z.string().nullable(),
  }),
  /** the device's fingerprint, once it is open */
  fingerprint: FingerprintSchema.nullable(),
});
export type RunManifest = z.infer<typeof RunManifestSchema>;

export function writeManifest(dir: string, m: RunManifest): void {
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
}

/** The manifest of a run folder to resume (`given`: the folder as the user named it); one sentence (exit 2) when there is none or it is damaged. */
export function readManifest(dir: string, given: string = dir): RunManifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new UserError(`--resume ${given}: the folder has no ${MANIFEST_FILE}, so it is not a run accelcert can resume`);
  const read = readJsonText(readFileSync(path, 'utf8'));
  if ('problem' in read) throw new UserError(`--resume ${given}: ${path} ${read.problem}`);
  const r = RunManifestSchema.safeParse(read.value);
  if (!r.success) throw new UserError(`--resume ${given}: ${path} is not a run manifest: field ${firstIssue(r.error)}`);
  return r.data;
}

const show = (v: unknown): string => (v === null || (Array.isArray(v) && v.length === 0) ? '(none)' : typeof v === 'string' ? v : (canonicalize(v) ?? String(v)));

/**
 * Why this command cannot resume the run of `started`, or null: the accelcert version, target, profile, suites and
 * every part of the selection must be the same (the device's fingerprint is compared once it is open).
 */
export function resumeProblem(started: RunManifest, now: RunManifest): string | null {
  const pairs: [string, unknown, unknown][] = [
    ['accelcert version', started.accelcert, now.accelcert],
    ['driver', started.driver, now.driver],
    ['device', started.device, now.device],
    ['profile', started.profile, now.profile],
    ['graph file (sha256)', started.graph, now.graph],
    ['suites (digests)', started.suites, now.suites],
    ['--suite', started.selection.suites, now.selection.suites],
    ['--filter', started.selection.filters, now.selection.filters],
    ['--dtype', started.selection.dtypes, now.selection.dtypes],
    ['--shard', started.selection.shard, now.selection.shard],
    ['--seed', started.selection.seed, now.selection.seed],
    ['bench scale', started.selection.benchScale, now.selection.benchScale],
  ];
  for (const [what, a, b] of pairs) {
    if (canonicalize(a) !== canonicalize(b)) return `the run was started with ${what} ${show(a)}, this command gives ${show(b)}`;
  }
  return null;
}

/** Why a resumed run cannot go on on this device, or null. */
export function deviceProblem(started: RunManifest, fingerprint: Fingerprint): string | null {
  if (started.fingerprint === null || canonicalize(started.fingerprint) === canonicalize(fingerprint)) return null;
  return `the run was started on ${started.fingerprint.vendor} ${started.fingerprint.model} (${show(started.fingerprint)}), this device is ${show(fingerprint)}`;
}
