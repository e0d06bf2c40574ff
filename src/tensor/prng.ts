import { createHash } from 'node:crypto';

/*
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; Random123).
 * Counter-based: block c of a stream is a pure function of (key, counter), so element i of any input can be
 * drawn without drawing 0..i-1, in any order, on any number of workers, with identical results.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32s (exact: each partial product fits a double). */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

// The last block computed; one shared array, so the hot loops allocate nothing.
const R = new Uint32Array(4);

function philoxBlock(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      key0 = (key0 + W0) >>> 0;
      key1 = (key1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
  }
  R[0] = x0;
  R[1] = x1;
  R[2] = x2;
  R[3] = x3;
}

/** One Philox4x32-10 block: the four uint32 outputs for counter (c0, c1, c2, c3) and key (k0, k1), written to out. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  philoxBlock(c0, c1, c2, c3, k0, k1);
  out.set(R);
}

/** A case's seed: the first 16 hex digits (64 bits) of sha256 of its case id. */
export function seedFromId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 16);
}

/**
 * A user seed (`accelcert run --seed S`): 1 to 64 characters, each an ASCII letter, a digit, `.`, `_` or `-`, so
 * that it reads the same in a shell, a file name, JSON and a report, and its UTF-8 bytes are its characters.
 */
export const USER_SEED_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Why a text is not a user seed, as the end of a sentence ("must be …"), or null when it is one. */
export function userSeedProblem(seed: string): string | null {
  if (seed.length === 0) return 'must not be empty';
  if (seed.length > 64) return `must be at most 64 characters (it has ${seed.length})`;
  const bad = [...seed].find((ch) => !/[A-Za-z0-9._-]/.test(ch));
  return bad === undefined ? null : `may hold only ASCII letters, digits, '.', '_' and '-' (it holds ${JSON.stringify(bad)})`;
}

/**
 * The seed a case's inputs are drawn from. Without a user seed it is the case's own seed, unchanged (so a run
 * without `--seed` draws exactly the inputs it always drew); with one it is the first 16 hex digits (64 bits) of
 * sha256 of the UTF-8 text `caseSeed + ':' + userSeed`.
 */
export function mixSeed(caseSeed: string, userSeed: string | null): string {
  if (userSeed === null) return caseSeed;
  const problem = userSeedProblem(userSeed);
  if (problem !== null) throw new Error(`a user seed ${problem}`);
  return createHash('sha256').update(`${caseSeed}:${userSeed}`, 'utf8').digest('hex').slice(0, 16);
}

/** What a block is drawn for; part of the counter, so the same index used two ways gives independent numbers. */
const DOMAIN_UINT32 = 0;
const DOMAIN_UNIFORM = 1;
const DOMAIN_NORMAL = 2;

const TWO_32 = 4294967296;
const TWO_M53 = 2 ** -53;

/** A uniform double in [0, 1) from 53 bits of two words. */
function toUniform(hi: number, lo: number): number {
  return (hi * 2 ** 21 + (lo >>> 11)) * TWO_M53;
}

/**
 * The random numbers of one input of one case: Philox keyed by the 64-bit seed, counter
 * (block index low word, block index high word, input index, domain). Every accessor is random-access.
 */
export class PhiloxStream {
  private readonly k0: number;
  private readonly k1: number;
  private readonly stream: number;

  constructor(seedHex: string, stream: number) {
    if (!/^[0-9a-f]{16}$/.test(seedHex)) throw new Error(`seed must be 16 lowercase hex digits, got '${seedHex}'`);
    if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_32) throw new Error(`stream must be a uint32, got ${stream}`);
    this.k0 = parseInt(seedHex.slice(8, 16), 16);
    this.k1 = parseInt(seedHex.slice(0, 8), 16);
    this.stream = stream;
  }

  private draw(index: number, domain: number): void {
    philoxBlock(index % TWO_32, Math.floor(index / TWO_32), this.stream, domain, this.k0, this.k1);
  }

  /** The i-th uint32 of the stream (four per block). */
  uint32(i: number): number {
    this.draw(Math.floor(i / 4), DOMAIN_UINT32);
    const lane = i % 4;
    return R[lane] as number;
  }

  /** The i-th uniform double in [0, 1), with 53 random bits (two per block). */
  uniform(i: number): number {
    this.draw(Math.floor(i / 2), DOMAIN_UNIFORM);
    return i % 2 === 0 ? toUniform(R[0] as number, R[1] as number) : toUniform(R[2] as number, R[3] as number);
  }

  /**
   * The i-th standard normal: Box–Muller on block floor(i/2)'s two uniforms, the cosine branch for even i and
   * the sine branch for odd i. Uses Math.log/cos/sin/sqrt, which V8 computes with its fdlibm port; another
   * engine could differ in the last bit.
   */
  normal(i: number): number {
    this.draw(Math.floor(i / 2), DOMAIN_NORMAL);
    const radius = Math.sqrt(-2 * Math.log(1 - toUniform(R[0] as number, R[1] as number)));
    const angle = 2 * Math.PI * toUniform(R[2] as number, R[3] as number);
    return radius * (i % 2 === 0 ? Math.cos(angle) : Math.sin(angle));
  }

  /** Fills out[j] = uniform(start + j), drawing each block once. */
  fillUniform(out: Float64Array, start = 0): Float64Array {
    const n = out.length;
    let j = 0;
    if (start % 2 === 1 && n > 0) out[j++] = this.uniform(start);
    for (; j + 1 < n; j += 2) {
      this.draw((start + j) / 2, DOMAIN_UNIFORM);
      out[j] = toUniform(R[0] as number, R[1] as number);
      out[j + 1] = toUniform(R[2] as number, R[3] as number);
    }
    if (j < n) out[j] = this.uniform(start + j);
    return out;
  }

  /** Fills out[j] = normal(start + j), drawing each block once. */
  fillNormal(out: Float64Array, start = 0): Float64Array {
    const n = out.length;
    let j = 0;
    if (start % 2 === 1 && n > 0) out[j++] = this.normal(start);
    for (; j + 1 < n; j += 2) {
      this.draw((start + j) / 2, DOMAIN_NORMAL);
      const radius = Math.sqrt(-2 * Math.log(1 - toUniform(R[0] as number, R[1] as number)));
      const angle = 2 * Math.PI * toUniform(R[2] as number, R[3] as number);
      out[j] = radius * Math.cos(angle);
      out[j + 1] = radius * Math.sin(angle);
    }
    if (j < n) out[j] = this.normal(start + j);
    return out;
  }
}
