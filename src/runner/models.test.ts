import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shippedSuites } from '../../suites/index.js';
import { referenceDriver } from '../drivers/reference/driver.js';
import type { Driver } from '../drivers/types.js';
import { findPython } from '../drivers/pytorch/python.js';
import { pytorchDriver } from '../drivers/pytorch/driver.js';
import { unexplained } from '../testing/pytorch-findings.js';
import { PACKAGE_ROOT } from '../version.js';
import type { GraphCase } from '../workload/case.js';
import { executeCases } from './execute.js';
import type { CaseResult } from './result.js';

/**
 * Model workloads (suites/models): a correct device passes every model, PyTorch on the CPU passes every model it can
 * run, and a device with a step-5 defect fails the models the defect moves, naming the first node out of bound.
 */
const models = shippedSuites().find((s) => s.name === 'models')?.cases.filter((c): c is GraphCase => c.kind === 'graph') ?? [];
const eager = (dtypes: string[]) => models.filter((c) => c.mode === 'eager' && dtypes.includes(c.dtype));

async function run(driver: Driver, cases: readonly GraphCase[], device?: string, python?: string): Promise<CaseResult[]> {
  const session = await driver.open(device, python ? { python } : {});
  try {
    const reopen = () => driver.open(device, python ? { python } : {});
    return (await executeCases(session, cases, { timeoutMs: 120_000, depth: 2, reopen, onResult: () => undefined })).results;
  } finally {
    await session.close();
  }
}

async function fixture(name: string): Promise<Driver> {
  const mod = (await import(pathToFileURL(join(PACKAGE_ROOT, 'fixtures/faults', `${name}.js`)).href)) as { default: Driver };
  return mod.default;
}

/** subject → [status, first node out of bound] */
const outcomes = (results: readonly CaseResult[]) => Object.fromEntries(results.map((r) => [r.subject, [r.status, r.divergence?.node ?? null]]));

describe('model workloads', () => {
  it('ship four models and a logit-growth variant, in float32, bfloat16 and float16, eager and compiled', () => {
    expect(new Set(models.map((c) => c.graph.name))).toEqual(
      new Set(['mlp-784-512-256-10', 'resnet-basic-block-16c', 'llama-2l-128d', 'vit-block-128d-p4', 'vit-block-logit-growth']),
    );
    expect(models).toHaveLength(4 * 3 * 2 + 2);
  });

  it('pass on the reference device in every dtype', async () => {
    const results = await run(referenceDriver, eager(['float32', 'bfloat16', 'float16']));
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.message}`)).toEqual([]);
    // greedy decoding in float32 is judged token by token
    const llama = results.find((r) => r.id === 'models/language/llama-2l-128d/float32/eager');
    expect(llama?.outputs.find((o) => o.rule === 'tokens identical')).toMatchObject({ mismatches: 0, elements: 7 });
  }, 300_000);

  it('fail with TF32 operands in float32 GEMMs of K ≥ 512, at the first such node; the ResNet (K ≤ 144) passes', async () => {
    const results = await run(await fixture('mm-tf32-k512'), eager(['float32']));
    expect(outcomes(results)).toEqual({
      'mlp-784-512-256-10': ['fail', 'addmm'],
      'resnet-basic-block-16c': ['pass', null],
      'llama-2l-128d': ['fail', 'mm_6'],
      'vit-block-128d-p4': ['fail', 'addmm_5'],
      'vit-block-logit-growth': ['fail', 'addmm_5'],
    });
    const mlp = results.find((r) => r.subject === 'mlp-784-512-256-10');
    expect(mlp?.message).toMatch(/^first node out of bound: addmm \(aten\.addmm\.default\), margin [0-9.e+]+ at \[\d+,\d+\]; /);
  }, 300_000);

  it('fail with a softmax without max subtraction exactly where logits pass 88.7: the logit-growth ViT', async () => {
    const results = await run(await fixture('softmax-no-max-subtraction'), eager(['float32']));
    expect(outcomes(results)).toEqual({
      'mlp-784-512-256-10': ['pass', null],
      'resnet-basic-block-16c': ['pass', null],
      'llama-2l-128d': ['pass', null],
      'vit-block-128d-p4': ['pass', null],
      'vit-block-logit-growth': ['fail', '_softmax'],
    });
  }, 300_000);

  it('fail with float16 accumulation in float16 GEMMs where it moves the model: the MLP (K = 784)', async () => {
    const results = await run(await fixture('gemm-fp16-accum-k512'), eager(['float16']));
    // K = 512 in the Llama and ViT feed-forward layers stays within their bound (docs/numerics.md, Models)
    expect(outcomes(results)).toMatchObject({ 'mlp-784-512-256-10': ['fail', 'addmm'], 'resnet-basic-block-16c': ['pass', null] });
  }, 300_000);
});

const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;

describe.runIf(haveTorch)(`models on PyTorch ${python?.torchVersion ?? ''} on the CPU`, () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  // float32 models run in the inference-fp32 profile of pytorch-cpu.test.ts, with both kernel paths
  it.each([
    ['the kernels this CPU selects', null],
    ['the scalar kernels (ATEN_CPU_CAPABILITY=default)', 'default'],
  ])('pass in bfloat16 and float16 with %s, or are unsupported in PyTorch words', async (_, capability) => {
    // the worker inherits this process's environment when it starts
    if (capability !== null) vi.stubEnv('ATEN_CPU_CAPABILITY', capability);
    const results = await run(pytorchDriver, eager(['bfloat16', 'float16']), 'cpu', python?.path);
    expect(unexplained(results, capability === null ? 'this CPU' : 'DEFAULT')).toEqual([]);
    expect(results.filter((r) => r.dtype === 'bfloat16').map((r) => r.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  }, 300_000);
});
