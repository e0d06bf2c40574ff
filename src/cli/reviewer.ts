import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { RegisterCommand } from './command.js';
import { UserError } from '../errors.js';
import { CHALLENGE_PAYLOAD_TYPE, WAIVERS_PAYLOAD_TYPE } from '../report/envelope.js';
import { ChallengeSchema, type Challenge } from '../report/challenge.js';
import { loadWaivers } from '../report/waivers.js';
import { signDocument } from '../signing/document.js';
import { keyFingerprint, loadPrivateKey } from '../signing/keys.js';
import { envelopeBytes } from '../signing/sign.js';
import { printJson } from './output.js';

/*
 * What a reviewer signs and hands a vendor: a waiver file (`waivers sign`) and a challenge (`challenge`). Both are DSSE
 * envelopes the vendor passes to `run` unchanged and the report carries, so verify can check who issued them.
 */

function write(path: string, bytes: Buffer): void {
  try {
    writeFileSync(path, bytes);
  } catch (err) {
    throw new UserError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export const registerWaivers: RegisterCommand = (program) => {
  const waivers = program.command('waivers').description('waiver files: a waiver counts in verify only when signed by a waiver authority the reviewer trusts');
  waivers
    .command('sign')
    .description("sign a waiver file as a waiver authority (not with the vendor's report key): run --waivers takes the signed file")
    .argument('<file>', 'waiver file (JSON: { "waivers": [{ cases, devices, reason, url, id? }] })')
    .requiredOption('--key <file>', "the waiver authority's private key (PEM)")
    .requiredOption('--out <file>', 'where to write the signed waiver file (a DSSE envelope)')
    .option('--json', 'machine-readable output on stdout')
    .action((file: string, opts: { key: string; out: string; json?: boolean }) => {
      const grant = loadWaivers(file);
      if (grant.envelope) throw new UserError(`waiver file ${file} is already signed`);
      const key = loadPrivateKey(opts.key);
      write(opts.out, envelopeBytes(signDocument(WAIVERS_PAYLOAD_TYPE, { waivers: grant.waivers }, key)));
      const fingerprint = keyFingerprint(key);
      if (opts.json) printJson({ out: opts.out, waivers: grant.waivers.map((w) => w.id), authority: fingerprint });
      else process.stdout.write(`wrote ${opts.out}: ${grant.waivers.length} waivers signed by waiver authority ${fingerprint}\n`);
    });
};

export const registerChallenge: RegisterCommand = (program) => {
  program
    .command('challenge')
    .description('issue a signed challenge: a fresh seed the vendor must run with (run --challenge FILE) and verify --challenge FILE checks')
    .requiredOption('--key <file>', "the reviewer's private key (PEM)")
    .requiredOption('--out <file>', 'where to write the challenge (a DSSE envelope)')
    .option('--to <name>', 'who the challenge is issued to, for your records')
    .option('--json', 'machine-readable output on stdout')
    .action((opts: { key: string; out: string; to?: string; json?: boolean }) => {
      const key = loadPrivateKey(opts.key);
      // 128 random bits: nobody can have run the cases on these inputs before the challenge existed
      const challenge: Challenge = ChallengeSchema.parse({ seed: randomBytes(16).toString('hex'), issuedAt: new Date().toISOString(), issuedTo: opts.to ?? null });
      write(opts.out, envelopeBytes(signDocument(CHALLENGE_PAYLOAD_TYPE, challenge, key)));
      if (opts.json) printJson({ out: opts.out, ...challenge, reviewer: keyFingerprint(key) });
      else process.stdout.write(`wrote ${opts.out}: seed ${challenge.seed}, issued ${challenge.issuedAt}${challenge.issuedTo ? ` to ${challenge.issuedTo}` : ''}\n`);
    });
};
