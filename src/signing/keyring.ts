import type { KeyObject } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { firstIssue, UserError } from '../errors.js';
import { parseJson } from '../json.js';
import { keyFingerprint, loadPublicKey, publicKeyFromPem, readKeyFile } from './keys.js';

/*
 * The keys a reviewer trusts, and for what. A plain public key (PEM) may sign any device; a keyring binds each key to
 * a vendor and the device names that vendor may certify, so that a trusted key of one vendor cannot sign another's
 * device (docs/report-format.md, "Keys and keyrings").
 */

export interface TrustedKey {
  key: KeyObject;
  /** where the key came from, for messages: a file path (a keyring's entry: `keyring.json#2`) */
  source: string;
  fingerprint: string;
  /** a keyring entry's vendor; absent for a plain key */
  vendor?: string;
  /** device-key globs (`vendor/model/driverVersion/framework-version`) the key may sign; absent: any device */
  devices?: readonly string[];
  /** the reviewer's own local default key, trusted because no --key was given */
  localDefault?: boolean;
}

const KeyringSchema = z.strictObject({
  keys: z
    .array(
      z.strictObject({
        /** a PEM public key, or the path of one (relative to the keyring file) */
        key: z.string().min(1),
        vendor: z.string().min(1),
        devices: z.array(z.string().min(1)).min(1),
      }),
    )
    .min(1),
});

/**
 * The trusted keys a `--key FILE` gives: one unbound key for a PEM file, every entry of a keyring (JSON). Bad input is
 * one sentence naming the file and field (exit 2).
 */
export function loadTrustedKeys(path: string): TrustedKey[] {
  const text = readKeyFile(path);
  if (text.trimStart().startsWith('{')) return loadKeyring(path, Buffer.from(text, 'utf8'));
  const key = loadPublicKey(path);
  return [{ key, source: path, fingerprint: keyFingerprint(key) }];
}

function loadKeyring(path: string, bytes: Buffer): TrustedKey[] {
  const parsed = KeyringSchema.safeParse(parseJson(bytes, path));
  if (!parsed.success) throw new UserError(`keyring ${path}, field ${firstIssue(parsed.error)}`);
  return parsed.data.keys.map((entry, i) => {
    const source = `${path}#${i + 1}`;
    for (const glob of entry.devices) {
      const vendorPart = glob.split('/')[0] ?? '';
      if (vendorPart !== entry.vendor.replaceAll('/', '_')) {
        throw new UserError(`keyring ${path}, field keys.${i}.devices: "${glob}" must start with the entry's vendor "${entry.vendor}/" (a key signs its own vendor's devices)`);
      }
    }
    const key = entry.key.startsWith('-----BEGIN') ? publicKeyFromPem(entry.key, `${source} key`) : loadPublicKey(resolve(dirname(path), entry.key));
    return { key, source, fingerprint: keyFingerprint(key), vendor: entry.vendor, devices: entry.devices };
  });
}
