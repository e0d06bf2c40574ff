import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arg } from '../../ops/args.js';
import { PACKAGE_ROOT } from '../../version.js';
import type { OpenOptions } from '../types.js';
import { splitCommand } from './command.js';
import { WorkerClient, workerDriverMethods } from './session.js';
import { SpareWorker } from './spare.js';

const PY = process.env.ACCELCERT_TEST_PYTHON ?? 'python3';
const EXAMPLE = `${PY} ${join(PACKAGE_ROOT, 'fixtures/workers/example_worker.py')}`;

/** A worker driver whose starts are counted and kept, so that a test can tell which worker a session runs on. */
function countingDriver() {
  const started: WorkerClient[] = [];
  const start = async (opts: OpenOptions): Promise<WorkerClient> => {
    const w = await WorkerClient.start({ argv: splitCommand(EXAMPLE), label: 'the example worker', tag: 'worker' }, opts);
    started.push(w);
    return w;
  };
  return { started, ...workerDriverMethods(start) };
}

const neg = { kind: 'op' as const, caseId: 'neg', op: 'aten.neg.default', args: [arg.tensor(0)], kwargs: {}, inputs: [{ dtype: 'float32' as const, shape: [1], strides: [1], offset: 0, storage: new Uint8Array(new Float32Array([2]).buffer) }] };

describe('the spare worker', () => {
  it('is started once a session is open, takes over the next open, and is replaced by a new spare', async () => {
    const d = countingDriver();
    const spare = new SpareWorker();
    const first = await d.open(undefined, { spare });
    const taken = await spare.take();
    expect(taken).not.toBeNull();
    expect(d.started).toHaveLength(2);
    expect(taken).toBe(d.started[1]);
    // put it back as the spare and lose the first session: the next open runs on it, no new start in the way
    spare.refill(() => Promise.resolve(taken as WorkerClient));
    await first.close();
    const second = await d.open(undefined, { spare });
    expect(d.started).toHaveLength(2);
    const r = await second.exec(neg);
    expect(r.ok).toBe(true);
    // and the open started the next spare
    const next = await spare.take();
    expect(next).toBe(d.started[2]);
    await next?.close();
    await second.close();
    await spare.close();
  }, 30_000);

  it('a spare that died while it waited is not used: the open starts a fresh worker', async () => {
    const d = countingDriver();
    const spare = new SpareWorker();
    const first = await d.open(undefined, { spare });
    const dead = await spare.take();
    await dead?.close();
    spare.refill(() => Promise.resolve(dead as WorkerClient));
    const second = await d.open(undefined, { spare });
    // started: the first session's worker, the dead spare, and the fresh worker of this open (its spare comes after)
    expect(d.started).toHaveLength(3);
    expect(d.started[2]?.alive).toBe(true);
    expect((await second.exec(neg)).ok).toBe(true);
    await Promise.all([first.close(), second.close(), spare.close()]);
  }, 30_000);

  it('once closed, starts nothing and closes the spare it holds', async () => {
    const d = countingDriver();
    const spare = new SpareWorker();
    const s = await d.open(undefined, { spare });
    await spare.close();
    spare.refill(() => Promise.reject(new Error('must not start')));
    expect(await spare.take()).toBeNull();
    expect(d.started[1]?.alive).toBe(false);
    await s.close();
  }, 30_000);
});
