import { Bench } from 'tinybench';
import { parseEnvelope } from '../verify/load.js';
import { loadPrivateKey } from '../signing/keys.js';
import { envelopeBytes, signReport } from '../signing/sign.js';
import { syntheticReport } from '../testing/synthetic.js';
import { verifyRun, type TrustedKey } from '../verify/verify.js';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { keyFingerprint } from '../signing/keys.js';
import { PACKAGE_ROOT } from '../version.js';

/** The goal DESIGN.md sets: a reviewer verifies a 20,000-case report in under a second. */
const CASES = 20_000;
const GOAL_MS = 1000;

/**
 * `verify` on a signed 20,000-case report, from the file bytes a reviewer has: parse the envelope, check the
 * Ed25519 signature over PAE, the subject digest of report.json, the schema, completeness, every status against
 * its metrics, summary, verdict and waivers. The catalog is synthetic so that the number does not move with the
 * suites; per-case work against the shipped ops is the same lookups.
 */
export async function benchVerify(): Promise<string[]> {
  const { report, catalog } = syntheticReport({ cases: CASES, margins: { 'core/binary/aten.mul.Tensor/float32/case-000001': 2.5 } });
  const key = loadPrivateKey(join(PACKAGE_ROOT, 'fixtures', 'keys', 'ed25519.key'));
  const trusted: TrustedKey[] = [{ key: createPublicKey(key), source: 'ed25519.pub', fingerprint: keyFingerprint(key) }];
  const { bytes, envelope } = signReport(report, key);
  const envFile = envelopeBytes(envelope);

  const bench = new Bench({ name: 'verify', time: 3000, iterations: 5, warmupIterations: 1 });
  let valid = true;
  bench.add(`verify ${CASES} cases`, () => {
    const out = verifyRun({ envelope: parseEnvelope(envFile, 'report.dsse.json'), reportBytes: bytes }, { keys: trusted, allowUnsigned: false }, catalog);
    valid &&= out.valid;
  });
  await bench.run();
  const task = bench.tasks[0];
  const result = task?.result;
  if (!result || result.state !== 'completed') return [`verify  ${CASES} cases: benchmark did not complete (${result?.state ?? 'no result'})`];
  const { latency } = result;
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  return [
    `verify  ${CASES} cases (report.json ${mb(bytes.length)}, envelope ${mb(envFile.length)}): ` +
      `median ${latency.p50.toFixed(0)} ms, min ${latency.min.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms over ${latency.samplesCount} runs; ` +
      `goal < ${GOAL_MS} ms: ${latency.p50 < GOAL_MS ? 'met' : 'MISSED'}${valid ? '' : ' (the report did not verify: a bug)'}`,
  ];
}
