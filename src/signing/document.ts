import type { KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { readJsonText } from '../json.js';
import type { Envelope } from '../report/envelope.js';
import { decodeBase64, pae, signEnvelope, verifyBytes } from './dsse.js';
import type { TrustedKey } from './keyring.js';

/*
 * Small signed documents a reviewer hands a vendor: a waiver file (`accelcert waivers sign`) and a challenge
 * (`accelcert challenge`). Each is a DSSE envelope over the canonical JSON of the document, with its own payloadType
 * so that one kind can never be passed off as another.
 */

/** A DSSE envelope over the canonical JSON (RFC 8785) of `value`. */
export function signDocument(payloadType: string, value: unknown, key: KeyObject): Envelope {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('document cannot be canonicalised');
  return signEnvelope(payloadType, Buffer.from(text, 'utf8'), key);
}

/**
 * The document an envelope carries and the trusted key whose signature over it verifies, or one sentence saying why
 * not (wrong payloadType, bad base64, no trusted signature, not canonical JSON).
 */
export function openDocument(env: Envelope, payloadType: string, keys: readonly TrustedKey[]): { value: unknown; signer: TrustedKey } | { problem: string } {
  if (env.payloadType !== payloadType) return { problem: `its payloadType is "${env.payloadType}", not "${payloadType}"` };
  const payload = decodeBase64(env.payload);
  if (!payload) return { problem: 'its payload is not valid base64' };
  const message = pae(env.payloadType, payload);
  const signer = keys.find((k) => env.signatures.some((s) => {
    const sig = decodeBase64(s.sig);
    return sig !== null && verifyBytes(message, k.key, sig);
  }));
  if (!signer) {
    const ids = env.signatures.map((s) => s.keyid ?? '(no keyid)').join(', ') || 'no signature';
    return { problem: keys.length === 0 ? 'no key is trusted to check it' : `no signature verifies with a trusted key (signed by: ${ids})` };
  }
  const parsed = readJsonText(payload.toString('utf8'));
  if ('problem' in parsed) return { problem: `its payload ${parsed.problem}` };
  if (canonicalize(parsed.value) !== payload.toString('utf8')) return { problem: 'its payload is not canonical JSON (RFC 8785)' };
  return { value: parsed.value, signer };
}
