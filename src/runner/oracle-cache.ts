import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { endianness, homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { firstLine } from '../errors.js';
import { HARNESS_VERSION } from '../version.js';

/*
 * The oracle's answers on disk: the expected outputs of a case (its RefOutputs) under a key made of the case's digest,
 * the user seed, the accelcert version and a digest of the oracle's own code, so that a second run of the same cases
 * skips the float64 reference. Entries are written atomically (a temp file renamed into place) and read defensively:
 * a checksum covers every byte, and anything that does not decode exactly is a miss, recomputed and rewritten.
 */

/**
 * Cases with fewer input elements are not cached: generating and referencing them takes about as long as reading an
 * entry (≈0.2 ms), and writing one costs more (≈1.5 ms); from here on the reference dominates.
 */
export const MIN_CACHED_ELEMENTS = 16384;

/** Where entries live and what every key shares (plain data: it travels to worker threads). */
export interface OracleCacheConfig {
  /** the folder of this version's entries: `<cache root>/oracle/<version>` */
  dir: string;
  /** cases with fewer input elements than this are computed each time, never cached (default MIN_CACHED_ELEMENTS) */
  minElements?: number;
  /** the accelcert version (part of the key and the folder) */
  version: string;
  /** sha256 over the oracle's code (ops, tensor, workload, the runner's oracle), so an edited checkout never reads stale answers */
  code: string;
}

/**
 * The cache folder from the environment: `$ACCELCERT_CACHE` (a folder, or `off` to disable the cache), else
 * `$XDG_CACHE_HOME/accelcert` (when XDG_CACHE_HOME is an absolute path), else `~/.cache/accelcert`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string | null {
  const own = env['ACCELCERT_CACHE'];
  if (own === 'off') return null;
  if (own) return resolve(own);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'accelcert');
}

/** The oracle cache of this accelcert, configured from the environment; null when `ACCELCERT_CACHE=off`. */
export function oracleCacheFromEnv(env: NodeJS.ProcessEnv = process.env, version: string = HARNESS_VERSION): OracleCacheConfig | null {
  const root = cacheRoot(env);
  if (root === null) return null;
  return { dir: join(root, 'oracle', version.replace(/[^A-Za-z0-9._+-]/g, '_')), version, code: oracleCodeDigest() };
}

/** The key of one case's entry: sha256 over every ingredient, each on its own line. */
export function oracleCacheKey(caseDigest: string, seed: string | null, config: Pick<OracleCacheConfig, 'version' | 'code'>): string {
  // a user seed is never empty, so '' stands for "no seed" unambiguously; the byte order of the host is part of the key
  const text = ['accelcert-oracle-1', caseDigest, seed ?? '', config.version, config.code, endianness()].join('\n');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function entryPath(config: OracleCacheConfig, key: string): string {
  return join(config.dir, key.slice(0, 2), `${key}.bin`);
}

let codeDigest: string | null = null;

/**
 * sha256 over the oracle's own code: every module under ops/, tensor/ and workload/ and the runner's oracle and input
 * modules (sources when accelcert runs from them, compiled files when it runs from dist/), by relative path and content.
 */
export function oracleCodeDigest(): string {
  if (codeDigest !== null) return codeDigest;
  const src = dirname(dirname(fileURLToPath(import.meta.url)));
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js)$/.test(name) && !/\.(test|d)\.(ts|js)$/.test(name)) files.push(path);
    }
  };
  for (const d of ['ops', 'tensor', 'workload']) walk(join(src, d));
  for (const name of readdirSync(join(src, 'runner')).sort()) {
    if (/^(oracle|inputs)[^/]*\.(ts|js)$/.test(name) && !/\.test\./.test(name)) files.push(join(src, 'runner', name));
  }
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.slice(src.length)}\n`).update(readFileSync(f)).update('\n');
  codeDigest = h.digest('hex');
  return codeDigest;
}

// ---------------------------------------------------------------------------------------------------- entry format

/*
 * An entry: MAGIC, a uint32 (little-endian) header length, the header (UTF-8 JSON), zero padding to a multiple of 8,
 * the payload, and sha256 over every byte before it. The header holds the key and, per output, every own field of the
 * RefOutput: a typed array as { t: 'array', type, offset, length } (its bytes in the payload, 8-byte aligned), a
 * number as { t: 'number', offset } (a float64 in the payload, so NaN, ±Inf and −0 survive), anything else that JSON
 * holds exactly (the shape) as { t: 'json', value }. A field of any other kind makes the outputs uncacheable.
 */
const MAGIC = Buffer.from('accelcert-oracle-entry 1\n', 'latin1');
const CHECKSUM_BYTES = 32;

const TYPED_ARRAYS = {
  Float64Array,
  Float32Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type AnyTypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>;

type FieldDesc = { t: 'array'; type: TypedArrayName; offset: number; length: number } | { t: 'number'; offset: number } | { t: 'json'; value: unknown };
interface Header {
  key: string;
  outputs: Record<string, FieldDesc>[];
}

function typedArrayName(v: unknown): TypedArrayName | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const name = v.constructor.name;
  // a Node Buffer is a Uint8Array subclass: stored, and read back, as a Uint8Array
  if (v instanceof Uint8Array) return 'Uint8Array';
  return name in TYPED_ARRAYS && v instanceof TYPED_ARRAYS[name as TypedArrayName] ? (name as TypedArrayName) : null;
}

/** A value that JSON gives back exactly: null, booleans, strings, finite numbers other than −0, arrays and plain objects of them. */
function exactInJson(v: unknown, depth = 0): boolean {
  if (depth > 8) return false;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every((x) => exactInJson(x, depth + 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v as object).every((x) => exactInJson(x, depth + 1));
  return false;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** The bytes of an entry holding `outputs` under `key`, or null when a field is of a kind the format does not hold. */
export function encodeEntry(key: string, outputs: readonly object[]): Buffer | null {
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let size = 0;
  const place = (bytes: Uint8Array): number => {
    const offset = size;
    chunks.push({ offset, bytes });
    size = align8(size + bytes.byteLength);
    return offset;
  };
  const described: Record<string, FieldDesc>[] = [];
  for (const out of outputs) {
    const fields: Record<string, FieldDesc> = {};
    for (const [name, v] of Object.entries(out)) {
      if (v === undefined) continue;
      const type = typedArrayName(v);
      if (type !== null) {
        const a = v as AnyTypedArray;
        fields[name] = { t: 'array', type, offset: place(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)), length: a.length };
      } else if (typeof v === 'number') {
        fields[name] = { t: 'number', offset: place(new Uint8Array(new Float64Array([v]).buffer)) };
      } else if (exactInJson(v)) {
        fields[name] = { t: 'json', value: v };
      } else {
        return null;
      }
    }
    described.push(fields);
  }
  const header = Buffer.from(JSON.stringify({ key, outputs: described } satisfies Header), 'utf8');
  const payloadStart = align8(MAGIC.length + 4 + header.length);
  const total = payloadStart + size + CHECKSUM_BYTES;
  const buf = Buffer.alloc(total);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(header.length, MAGIC.length);
  header.copy(buf, MAGIC.length + 4);
  for (const c of chunks) buf.set(c.bytes, payloadStart + c.offset);
  createHash('sha256').update(buf.subarray(0, total - CHECKSUM_BYTES)).digest().copy(buf, total - CHECKSUM_BYTES);
  return buf;
}

/** The outputs an entry holds, when its bytes are whole, its checksum holds, and it is the entry of `key`; else null. */
export function decodeEntry(bytes: Uint8Array, key: string): Record<string, unknown>[] | null {
  try {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < MAGIC.length + 4 + CHECKSUM_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    const body = buf.subarray(0, buf.length - CHECKSUM_BYTES);
    if (!createHash('sha256').update(body).digest().equals(buf.subarray(body.length))) return null;
    const headerLength = buf.readUInt32LE(MAGIC.length);
    const headerEnd = MAGIC.length + 4 + headerLength;
    if (headerEnd > body.length) return null;
    const header = JSON.parse(buf.subarray(MAGIC.length + 4, headerEnd).toString('utf8')) as Header;
    if (header.key !== key || !Array.isArray(header.outputs)) return null;
    const payloadStart = align8(headerEnd);
    const payload = body.length - payloadStart;
    const outputs: Record<string, unknown>[] = [];
    for (const fields of header.outputs) {
      const out: Record<string, unknown> = {};
      for (const [name, f] of Object.entries(fields)) {
        if (f.t === 'json') {
          out[name] = f.value;
          continue;
        }
        const width = f.t === 'number' ? 8 : TYPED_ARRAYS[f.type]?.BYTES_PER_ELEMENT;
        const count = f.t === 'number' ? 1 : f.length;
        if (width === undefined || !Number.isSafeInteger(f.offset) || f.offset < 0 || f.offset % 8 !== 0 || !Number.isSafeInteger(count) || count < 0) return null;
        if (f.offset + width * count > payload) return null;
        const start = payloadStart + f.offset;
        // a copy, so every array owns its own buffer (aligned, and transferable between threads)
        const own = new ArrayBuffer(width * count);
        new Uint8Array(own).set(buf.subarray(start, start + width * count));
        out[name] = f.t === 'number' ? (new Float64Array(own)[0] as number) : new TYPED_ARRAYS[f.type](own);
      }
      outputs.push(out);
    }
    return outputs;
  } catch {
    return null;
  }
}

/** The outputs stored under `key`, or null: no entry, or one that is unreadable, corrupt, truncated or another key's. */
export function readEntry(config: OracleCacheConfig, key: string): Record<string, unknown>[] | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(entryPath(config, key));
  } catch {
    return null;
  }
  return decodeEntry(bytes, key);
}

/**
 * Stores outputs under `key`: written to a temp file beside the entry, then renamed over it, so a reader sees the
 * old entry, the new one, or none, never a part. Returns null, or why nothing was stored (the cache is best effort).
 */
export function writeEntry(config: OracleCacheConfig, key: string, outputs: readonly object[]): string | null {
  const bytes = encodeEntry(key, outputs);
  if (bytes === null) return 'the outputs hold a field the cache cannot store';
  const path = entryPath(config, key);
  const tmp = `${path}.${process.pid}-${threadId}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, path);
    return null;
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing more to do: the temp file's name never collides with an entry
    }
    return `cannot write ${path}: ${firstLine(err)}`;
  }
}
