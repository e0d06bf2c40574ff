import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { pytorchDriver } from '../drivers/pytorch/driver.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import { selectCases } from '../suite/select.js';
import { shippedSuites } from '../../suites/index.js';
import { unexplained } from '../testing/pytorch-findings.js';
import { oracleCodeDigest, type OracleCacheConfig } from './oracle-cache.js';
import { runCases } from './run.js';

/**
 * The oracle checked against PyTorch itself: every float64 case of the core suite runs on PyTorch 1.13's CPU, where
 * float64 leaves no room for a narrower format to hide in, so a disagreement is either a bug of the oracle (its
 * reference or its bound) or of PyTorch. Every one found was traced; docs/numerics.md's findings table records them.
 */
const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the pytorch driver tests: ${python?.reason ?? 'no python'}`);

const cache: OracleCacheConfig = { dir: mkdtempSync(join(tmpdir(), 'accelcert-float64-cache-')), version: 'test', code: oracleCodeDigest() };

describe.runIf(haveTorch)(`the oracle against PyTorch ${python?.torchVersion ?? ''} in float64`, () => {
  it('agrees on every float64 case of the core suite', async () => {
    const cases = selectCases(requiredCases(getProfile('full'), shippedSuites()), { filters: [], dtypes: ['float64'], shard: null });
    const out = await runCases({ driver: pytorchDriver, device: 'cpu', openOptions: { python: python?.path }, cases, outDir: mkdtempSync(join(tmpdir(), 'accelcert-float64-')), timeoutMs: 60_000, depth: 4, cache });
    expect(unexplained(out.results, out.device.fingerprint.extra['cpu_capability'] ?? 'unknown')).toEqual([]);
    // an op PyTorch 1.13 lacks says so in PyTorch's own words, and is never most of the run
    const unsupported = out.results.filter((r) => r.status === 'unsupported');
    expect(unsupported.length).toBeLessThan(out.results.length / 4);
  }, 600_000);
});
