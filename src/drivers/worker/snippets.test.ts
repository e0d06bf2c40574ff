import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { userErrorOf as userError } from '../../testing/helpers.js';
import { PACKAGE_ROOT } from '../../version.js';
import { WorkerClient } from './session.js';

/**
 * The framing snippets of docs/driver-protocol.md, taken from the document, each run as a worker: the harness's hello
 * is answered, a request the snippet does not handle gets its `unsupported` error, and close ends it.
 */
const doc = readFileSync(join(PACKAGE_ROOT, 'docs/driver-protocol.md'), 'utf8');
const snippet = (lang: string): string => {
  const m = new RegExp('```' + lang + ' framing-snippet\\n([\\s\\S]*?)```').exec(doc);
  if (!m?.[1]) throw new Error(`docs/driver-protocol.md has no ${lang} framing snippet`);
  return m[1];
};
const dir = mkdtempSync(join(tmpdir(), 'accelcert-snippets-'));
const PY = process.env.ACCELCERT_TEST_PYTHON ?? 'python3';
const haveCxx = spawnSync('c++', ['--version']).status === 0;

function build(lang: string): string[] {
  if (lang === 'python') {
    writeFileSync(join(dir, 'worker.py'), snippet('python'));
    return [PY, join(dir, 'worker.py')];
  }
  if (lang === 'js') {
    writeFileSync(join(dir, 'worker.mjs'), snippet('js'));
    return [process.execPath, join(dir, 'worker.mjs')];
  }
  writeFileSync(join(dir, 'worker.cpp'), snippet('cpp'));
  const cc = spawnSync('c++', ['-std=c++17', '-Wall', '-Werror', '-O1', '-o', join(dir, 'worker'), join(dir, 'worker.cpp')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`the C++ snippet does not compile:\n${cc.stderr}`);
  return [join(dir, 'worker')];
}

describe('the framing snippets of driver-protocol.md', () => {
  it.each(['python', 'js', ...(haveCxx ? ['cpp'] : [])])('%s: says hello, answers a request it lacks with unsupported, and closes', async (lang) => {
    const argv = build(lang);
    const worker = await WorkerClient.start({ argv, label: `the ${lang} snippet`, tag: lang });
    expect(worker.hello).toEqual({ type: 'hello', id: 1, protocol: 1, worker: { name: 'acme', version: '0.1' }, frameworks: {} });
    const err = await userError(worker.discover());
    expect([err.exitCode, err.message]).toEqual([3, `the ${lang} snippet failed: acme: discover is not wired yet`]);
    const again = await WorkerClient.start({ argv, label: `the ${lang} snippet`, tag: lang });
    await again.close();
    expect(again.alive).toBe(false);
  }, 60_000);
});
