import { sign, verify, type KeyObject } from 'node:crypto';
import type { Envelope } from '../report/envelope.js';
import { keyAlgorithm, keyFingerprint } from './keys.js';

export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://accelcert.dev/report/v1';

export { EnvelopeSchema, type Envelope } from '../report/envelope.js';

/** DSSE v1 pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`. */
export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  const head = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${body.length} `, 'utf8');
  return Buffer.concat([head, body]);
}

/** Ed25519 signs the message itself (algorithm null); ECDSA P-256 signs its sha256, DER-encoded, as openssl expects. */
export function signBytes(message: Uint8Array, key: KeyObject): Buffer {
  return sign(keyAlgorithm(key, 'signing key') === 'ed25519' ? null : 'sha256', message, key);
}

export function verifyBytes(message: Uint8Array, key: KeyObject, sig: Uint8Array): boolean {
  try {
    return verify(keyAlgorithm(key, 'public key') === 'ed25519' ? null : 'sha256', message, key, sig);
  } catch {
    return false;
  }
}

export function signEnvelope(payloadType: string, body: Uint8Array, key: KeyObject): Envelope {
  const sig = signBytes(pae(payloadType, body), key);
  return {
    payload: Buffer.from(body).toString('base64'),
    payloadType,
    signatures: [{ keyid: keyFingerprint(key), sig: sig.toString('base64') }],
  };
}

const STD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Base64 in either the standard or the URL-safe alphabet (DSSE verifiers must take both), padded or not.
 * Strict: any stray character, mixed alphabets or non-zero unused bits give null, because Node's lenient
 * decoder would otherwise let a changed byte decode to the same payload.
 */
export function decodeBase64(text: string): Buffer | null {
  const urlSafe = !STD.test(text);
  if (urlSafe && !URL_SAFE.test(text)) return null;
  const std = urlSafe ? text.replaceAll('-', '+').replaceAll('_', '/') : text;
  const bare = std.replace(/=+$/, '');
  if (bare.length % 4 === 1) return null;
  const padded = bare + '='.repeat((4 - (bare.length % 4)) % 4);
  if (std.length !== bare.length && std !== padded) return null;
  // with the alphabet checked, only the last group can hide non-zero unused bits
  const last = padded.slice(-4);
  if (last !== '' && Buffer.from(last, 'base64').toString('base64') !== last) return null;
  return Buffer.from(padded, 'base64');
}
