import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { firstIssue, UserError } from '../errors.js';
import { USER_SEED_PATTERN } from '../tensor/prng.js';
import { CHALLENGE_PAYLOAD_TYPE, EnvelopeSchema, type Envelope } from './envelope.js';

/*
 * A reviewer's challenge: a fresh seed the reviewer signs and hands the vendor (`accelcert challenge`). The vendor
 * runs `run --challenge FILE`: every case's inputs derive from the seed, so results cannot have been computed before
 * the challenge existed, and verify re-derives every input digest from it.
 */
export const ChallengeSchema = z.strictObject({
  /** the user seed the run must use (`selection.seed`) */
  seed: z.string().regex(USER_SEED_PATTERN, "1 to 64 ASCII letters, digits, '.', '_' or '-'"),
  /** when the reviewer issued it: a run that started earlier cannot answer it */
  issuedAt: z.iso.datetime({ offset: true }),
  /** who it was issued to, for the reviewer's records */
  issuedTo: z.string().nullable(),
});
export type Challenge = z.infer<typeof ChallengeSchema>;

/** A challenge envelope's document (payload not verified: that is verify's job), or one sentence why it is not one. */
export function readChallenge(env: Envelope): Challenge | string {
  if (env.payloadType !== CHALLENGE_PAYLOAD_TYPE) return `its payloadType is "${env.payloadType}", not "${CHALLENGE_PAYLOAD_TYPE}"`;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  } catch {
    return 'its payload is not JSON';
  }
  const parsed = ChallengeSchema.safeParse(value);
  return parsed.success ? parsed.data : `its payload, field ${firstIssue(parsed.error)}`;
}

/** A challenge file (`run --challenge`, `verify --challenge`): the envelope and its document; one sentence on bad input. */
export function loadChallenge(path: string): { envelope: Envelope; challenge: Challenge } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read challenge file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`challenge file ${path} is not valid JSON`);
  }
  const env = EnvelopeSchema.safeParse(value);
  if (!env.success) throw new UserError(`challenge file ${path} is not a signed challenge (DSSE envelope): field ${firstIssue(env.error)}`);
  const challenge = readChallenge(env.data);
  if (typeof challenge === 'string') throw new UserError(`challenge file ${path}: ${challenge}`);
  return { envelope: env.data, challenge };
}
