import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { RegisterCommand } from './command.js';
import { UserError } from '../errors.js';
import { runExitCode } from '../report/build.js';
import type { Report } from '../report/schema.js';
import { checkShards, mergeShards, type ShardInput } from '../report/merge.js';
import { writeRunOutputs, type Signing } from '../render/write.js';
import { defaultKeyPaths, ensureDefaultKey, loadPrivateKey } from '../signing/keys.js';
import type { TrustedKey } from '../signing/keyring.js';
import { loadVerifyInput } from '../verify/load.js';
import { authenticReport } from '../verify/verify.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import { shippedSuites } from '../../suites/index.js';
import { deviceName } from '../device/device.js';
import { printJson } from './output.js';
import { trustedKeys } from './trust.js';

const MergeOptionsSchema = z.object({
  out: z.string(),
  key: z.string().optional(),
  keyPub: z.array(z.string()).default([]),
  sign: z.boolean().default(true),
  json: z.boolean().default(false),
});

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** A shard's run folder, its signature checked with the trusted keys: an unsigned or forged shard is refused (exit 2). */
function readShard(dir: string, keys: readonly TrustedKey[]): ShardInput {
  const input = loadVerifyInput(dir);
  if (!input.envelope) throw new UserError(`${dir} is unsigned (no report.dsse.json): merge takes signed shards only`);
  const checked = authenticReport(input, keys);
  if ('problem' in checked) throw new UserError(`${dir} does not verify (${checked.problem}): merge takes shards whose signature checks out`);
  return { source: dir, report: checked.report, envelope: input.envelope };
}

/**
 * The merged report of the signed shard run folders `dirs` (their signatures checked with `keys`), in the order of
 * the shards' profile; refused in one sentence unless they are the complete shards of one run (report/merge.ts).
 */
export function mergeRunFolders(dirs: readonly string[], keys: readonly TrustedKey[], command: string[]): { report: Report; shards: ShardInput[] } {
  const shards = checkShards(dirs.map((d) => readShard(d, keys)));
  const first = (shards[0] as ShardInput).report;
  const required = requiredCases(getProfile(first.profile.name), shippedSuites(), first.selection.benchScale ?? null);
  return { report: mergeShards({ shards, requiredIds: required.map((c) => c.id), command }), shards };
}

/**
 * The keys the shards must be signed with: those of --key-pub, or the local default key. Keys the user named need no
 * word; trusting only the local default key must be said, since it checks one's own runs, never a vendor's.
 */
function shardKeys(paths: readonly string[]): TrustedKey[] {
  if (paths.length > 0) return trustedKeys(paths, true).keys;
  const { pubPath } = defaultKeyPaths();
  if (!existsSync(pubPath)) throw new UserError(`no --key-pub given and no local default key ${pubPath}: pass --key-pub VENDOR.pub (the shards' signer's public key) or a keyring`);
  const keys = trustedKeys([], true).keys;
  process.stderr.write(`accelcert: no --key-pub given: the shards must be signed by your local default key ${pubPath} (${keys[0]?.fingerprint.slice(0, 16) ?? ''}…); pass --key-pub VENDOR.pub for a vendor's shards\n`);
  return keys;
}

/** The merged run's folder must be new or empty: its files would otherwise mix with another run's. */
function refuseNonEmpty(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return;
  if (readdirSync(dir).length > 0) throw new UserError(`--out ${dir}: the folder is not empty; choose a new or empty folder for the merged report`);
}

export const registerMerge: RegisterCommand = (program, setExitCode, args) => {
  program
    .command('merge')
    .description('combine the signed run folders of all N shards of one run (run --shard K/N) into one signed report, with each shard\'s envelope embedded as proof')
    .argument('<dirs...>', 'the shards\' run folders (or their report.dsse.json)')
    .requiredOption('--out <dir>', 'folder of the merged report, new or empty')
    .option('--key <file>', 'private key (PEM) to sign the merged report with (default: the user key, created on first use)')
    .option('--no-sign', 'leave the merged report unsigned')
    .option('--key-pub <pub>', "trusted signer of the shards: a public key (PEM) or a keyring; repeatable (default: your local default key)", collect)
    .option('--json', 'print the merged summary as JSON on stdout')
    .addHelpText('after', '\nExit codes: 0 every case passed or was waived; 1 a case did not; 2 the shards are not the complete, signed shards of one run (one sentence says why).')
    .action(async (dirs: string[], raw: unknown) => {
      const opts = MergeOptionsSchema.parse(raw);
      refuseNonEmpty(opts.out);
      const keys = shardKeys(opts.keyPub);
      const signing: Signing = !opts.sign ? { none: true } : { key: opts.key !== undefined ? loadPrivateKey(opts.key) : ensureDefaultKey((line) => process.stderr.write(`accelcert: ${line}\n`)).key };
      const { report, shards } = mergeRunFolders(dirs, keys, ['accelcert', ...args]);
      const outDir = resolve(opts.out);
      const written = await writeRunOutputs(outDir, report, signing);
      if (opts.json) {
        printJson({ outDir, verdict: report.verdict, summary: report.summary, shards: shards.length, files: written.files });
      } else {
        process.stdout.write(
          [
            `${report.verdict.status} (${report.verdict.profile}) merged from ${shards.length} shards, device ${deviceName(report.target.fingerprint)}`,
            ...report.verdict.reasons.map((r) => `  - ${r}`),
            `cases: ${report.summary.total}`,
            `run folder: ${outDir}`,
            '',
          ].join('\n'),
        );
      }
      setExitCode(runExitCode(report));
    });
};
