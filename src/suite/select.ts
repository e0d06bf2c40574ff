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

export function parseShard(text: string | undefined): Shard | null {
  if (text === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UserError(`--shard "${text}" must be K/N with 1 ≤ K ≤ N, e.g. 2/4`);
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
