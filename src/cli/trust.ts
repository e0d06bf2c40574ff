import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { defaultKeyPaths, keyFingerprint, loadPublicKey } from '../signing/keys.js';
import { loadTrustedKeys, type TrustedKey } from '../signing/keyring.js';

/**
 * The keys `--key` names, or the user's local default key, and the line saying which: a reviewer must never
 * believe a vendor's signature was checked when only their own key was trusted.
 */
export function trustedKeys(paths: readonly string[], required: boolean): { keys: TrustedKey[]; line: string } {
  if (paths.length > 0) {
    const keys = paths.flatMap((p) => loadTrustedKeys(p));
    return { keys, line: `trusting ${keys.length === 1 ? 'the key' : `${keys.length} keys`} you gave: ${keys.map((k) => `${k.vendor ? `${k.vendor} ` : ''}${k.source} (${k.fingerprint.slice(0, 16)}…)`).join(', ')}` };
  }
  const { pubPath } = defaultKeyPaths();
  if (!existsSync(pubPath)) {
    if (!required) return { keys: [], line: 'no trusted key' };
    throw new UserError(`no --key given and no local default key ${pubPath}: pass --key VENDOR.pub (the signer's public key) or a keyring`);
  }
  const key = loadPublicKey(pubPath);
  const fingerprint = keyFingerprint(key);
  return {
    keys: [{ key, source: pubPath, fingerprint, localDefault: true }],
    line: `no --key given: trusting only your local default key ${pubPath} (${fingerprint.slice(0, 16)}…), not a vendor's; pass --key VENDOR.pub to check a vendor's signature`,
  };
}

