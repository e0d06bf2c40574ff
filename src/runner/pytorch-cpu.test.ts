import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { pytorchDriver } from '../drivers/pytorch/driver.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import { shippedSuites } from '../../suites/index.js';
import { runCases } from './run.js';

/**
 * The strongest check of the oracle and the judge: a real PyTorch build on the CPU must pass every case the
 * default profile requires. CI installs Debian's python3-torch; elsewhere the test runs when torch is found.
 */
const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the pytorch driver tests: ${python?.reason ?? 'no python'}`);

describe.runIf(haveTorch)(`PyTorch ${python?.torchVersion ?? ''} on the CPU`, () => {
  it('passes every case of the inference-fp32 profile', async () => {
    const cases = requiredCases(getProfile('inference-fp32'), shippedSuites());
    const outDir = mkdtempSync(join(tmpdir(), 'accelcert-pytorch-cpu-'));
    const out = await runCases({ driver: pytorchDriver, device: 'cpu', openOptions: { python: python?.path }, cases, outDir, timeoutMs: 60_000, depth: 4 });
    const notPassed = out.results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.status}: ${r.message}`);
    expect(notPassed).toEqual([]);
    expect(out.results).toHaveLength(cases.length);
    // every completed result was journalled as it completed
    expect(readFileSync(join(outDir, 'journal.jsonl'), 'utf8').trim().split('\n')).toHaveLength(cases.length);
  }, 300_000);
});
