import { createHash } from 'node:crypto';
import { materialize, materializeTiled } from '../tensor/materialize.js';
import { mixSeed } from '../tensor/prng.js';
import type { InputSpec } from '../tensor/spec.js';
import type { TensorData } from '../tensor/tensor.js';

/**
 * A case's inputs as the device gets them: input i drawn by `materialize(spec, seed, i)` (bench cases: see below) from the case's seed, mixed
 * with the user seed of `--seed` when there is one (`mixSeed`). Deterministic, bit for bit; without a user seed these
 * are exactly the inputs the case always had.
 */
export function caseInputs(c: CaseInputSource, userSeed: string | null): TensorData[] {
  const seed = mixSeed(c.seed, userSeed);
  if (c.kind === 'bench') return c.inputs.map((spec, i) => materializeTiled(spec, seed, i, BENCH_BLOCK));
  return c.inputs.map((spec, i) => materialize(spec, seed, i));
}

/**
 * What a case's inputs are drawn from. A bench case's large inputs repeat a block of BENCH_BLOCK drawn values
 * (materializeTiled): benchmarks need realistic data, not independent values, and at gigabyte sizes drawing each value
 * would dominate the run.
 */
export type CaseInputSource = { inputs: readonly InputSpec[]; seed: string; kind?: string };
export const BENCH_BLOCK = 1 << 20;

/**
 * A result's `inputDigest`: sha256 (lowercase hex) of the storage bytes of every input, in input order, concatenated:
 * each whole storage buffer as sent to the device (little-endian elements, the padding a layout leaves included).
 */
export function inputDigest(inputs: readonly TensorData[]): string {
  const h = createHash('sha256');
  for (const t of inputs) h.update(t.storage);
  return h.digest('hex');
}

/** The input digest of a case run with a user seed (or none): what `verify` re-derives for every result. */
export function caseInputDigest(c: CaseInputSource, userSeed: string | null): string {
  return inputDigest(caseInputs(c, userSeed));
}
