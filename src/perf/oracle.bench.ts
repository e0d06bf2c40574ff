import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPython } from '../drivers/pytorch/python.js';
import { computeOracle, inThreadOracle, type Oracle } from '../runner/oracle.js';
import { oracleCodeDigest, type OracleCacheConfig } from '../runner/oracle-cache.js';
import { OraclePool } from '../runner/oracle-pool.js';
import { getProfile, requiredCases } from '../suite/profile.js';
import { PACKAGE_ROOT } from '../version.js';
import type { OpCase } from '../workload/case.js';
import { shippedSuites } from '../../suites/index.js';

/**
 * The oracle alone (inputs and float64 reference of every inference-fp32 case, no device): in the runner's thread, on
 * the pool of worker threads (their start included), and from a warm disk cache; then whole `accelcert run` processes
 * on PyTorch's CPU with an empty and a warm cache.
 */
export async function benchOracle(): Promise<string[]> {
  const lines: string[] = [];
  const load = loadavg()[0] ?? NaN;
  const cases = requiredCases(getProfile('inference-fp32'), shippedSuites()).filter((c): c is OpCase => c.kind === 'op');
  const cache: OracleCacheConfig = { dir: mkdtempSync(join(tmpdir(), 'accelcert-bench-oracle-')), version: 'bench', code: oracleCodeDigest() };
  for (const c of cases.slice(0, 50)) computeOracle({ case: c, seed: null, cache: null }); // warm up the JIT
  /** wall and CPU time (this process, every thread) of computing every case's answer */
  const all = async (oracle: Oracle): Promise<string> => {
    const t = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(cases.map((c) => oracle.compute(c, null)));
    await oracle.close();
    const used = process.cpuUsage(cpu);
    return `${((performance.now() - t) / 1000).toFixed(2)} s (cpu ${((used.user + used.system) / 1e6).toFixed(2)} s)`;
  };
  const here = await all(inThreadOracle());
  const pool = new OraclePool();
  const threads = await all(pool);
  const cold = await all(new OraclePool({ cache }));
  const warmPool = new OraclePool({ cache });
  const warm = await all(warmPool);
  lines.push(
    `oracle, ${cases.length} inference-fp32 cases (${pool.stats.offloaded} large enough for a thread): in the runner's thread ${here}; ` +
      `on ${pool.parallelism} threads ${threads} (their start included); filling the cache ${cold}; ` +
      `from the cache ${warm} (${warmPool.stats.hits} answers read, inputs still generated); load average before: ${load.toFixed(1)}`,
  );

  // Whole processes, as a user runs them: an empty cache, then the same run again.
  const py = await findPython({}).catch(() => null);
  if (!py?.torchVersion) return [...lines, `process: pytorch run: skipped (${py?.reason ?? 'no python'})`];
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const tmp = mkdtempSync(join(tmpdir(), 'accelcert-bench-run-'));
  const env = { ...process.env, CI: '1', ACCELCERT_CACHE: join(tmp, 'cache') };
  const run = (name: string): string => {
    const args = [join(PACKAGE_ROOT, 'bin/accelcert.js'), 'run', '--driver', 'pytorch', '--device', 'cpu', '--no-sign', '--out', join(tmp, name)];
    const t = performance.now();
    const r = timeBin
      ? spawnSync(timeBin, ['-f', 'peak %M KB', process.execPath, ...args], { encoding: 'utf8', env })
      : spawnSync(process.execPath, args, { encoding: 'utf8', env });
    const wall = (performance.now() - t) / 1000;
    if (r.status !== 0) throw new Error(`accelcert run exited ${r.status}: ${r.stderr}`);
    const peak = /peak (\d+) KB/.exec(r.stderr)?.[1];
    return `${wall.toFixed(2)} s${peak ? `, peak ${(Number(peak) / 1024).toFixed(0)} MiB` : ''}`;
  };
  lines.push(`process: accelcert run --driver pytorch --device cpu (${availableParallelism()} cores): empty cache ${run('first')}; cached ${run('again')}`);
  return lines;
}
