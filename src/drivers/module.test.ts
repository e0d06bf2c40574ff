import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import { loadModuleDriver } from './module.js';
import { userErrorOf as userError } from '../testing/helpers.js';

const fixture = (name: string): string => relative(process.cwd(), join(PACKAGE_ROOT, 'fixtures/workers', name));

describe('in-process driver modules', () => {
  it('loads a module whose default export is a Driver and opens its device', async () => {
    const driver = await loadModuleDriver(fixture('tiny-driver.js'));
    expect(driver.name).toBe('tiny');
    const s = await driver.open(undefined, {});
    expect(await s.exec({ kind: 'op', caseId: 'c', op: 'aten.add.Tensor', args: [], kwargs: {}, inputs: [] })).toEqual({ ok: false, error: { kind: 'unsupported', message: 'tiny runs nothing' } });
  });

  it('names the file that does not exist, exports no Driver, or fails to load (usage)', async () => {
    const missing = await userError(loadModuleDriver('./nope/driver.js'));
    expect([missing.exitCode, missing.message]).toEqual([2, 'driver module ./nope/driver.js does not exist']);
    const notDriver = await userError(loadModuleDriver(fixture('not-a-driver.js')));
    expect(notDriver.exitCode).toBe(2);
    expect(notDriver.message).toBe(`driver module ${fixture('not-a-driver.js')} has no default or "driver" export (a Driver has name, description, availability, discover and open)`);
    const broken = await userError(loadModuleDriver(fixture('broken-driver.js')));
    expect([broken.exitCode, broken.message]).toEqual([2, `driver module ${fixture('broken-driver.js')} failed to load: vendor SDK not initialised`]);
  });
});
