import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execDriver } from '../drivers/exec/driver.js';
import { loadModuleDriver } from '../drivers/module.js';
import type { Driver } from '../drivers/types.js';
import { shippedSuites } from '../../suites/index.js';
import { selectCases } from '../suite/select.js';
import { PACKAGE_ROOT } from '../version.js';
import { executeCases } from './execute.js';

/** The same cases pass through every way of reaching a device: a worker over the protocol and a JS module. */
const cases = selectCases(shippedSuites()[0]!.cases, {
  filters: ['core/*/aten.add.Tensor', 'core/*/aten.mul.Tensor', 'core/*/aten.neg.default', 'core/*/aten.relu.default'],
  dtypes: ['float32', 'float64', 'int32'],
  shard: null,
}).filter((c) => !c.id.includes('/promote-')); // the example worker implements no mixed-dtype promotion

async function runAll(driver: Driver, opts: { worker?: string }) {
  const session = await driver.open(undefined, opts);
  try {
    return (await executeCases(session, cases, { timeoutMs: 30_000, depth: 4, reopen: () => driver.open(undefined, opts), onResult: () => undefined })).results;
  } finally {
    await session.close();
  }
}

describe('driver paths', () => {
  it('the standard-library Python example worker passes every case of the ops it implements, through exec', async () => {
    expect(cases.length).toBeGreaterThan(40);
    const results = await runAll(execDriver, { worker: `python3 ${join(PACKAGE_ROOT, 'fixtures/workers/example_worker.py')}` });
    expect(results.filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.status} ${r.message}`)).toEqual([]);
  }, 120_000);

  it('a JS driver module passes the same cases', async () => {
    const driver = await loadModuleDriver(join(PACKAGE_ROOT, 'fixtures/drivers/reference-module.js'));
    const results = await runAll(driver, {});
    expect(results.map((r) => r.status)).toEqual(cases.map(() => 'pass'));
  });
});
