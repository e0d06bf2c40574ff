import { Bench } from 'tinybench';
import { parseEnvelope } from '../verify/load.js';
import { loadPrivateKey } from '../signing/keys.js';
import { envelopeBytes, signReport } from '../signing/sign.js';
import { syntheticReport } from '../testing/synthetic.js';
import { verifyRun, verifyRunAsync, type ShippedCatalog, type TrustedKey } from '../verify/verify.js';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { keyFingerprint } from '../signing/keys.js';
import { PACKAGE_ROOT } from '../version.js';
import { inProcessSession, referenceExec, REFERENCE_DEVICE } from '../drivers/reference/driver.js';
import { buildReport } from '../report/build.js';
import type { Report } from '../report/schema.js';
import { executeCases } from '../runner/execute.js';
import { OraclePool } from '../runner/oracle-pool.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import { shippedSuites } from '../../suites/index.js';
import { shippedCatalog } from '../verify/shipped.js';

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
  const synthetic = syntheticReport({ cases: CASES, margins: { 'core/binary/aten.mul.Tensor/float32/case-000001': 2.5 } });
  const report = synthetic.report;
  // synthetic cases have no inputs: their digests hash the id, so the input check runs its loop at its real cost
  // apart from generating inputs, which the shipped-profile line below measures
  const fakeDigest = (id: string): string => createHash('sha256').update(id).digest('hex');
  for (const r of report.results) r.inputDigest = fakeDigest(r.id);
  const catalog: ShippedCatalog = { ...synthetic.catalog, inputDigest: (c) => fakeDigest(c.id) };
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
    ...(await benchVerifyShipped(key, trusted)),
  ];
}

/**
 * `verify` of a real run of the inference-fp32 profile (on the reference device) against the shipped catalog:
 * every result's inputs are generated again from its case and the seed, which the synthetic report cannot show.
 */
async function benchVerifyShipped(key: KeyObject, trusted: TrustedKey[]): Promise<string[]> {
  const lines: string[] = [];
  const suites = shippedSuites();
  const profile = getProfile('inference-fp32');
  const cases = requiredCases(profile, suites);
  const session = inProcessSession(REFERENCE_DEVICE, referenceExec);
  const oracle = new OraclePool();
  for (const seed of [null, 'reviewer-2025-06']) {
    const { results } = await executeCases(session, cases, { timeoutMs: 600_000, depth: 4, seed, oracle, reopen: () => Promise.resolve(session), onResult: () => undefined });
    const report: Report = buildReport({
      command: ['accelcert', 'run', '--driver', 'reference'],
      startedAt: new Date(),
      endedAt: new Date(),
      target: { driver: 'reference', device: REFERENCE_DEVICE.device, fingerprint: REFERENCE_DEVICE.fingerprint },
      suites: suites.filter((s) => profile.suites.includes(s.name)),
      profile: profile.name,
      requiredIds: cases.map((c) => c.id),
      selection: { suites: [], filters: [], dtypes: [], shard: null, cases: cases.length, seed },
      results,
      waivers: [],
      run: { outcome: 'completed', message: null },
    });
    const { bytes, envelope } = signReport(report, key);
    const envFile = envelopeBytes(envelope);
    for (const threads of [0, availableParallelism()]) {
      const times: number[] = [];
      let valid = true;
      let inputsMessage = '';
      for (let i = 0; i < 5; i++) {
        // a fresh catalog each time, as a fresh `accelcert verify` process has
        const catalog = shippedCatalog(suites, { threads });
        const input = { envelope: parseEnvelope(envFile, 'report.dsse.json'), reportBytes: bytes };
        const t = performance.now();
        const out = await verifyRunAsync(input, { keys: trusted, allowUnsigned: false }, catalog);
        times.push(performance.now() - t);
        valid &&= out.valid;
        inputsMessage = out.checks.find((c) => c.id === 'inputs')?.message ?? '';
      }
      times.sort((a, b) => a - b);
      lines.push(
        `verify  inference-fp32, ${cases.length} shipped cases, ${seed === null ? 'no seed' : `seed ${seed}`}, every input regenerated ` +
          `${threads === 0 ? 'in one thread' : `on ${threads} threads and the main one (a fresh pool each run)`}: ` +
          `median ${(times[2] ?? NaN).toFixed(0)} ms, min ${(times[0] ?? NaN).toFixed(0)} ms over ${times.length} runs` +
          `${valid ? '' : ' (the report did not verify: a bug)'} (${inputsMessage})`,
      );
    }
  }
  await oracle.close();
  return lines;
}
