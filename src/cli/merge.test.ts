import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReportSchema, type Report } from '../report/schema.js';
import { writeRunOutputs } from '../render/write.js';
import { parseShard } from '../suite/select.js';
import { runMain } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

// 153 float32 cases on the reference device: a few seconds a run
const SELECT = ['--driver', 'reference', '--filter', 'core/binary/aten.a*/**', '--dtype', 'float32'];
const KEY = join(PACKAGE_ROOT, 'fixtures/keys/ed25519.key');
const PUB = join(PACKAGE_ROOT, 'fixtures/keys/ed25519.pub');
const OTHER_PUB = join(PACKAGE_ROOT, 'fixtures/keys/other.pub');
const root = mkdtempSync(join(tmpdir(), 'accelcert-merge-'));
const shard = (k: number): string => join(root, `shard-${k}`);
const readReport = (dir: string): Report => ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
let outs = 0;
const newOut = (): string => join(root, `out-${++outs}`);
const merge = (...args: string[]) => runMain('merge', ...args, '--out', newOut(), '--key', KEY, '--key-pub', PUB);

/** A copy of a shard, edited and re-signed with the same key: what a forger holding the key can make. */
async function forged(k: number, edit: (r: Report) => Report): Promise<string> {
  const dir = join(root, `forged-${++outs}`);
  await writeRunOutputs(dir, edit(readReport(shard(k))), { key: KEY });
  return dir;
}

/** The refusal of a merge: exit 2 and its one sentence. */
async function refusal(...args: string[]): Promise<string> {
  const r = await merge(...args);
  expect(r.code, r.err).toBe(2);
  const sentences = r.err.split('\n').filter((l) => l.startsWith('accelcert: ') && !l.includes('trusting') && !l.startsWith('accelcert: warning:'));
  expect(sentences).toHaveLength(1);
  return sentences[0] ?? '';
}

beforeAll(async () => {
  const whole = await runMain('run', ...SELECT, '--key', KEY, '--out', join(root, 'whole'));
  expect(whole.code, whole.err).toBe(0);
  for (const k of [1, 2, 3, 4]) {
    const r = await runMain('run', ...SELECT, '--shard', `${k}/4`, '--key', KEY, '--out', shard(k));
    expect(r.code, r.err).toBe(0);
  }
}, 60_000);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('accelcert merge', () => {
  it("merges 4 shards into the unsharded run's results, and verify accepts it as it accepts the unsharded run", async () => {
    const out = newOut();
    const r = await runMain('merge', shard(3), shard(1), shard(4), shard(2), '--out', out, '--key', KEY, '--key-pub', PUB);
    expect(r.code, r.err).toBe(0);
    const merged = readReport(out);
    const whole = readReport(join(root, 'whole'));
    const key = (x: Report) => x.results.map((c) => [c.id, c.status, c.outputDigest, c.inputDigest]);
    expect(key(merged)).toEqual(key(whole));
    expect(merged.selection).toEqual({ ...whole.selection });
    expect(merged.verdict).toEqual(whole.verdict);
    expect(merged.summary).toEqual(whole.summary);
    expect(merged.command.slice(0, 2)).toEqual(['accelcert', 'merge']);
    expect(merged.shards?.map((s) => [s.index, s.count])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    expect(merged.shards?.[0]?.envelope).toEqual(JSON.parse(readFileSync(join(shard(1), 'report.dsse.json'), 'utf8')));
    const starts = [1, 2, 3, 4].map((k) => readReport(shard(k)).startedAt).sort();
    expect(merged.startedAt).toBe(starts[0]);

    const v = await runMain('verify', out, '--key', PUB);
    const w = await runMain('verify', join(root, 'whole'), '--key', PUB);
    expect([0, 5]).toContain(w.code);
    expect(v.code, v.out).toBe(w.code);
    expect(v.out).toMatch(/shard signatures/);
  });

  it('verify refuses a merged report whose results are not its shards\' own, even when re-signed', async () => {
    const out = newOut();
    expect((await runMain('merge', shard(1), shard(2), shard(3), shard(4), '--out', out, '--key', KEY, '--key-pub', PUB)).code).toBe(0);
    const report = readReport(out);
    const first = report.results[0];
    if (!first) throw new Error('no result');
    const edited = { ...report, results: [{ ...first, timings: { ...first.timings, execMs: 12345 } }, ...report.results.slice(1)] };
    const dir = join(root, 'edited-merge');
    await writeRunOutputs(dir, edited, { key: KEY });
    const v = await runMain('verify', dir, '--key', PUB);
    expect(v.code).toBe(1);
    expect(v.out).toContain(`${first.id} differs from its result in shard`);
    // shards signed by a key the reviewer does not trust, under a merged report signed by one it does
    const resigned = join(root, 'resigned-merge');
    await writeRunOutputs(resigned, report, { key: join(PACKAGE_ROOT, 'fixtures/keys/other.key') });
    const other = await runMain('verify', resigned, '--key', OTHER_PUB);
    expect(other.code).toBe(1);
    expect(other.out).toMatch(/shard 1\/4's envelope does not verify/);
  });

  it('refuses a missing shard, naming its index', async () => {
    expect(await refusal(shard(1), shard(2), shard(4))).toBe('accelcert: shard 3/4 is missing (given: 1, 2, 4): a merge needs all 4 shards to cover the selection');
  });

  it('refuses a shard given twice, and overlapping shards', async () => {
    expect(await refusal(shard(1), shard(2), shard(3), shard(4), shard(2))).toContain('are both shard 2/4');
    const copy = join(root, 'copy-of-2');
    cpSync(shard(2), copy, { recursive: true });
    expect(await refusal(shard(1), shard(2), shard(3), copy)).toContain('are both shard 2/4');
    const stolen = readReport(shard(1)).results[0];
    if (!stolen) throw new Error('no result');
    const overlapping = await forged(2, (r) => ({ ...r, results: [...r.results, stolen] }));
    expect(await refusal(shard(1), overlapping, shard(3), shard(4))).toContain(`both hold case ${stolen.id}`);
    const foreign = await forged(2, (r) => ({ ...r, results: [...r.results, { ...stolen, id: `${stolen.id}-x` }] }));
    expect(await refusal(shard(1), foreign, shard(3), shard(4))).toMatch(/holds case .*, which belongs to shard/);
  });

  it('refuses shards of another run: N, suites, version, seed, profile, selection, device, waivers', async () => {
    const sel = (r: Report) => r.selection;
    const cases: [string, (r: Report) => Report, string][] = [
      ['N', (r) => ({ ...r, selection: { ...sel(r), shard: { index: 2, count: 3 } } }), 'different numbers of shards (3 and 4)'],
      ['suites', (r) => ({ ...r, suites: r.suites.map((s) => ({ ...s, digest: '0'.repeat(64) })) }), 'differ in their suite digests'],
      ['version', (r) => ({ ...r, harness: { ...r.harness, version: '0.0.1' } }), 'was written by accelcert 0.0.1'],
      ['seed', (r) => ({ ...r, selection: { ...sel(r), seed: 'other' } }), 'differ in their seed'],
      ['profile', (r) => ({ ...r, profile: { ...r.profile, name: 'full' } }), 'differ in their profile'],
      ['filters', (r) => ({ ...r, selection: { ...sel(r), filters: ['core/**'] } }), 'differ in their filters (--filter)'],
      ['dtypes', (r) => ({ ...r, selection: { ...sel(r), dtypes: ['float16'] } }), 'differ in their dtypes (--dtype)'],
      ['device', (r) => ({ ...r, target: { ...r.target, fingerprint: { ...r.target.fingerprint, model: 'other' } } }), 'differ in their device model'],
      ['waivers', (r) => ({ ...r, waivers: [{ id: 'W1', cases: 'x', devices: 'a/b/**', reason: 'r', url: 'https://example.com/1', matched: [] }] }), 'differ in their waivers'],
      ['not a shard', (r) => ({ ...r, selection: { ...sel(r), shard: null } }), 'is not a shard'],
    ];
    for (const [what, edit, says] of cases) {
      const dir = await forged(2, edit);
      expect(await refusal(shard(1), dir, shard(3), shard(4)), what).toContain(says);
    }
  });

  it('trusts the local default key without --key-pub, and says so on stderr', async () => {
    const home = join(root, 'home');
    mkdirSync(home);
    copyFileSync(PUB, join(home, 'default.pub'));
    vi.stubEnv('ACCELCERT_HOME', home);
    const r = await runMain('merge', shard(1), shard(2), shard(3), shard(4), '--out', newOut(), '--no-sign');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`the shards must be signed by your local default key ${join(home, 'default.pub')}`);
  });

  it('refuses an unsigned or unverifiable shard', async () => {
    const unsigned = join(root, 'unsigned');
    cpSync(shard(3), unsigned, { recursive: true });
    rmSync(join(unsigned, 'report.dsse.json'));
    expect(await refusal(shard(1), shard(2), unsigned, shard(4))).toContain('is unsigned');
    const r = await runMain('merge', shard(1), shard(2), shard(3), shard(4), '--out', newOut(), '--no-sign', '--key-pub', OTHER_PUB);
    expect(r.code).toBe(2);
    expect(r.err).toContain('does not verify');
  });
});

describe('run --shard auto', () => {
  it('takes the shard from a Kubernetes Indexed Job (0-based index, count from auto/N or ACCELCERT_SHARD_COUNT)', () => {
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 1, count: 4 });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '3', ACCELCERT_SHARD_COUNT: '4' })).toEqual({ index: 4, count: 4 });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '3' })).toThrow('gives no shard count');
    expect(() => parseShard('auto/4', { JOB_COMPLETION_INDEX: '4' })).toThrow('is not a shard K/N');
    expect(() => parseShard('auto/4', { JOB_COMPLETION_INDEX: '1', ACCELCERT_SHARD_COUNT: '5' })).toThrow('gives another shard count');
  });

  it('takes the shard from a Slurm job array, 0- or 1-based', () => {
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 1, count: 4 });
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ index: 4, count: 4 });
    expect(() => parseShard('auto/3', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' })).toThrow('SLURM_ARRAY_TASK_COUNT=4');
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '1' })).toThrow('cannot be told');
  });

  it('refuses auto without a scheduler, or with both', () => {
    expect(() => parseShard('auto', {})).toThrow('neither is set');
    expect(() => parseShard('auto/2', { JOB_COMPLETION_INDEX: '0', SLURM_ARRAY_TASK_ID: '1' })).toThrow('ambiguous');
  });

  it('records the resolved K/N, and its report verifies', async () => {
    vi.stubEnv('JOB_COMPLETION_INDEX', '1');
    const out = newOut();
    const r = await runMain('run', ...SELECT, '--shard', 'auto/4', '--key', KEY, '--out', out);
    expect(r.code, r.err).toBe(0);
    const report = readReport(out);
    expect(report.selection.shard).toEqual({ index: 2, count: 4 });
    expect(report.results.map((x) => x.id)).toEqual(readReport(shard(2)).results.map((x) => x.id));
    const v = await runMain('verify', out, '--key', PUB);
    expect(v.out).toMatch(/dates, command, digests/);
    expect(v.out).not.toMatch(/command gives --shard/);
    vi.unstubAllEnvs();
    const none = await runMain('run', ...SELECT, '--shard', 'auto', '--no-sign', '--out', newOut());
    expect(none.code).toBe(2);
  });
});
