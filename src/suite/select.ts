import { createHash } from 'node:crypto';
import { UserError } from '../errors.js';
import { DTYPES, DTypeSchema, type DType } from '../tensor/dtype.js';
import type { Case } from '../workload/case.js';
import { compileGlob } from './glob.js';

export interface Shard {
  index: number; // 1-based
  count: number;
}

export interface Selection {
  filters: string[];
  dtypes: DType[];
  shard: Shard | null;
}

export function parseDtypes(values: readonly string[]): DType[] {
  return values.map((v) => {
    const r = DTypeSchema.safeParse(v);
    if (!r.success) throw new UserError(`--dtype "${v}" is not a dtype; known dtypes: ${DTYPES.join(', ')}`);
    return r.data;
  });
}

/** The environment `--shard auto` reads its shard from (process.env, or a test's). */
export type ShardEnv = Readonly<Record<string, string | undefined>>;

/**
 * `--shard K/N`, or `--shard auto` / `auto/N`: the shard from the environment of a Kubernetes Indexed Job or a Slurm job
 * array (autoShard). Null without the flag; anything else is one sentence naming the flag (exit 2).
 */
export function parseShard(text: string | undefined, env: ShardEnv = {}): Shard | null {
  if (text === undefined) return null;
  const auto = /^auto(?:\/(\d+))?$/.exec(text);
  if (auto) return autoShard(text, auto[1] !== undefined ? Number(auto[1]) : null, env);
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UserError(`--shard "${text}" must be K/N with 1 ≤ K ≤ N, or auto (auto/N), e.g. 2/4`);
  }
  return { index, count };
}

/** A whole number of 0 or more from an environment variable, or NaN. */
const envNumber = (value: string | undefined): number => (value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN);

/**
 * The shard of this process in a scheduler's array of identical jobs. Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX
 * (0-based) and say nothing of the count, which comes from `auto/N` or ACCELCERT_SHARD_COUNT. Slurm job arrays set
 * SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN: an array may start at 0 or 1 (or anywhere), so
 * the index counts from its minimum. A count given twice must agree: two disagreeing counts would shard one run two ways.
 */
function autoShard(text: string, given: number | null, env: ShardEnv): Shard {
  const flag = `--shard ${text}`;
  const k8s = env['JOB_COMPLETION_INDEX'];
  const slurm = env['SLURM_ARRAY_TASK_ID'];
  if (k8s !== undefined && slurm !== undefined) throw new UserError(`${flag}: both JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID (Slurm) are set, so the shard is ambiguous`);
  let index: number;
  let count: number;
  let source: string;
  if (k8s !== undefined) {
    const fromEnv = env['ACCELCERT_SHARD_COUNT'];
    const envCount = fromEnv !== undefined ? envNumber(fromEnv) : null;
    if (envCount !== null && given !== null && envCount !== given) throw new UserError(`${flag}: ACCELCERT_SHARD_COUNT=${fromEnv} gives another shard count`);
    count = given ?? envCount ?? NaN;
    if (given === null && fromEnv === undefined) throw new UserError(`${flag}: a Kubernetes Indexed Job gives no shard count: use --shard auto/N or set ACCELCERT_SHARD_COUNT`);
    index = envNumber(k8s) + 1;
    source = `JOB_COMPLETION_INDEX=${k8s} (0-based) of ${fromEnv !== undefined && given === null ? `ACCELCERT_SHARD_COUNT=${fromEnv}` : String(given)}`;
  } else if (slurm !== undefined) {
    const min = env['SLURM_ARRAY_TASK_MIN'];
    const total = env['SLURM_ARRAY_TASK_COUNT'];
    if (min === undefined || total === undefined) throw new UserError(`${flag}: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN or SLURM_ARRAY_TASK_COUNT is not, so the shard cannot be told`);
    count = envNumber(total);
    if (given !== null && given !== count) throw new UserError(`${flag}: the Slurm array has SLURM_ARRAY_TASK_COUNT=${total} tasks`);
    index = envNumber(slurm) - envNumber(min) + 1;
    source = `SLURM_ARRAY_TASK_ID=${slurm} from SLURM_ARRAY_TASK_MIN=${min} of SLURM_ARRAY_TASK_COUNT=${total}`;
  } else {
    throw new UserError(`${flag} takes the shard from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (a Slurm job array), and neither is set`);
  }
  if (!Number.isInteger(count) || !Number.isInteger(index) || count < 1 || index < 1 || index > count) {
    throw new UserError(`${flag}: ${source} is not a shard K/N with 1 ≤ K ≤ N`);
  }
  return { index, count };
}

/** Which shard a case belongs to: by a hash of its id, so adding cases does not move the others. */
export function shardOf(id: string, count: number): number {
  const h = createHash('sha256').update(id).digest();
  return (h.readUInt32BE(0) % count) + 1;
}

/** Narrows cases by filters (any glob matches), dtypes (any) and shard. Every filter must match something. */
export function selectCases<C extends Pick<Case, 'id' | 'dtype'>>(cases: readonly C[], sel: Selection): C[] {
  let out = cases.slice();
  if (sel.filters.length > 0) {
    const matchers = sel.filters.map((f) => ({ f, m: compileGlob(f) }));
    for (const { f, m } of matchers) {
      if (!cases.some((c) => m(c.id))) throw new UserError(`--filter "${f}" matches no case; \`accelcert suites\` lists them`);
    }
    out = out.filter((c) => matchers.some(({ m }) => m(c.id)));
  }
  if (sel.dtypes.length > 0) {
    const want = new Set(sel.dtypes);
    out = out.filter((c) => want.has(c.dtype));
  }
  if (sel.shard) {
    const { index, count } = sel.shard;
    out = out.filter((c) => shardOf(c.id, count) === index);
  }
  if (out.length === 0) throw new UserError('the selection (profile, --filter, --dtype, --shard) holds no case');
  return out;
}
