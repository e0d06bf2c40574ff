import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseShard } from '../suite/select.js';
import { PACKAGE_ROOT } from '../version.js';

/*
 * The scale-out manifests (docs/scale-out.md) are read here as text, without a YAML library: the few fields that make a
 * sharded run complete are checked by pattern, and the shard each job slot gets is resolved by accelcert's own
 * `--shard auto`, so that a manifest whose counts disagree cannot leave a shard out.
 */
const read = (path: string): string => readFileSync(join(PACKAGE_ROOT, path), 'utf8');

/** The value of a `key: value` line at any depth; one occurrence required. */
function field(yaml: string, key: string): string {
  const found = [...yaml.matchAll(new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, 'gm'))].map((m) => m[1] ?? '');
  expect(found, key).toHaveLength(1);
  return found[0] ?? '';
}

/** The `--shard` value on the command line, comments aside. */
const shardFlag = (text: string): string => /--shard\s+(\S+)/.exec(text.replace(/^\s*#.*$/gm, ''))?.[1] ?? '';

describe('deploy/kubernetes', () => {
  const job = read('deploy/kubernetes/indexed-job.yaml');
  const merge = read('deploy/kubernetes/merge-job.yaml');

  it('runs an Indexed Job of N pods at once, each a shard of --shard auto/N', () => {
    expect(field(job, 'kind')).toBe('Job');
    expect(field(job, 'completionMode')).toBe('Indexed');
    const n = Number(field(job, 'completions'));
    expect(n).toBeGreaterThan(1);
    expect(Number(field(job, 'parallelism'))).toBe(n);
    expect(job).toMatch(/accelcert run /);
    const shard = shardFlag(job);
    expect(shard).toBe(`auto/${n}`);
    // every index the Job hands out is one shard, and together they are 1..N
    const shards = Array.from({ length: n }, (_, i) => parseShard(shard, { JOB_COMPLETION_INDEX: String(i) }));
    expect(shards).toEqual(Array.from({ length: n }, (_, i) => ({ index: i + 1, count: n })));
    // each pod writes its own folder on the shared volume, which the merge reads
    expect(job).toMatch(/--out \/shared\/accelcert\/\$\(RUN_ID\)\/shard-\$JOB_COMPLETION_INDEX/);
    expect(job).toMatch(/claimName: accelcert-shared/);
  });

  it('merges the shards of the shared volume, checking them with the public key and signing the result', () => {
    expect(merge).toMatch(/accelcert merge \/shared\/accelcert\/\$\(RUN_ID\)\/shard-\*/);
    expect(merge).toMatch(/--key-pub \/keys\/signing\.pub --key \/keys\/signing\.key/);
    expect(merge).toMatch(/claimName: accelcert-shared/);
  });
});

describe('deploy/slurm', () => {
  const script = read('deploy/slurm/accelcert.sbatch');

  it('runs a job array whose every task is one shard of --shard auto, and submits the merge after all of them', () => {
    const array = /^#SBATCH --array=(\d+)-(\d+)$/m.exec(script);
    expect(array).not.toBeNull();
    const [min, max] = [Number(array?.[1]), Number(array?.[2])];
    const n = max - min + 1;
    expect(shardFlag(script)).toBe('auto');
    const shards = Array.from({ length: n }, (_, i) =>
      parseShard('auto', { SLURM_ARRAY_TASK_ID: String(min + i), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_COUNT: String(n) }),
    );
    expect(shards).toEqual(Array.from({ length: n }, (_, i) => ({ index: i + 1, count: n })));
    expect(script).toMatch(/--dependency="afterok:\$\{SLURM_ARRAY_JOB_ID\}"/);
    expect(script).toMatch(/accelcert merge '\$RUN_DIR'\/shard-\* --key-pub '\$PUB' --key '\$KEY'/);
  });
});
