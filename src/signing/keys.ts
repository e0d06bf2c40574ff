import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';

export const KEY_ALGORITHMS = ['ed25519', 'ecdsa-p256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export interface KeyPairFiles {
  keyPath: string;
  pubPath: string;
  fingerprint: string;
  algorithm: KeyAlgorithm;
}

export function generateKeyPair(algorithm: KeyAlgorithm): { privatePem: string; publicPem: string } {
  const pair =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Writes PREFIX.key (mode 0600, never overwritten) and PREFIX.pub. */
export function writeKeyPair(prefix: string, algorithm: KeyAlgorithm): KeyPairFiles {
  const keyPath = `${prefix}.key`;
  const pubPath = `${prefix}.pub`;
  for (const p of [keyPath, pubPath]) {
    if (existsSync(p)) throw new UserError(`${p} already exists; choose another --out prefix or remove it first`);
  }
  const { privatePem, publicPem } = generateKeyPair(algorithm);
  try {
    mkdirSync(dirname(keyPath), { recursive: true });
    writeFileSync(keyPath, privatePem, { mode: 0o600, flag: 'wx' });
    // the umask can only narrow the mode, but an inherited ACL-less filesystem may not honour it at create time
    chmodSync(keyPath, 0o600);
    writeFileSync(pubPath, publicPem, { mode: 0o644, flag: 'wx' });
    // under umask 000 the public key would be world-writable: anyone could swap the key reviewers are given
    chmodSync(pubPath, 0o644);
  } catch (err) {
    throw new UserError(`cannot write key files at ${prefix}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return { keyPath, pubPath, fingerprint: keyFingerprint(createPublicKey(publicPem)), algorithm };
}

/** sha256 (hex) of the public key's SubjectPublicKeyInfo DER: the DSSE keyid and what we print. */
export function keyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** The signing algorithm of a key, or a user error for any other kind of key. */
export function keyAlgorithm(key: KeyObject, source: string): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  const kind = key.asymmetricKeyType === 'ec' ? `ec ${key.asymmetricKeyDetails?.namedCurve ?? '?'}` : key.asymmetricKeyType;
  throw new UserError(`${source} holds a ${kind ?? 'unknown'} key; accelcert signs with ed25519 or ecdsa-p256 keys only`);
}

export function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `key file ${path} does not exist` : `cannot read key file ${path}: ${code ?? String(err)}`);
  }
}

/**
 * A private key for signing, from a PEM file; one sentence (exit 2) for anything else. A key that others can read is
 * used, with a warning: whoever can read it can sign reports in its name.
 */
export function loadPrivateKey(path: string, warn: (line: string) => void = (line) => process.stderr.write(`accelcert: ${line}\n`)): KeyObject {
  const pem = readKeyFile(path);
  if (/-----BEGIN PUBLIC KEY-----/.test(pem)) {
    throw new UserError(`${path} holds a public key; signing needs the private key (the .key file)`);
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new UserError(`${path} is an encrypted private key; accelcert signs with an unencrypted one (openssl pkey -in ${path} -out PLAIN.key)`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new UserError(`${path} is not a readable PEM private key`);
  }
  keyAlgorithm(key, path);
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warn(`warning: private key ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 ${path}`);
  }
  return key;
}

/** A public key to trust, from a PEM file; a private key is refused so that it does not travel to reviewers. */
export function loadPublicKey(path: string): KeyObject {
  return publicKeyFromPem(readKeyFile(path), path);
}

/** A public key from PEM text that came from `source` (a file, a keyring entry); a private key is refused. */
export function publicKeyFromPem(pem: string, source: string): KeyObject {
  if (/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(pem)) {
    throw new UserError(`${source} holds a private key; give the public key (the .pub file) to verify`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UserError(`${source} is not a readable PEM public key`);
  }
  keyAlgorithm(key, source);
  return key;
}

/** `$ACCELCERT_HOME`, else `~/.config/accelcert`. */
export function accelcertHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['ACCELCERT_HOME'];
  return home && home !== '' ? home : join(homedir(), '.config', 'accelcert');
}

export function defaultKeyPaths(env: NodeJS.ProcessEnv = process.env): { keyPath: string; pubPath: string } {
  const dir = accelcertHome(env);
  return { keyPath: join(dir, 'default.key'), pubPath: join(dir, 'default.pub') };
}

/**
 * The user's default signing key, created (ed25519, mode 0600) on first use. The fingerprint goes to `log`
 * (stderr in the CLI) so that the user knows which public key to hand to reviewers; the key itself never does.
 */
export function ensureDefaultKey(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): { key: KeyObject; fingerprint: string; pubPath: string; created: boolean } {
  const { keyPath, pubPath } = defaultKeyPaths(env);
  let created = false;
  if (!existsSync(keyPath)) {
    mkdirSync(dirname(keyPath), { recursive: true, mode: 0o700 });
    writeKeyPair(keyPath.slice(0, -'.key'.length), 'ed25519');
    created = true;
  }
  const key = loadPrivateKey(keyPath);
  const fingerprint = keyFingerprint(key);
  log(
    created
      ? `created default signing key ${keyPath} (fingerprint ${fingerprint}); give ${pubPath} to reviewers`
      : `signing with default key ${keyPath} (fingerprint ${fingerprint})`,
  );
  return { key, fingerprint, pubPath, created };
}
