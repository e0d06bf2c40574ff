import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { pytorchDriver } from '../drivers/pytorch/driver.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import { shippedSuites } from '../../suites/index.js';
import { unexplained } from '../testing/pytorch-findings.js';
import { oracleCodeDigest, type OracleCacheConfig } from './oracle-cache.js';
import { runCases } from './run.js';

/**
 * The strongest check of the oracle and the judge: a real PyTorch build on the CPU must pass every case the
 * default profile requires, with the vectorised kernels this CPU selects and with the scalar kernels every CPU has
 * (`ATEN_CPU_CAPABILITY=default`). The only exceptions are `unsupported` in PyTorch's own words (an overload the
 * build lacks) and PyTorch's own defects, each traced and listed in testing/pytorch-findings.ts. CI installs
 * Debian's python3-torch; elsewhere the test runs when torch is found.
 */
const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the pytorch driver tests: ${python?.reason ?? 'no python'}`);

// The expected outputs do not depend on the device: both runs share one oracle cache, so the second skips the oracle.
const cache: OracleCacheConfig = { dir: mkdtempSync(join(tmpdir(), 'accelcert-pytorch-cpu-cache-')), version: 'test', code: oracleCodeDigest() };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe.runIf(haveTorch)(`PyTorch ${python?.torchVersion ?? ''} on the CPU`, () => {
  it.each([
    ['the kernels this CPU selects', null],
    ['the scalar kernels (ATEN_CPU_CAPABILITY=default)', 'default'],
  ])('passes every case of the inference-fp32 profile with %s, but for unsupported overloads and traced PyTorch defects', async (_, capability) => {
    // the worker inherits this process's environment when it starts; the stub is undone after this test alone
    if (capability !== null) vi.stubEnv('ATEN_CPU_CAPABILITY', capability);
    const cases = requiredCases(getProfile('inference-fp32'), shippedSuites());
    const outDir = mkdtempSync(join(tmpdir(), 'accelcert-pytorch-cpu-'));
    const out = await runCases({ driver: pytorchDriver, device: 'cpu', openOptions: { python: python?.path }, cases, outDir, timeoutMs: 60_000, depth: 4, cache });
    // the fingerprint records which kernels ran, so a report says it too
    const kernels = out.device.fingerprint.extra['cpu_capability'] ?? 'unknown';
    if (capability === 'default') expect(kernels).toMatch(/^(NO AVX|DEFAULT)$/);
    else expect(kernels).not.toBe('unknown');
    expect(unexplained(out.results, kernels), `with ${kernels} kernels`).toEqual([]);
    // the overloads a 2.x build adds are unsupported here, never most of the run
    expect(out.results.filter((r) => r.status === 'unsupported').length).toBeLessThan(out.results.length / 10);
    expect(out.results).toHaveLength(cases.length);
    // every completed result was journalled as it completed
    expect(readFileSync(join(outDir, 'journal.jsonl'), 'utf8').trim().split('\n')).toHaveLength(cases.length);
  }, 300_000);
});
