import { describe, expect, it } from 'vitest';
import { inProcessSession, referenceExec, REFERENCE_DEVICE } from '../drivers/reference/driver.js';
import type { ExecRequest, ExecResult, Session } from '../drivers/types.js';
import { shippedSuites } from '../../suites/index.js';
import { executeCases } from '../runner/execute.js';
import { checkCase } from '../runner/plan.js';
import type { CaseResult } from '../runner/result.js';
import { roundingFunction } from '../tensor/dtype.js';
import { fromValues, toRef } from '../tensor/materialize.js';
import type { TensorData } from '../tensor/tensor.js';
import type { CollectiveCase } from '../workload/case.js';

/*
 * The collectives judge must be discriminating: in-process devices that simulate a ring (the reference driver), each
 * with one defect collective stacks have shipped, must fail the cases that defect affects and pass the rest. The same
 * defects injected into real torch.distributed ranks are in src/runner/collectives-pytorch.test.ts.
 */
const suite = shippedSuites().find((s) => s.name === 'collectives');
const cases = (suite?.cases ?? []).filter((c): c is CollectiveCase => c.kind === 'collective');

/** The 4-rank cases of one subject and dtype, without the largest size (kept fast). */
function pick(subject: string, dtype: string): CollectiveCase[] {
  return cases.filter((c) => c.collective.name === subject && c.dtype === dtype && c.collective.ranks === 4 && !c.id.includes('262145'));
}

async function runOn(exec: (req: ExecRequest) => ExecResult, list: CollectiveCase[]): Promise<Map<string, CaseResult>> {
  const session: Session = inProcessSession(REFERENCE_DEVICE, exec);
  const out = await executeCases(session, list, { timeoutMs: 10_000, depth: 1, reopen: () => Promise.resolve(session), onResult: () => undefined });
  return new Map(out.results.map((r) => [r.id.replace(/^.*\/4ranks-[0-9x]+-/, '').concat(r.id.match(/4ranks-([0-9x]+)-/)?.[1] === '1' ? '@1' : ''), r]));
}

/** The regimes (with `@1` for the one-element case) whose cases ended with this status. */
function regimesWith(results: Map<string, CaseResult>, status: string): string[] {
  return [...new Set([...results.entries()].filter(([, r]) => r.status === status).map(([k]) => k))].sort();
}

/** A device that computes every collective as the simulated ring does, then rewrites the answer of one of them. */
function faulty(subject: string, fault: (req: Extract<ExecRequest, { kind: 'collective' }>, out: TensorData[]) => TensorData[]): (req: ExecRequest) => ExecResult {
  return (req) => {
    const res = referenceExec(req);
    if (!res.ok || req.kind !== 'collective' || req.collective.name !== subject) return res;
    return { ok: true, outputs: fault(req, res.outputs) };
  };
}

/** Every rank's input, as the stacked input holds them. */
function rankInputs(req: Extract<ExecRequest, { kind: 'collective' }>): Float64Array[] {
  const x = toRef(req.inputs[0] as TensorData);
  const R = req.collective.ranks;
  const m = x.values.length / R;
  return Array.from({ length: R }, (_, r) => x.values.subarray(r * m, (r + 1) * m));
}

describe('the collectives suite', () => {
  it('covers every collective on 2, 4 and 8 ranks, with world size outermost so a device forms its ranks once per size', () => {
    const subjects = new Set(cases.map((c) => c.collective.name));
    expect([...subjects].sort()).toEqual(['all_gather', 'all_reduce-avg', 'all_reduce-max', 'all_reduce-sum', 'all_to_all', 'all_to_all-uneven', 'broadcast', 'reduce_scatter-sum', 'send_recv']);
    const ranks = cases.map((c) => c.collective.ranks);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(ranks)).toEqual(new Set([2, 4, 8]));
  });

  it('a simulated ring passes every 4-rank case of every collective and dtype', async () => {
    const list = cases.filter((c) => c.collective.ranks === 4 && !c.id.includes('262145'));
    const results = await runOn(referenceExec, list);
    const failed = [...results.values()].filter((r) => r.status !== 'pass').map((r) => `${r.id}: ${r.message ?? ''}`);
    expect(failed).toEqual([]);
    expect(results.size).toBeGreaterThan(0);
  });

  it('a case of more ranks than the device forms is not applicable there; a device without collectives is unsupported', () => {
    const eight = cases.find((c) => c.collective.ranks === 8) as CollectiveCase;
    const caps = inProcessSession(REFERENCE_DEVICE, referenceExec).capabilities;
    expect(checkCase(eight, { ...caps, collectives: { backend: 'gloo', maxRanks: 4, composed: {} } })).toMatchObject({
      status: 'skip',
      message: 'not applicable: the case needs 8 ranks; the device forms at most 4 (capabilities.collectives.maxRanks)',
    });
    const { collectives: _none, ...without } = caps;
    expect(checkCase(eight, without)).toMatchObject({ status: 'unsupported' });
    expect(checkCase(eight, { ...caps, workloads: { op: 1 } })).toMatchObject({ status: 'unsupported', message: 'not sent: the device does not run collective workloads (it offers: op)' });
  });
});

describe('the collectives judge is discriminating', () => {
  it('fails a float32 sum carried in float16 (a silent compression hook) on the witness, subnormal and random regimes', async () => {
    const toHalf = roundingFunction('float16');
    const exec = faulty('all_reduce-sum', (req, out) => {
      const ranks = rankInputs(req);
      const sum = ranks[0]!.map((_, p) => ranks.reduce((s, x) => toHalf(s + toHalf(x[p] as number)), 0));
      return out.map((o) => fromValues(o.dtype, o.shape, Float32Array.from(sum)));
    });
    const results = await runOn(exec, pick('all_reduce-sum', 'float32'));
    expect(regimesWith(results, 'fail')).toEqual(expect.arrayContaining(['normal', 'subnormal', 'witness']));
  });

  it('fails a sum that leaves out the last rank only where that rank contributes, never where the answer is unchanged', async () => {
    const exec = faulty('all_reduce-sum', (req, out) => {
      const ranks = rankInputs(req);
      const sum = ranks[0]!.map((_, p) => ranks.slice(0, -1).reduce((s, x) => Math.fround(s + (x[p] as number)), 0));
      return out.map((o) => fromValues(o.dtype, o.shape, sum));
    });
    const results = await runOn(exec, pick('all_reduce-sum', 'float32'));
    expect(regimesWith(results, 'pass')).toEqual([]);
  });

  it('fails ranks that each stay within the bound but end with different answers (replicas that drift apart)', async () => {
    // rank r adds in its own order, starting at itself: every answer is a legitimate sum, but they differ
    const exec = faulty('all_reduce-sum', (req, out) => {
      const ranks = rankInputs(req);
      const R = ranks.length;
      return out.map((o, r) => {
        const values = ranks[0]!.map((_, p) => {
          let acc = ranks[r]![p] as number;
          for (let k = 1; k < R; k++) acc = Math.fround(acc + (ranks[(r + k) % R]![p] as number));
          return acc;
        });
        return fromValues(o.dtype, o.shape, values);
      });
    });
    const results = await runOn(exec, pick('all_reduce-sum', 'float32'));
    const normal = results.get('normal') as CaseResult;
    expect(normal.status).toBe('fail');
    expect(normal.message).toMatch(/^rank \d: .*ended with other bytes than rank 0 at \[\d+\].*every rank of an all_reduce must end with the same answer/);
    // on a witness every order gives the same exact answer: nothing to tell apart
    expect(results.get('witness')?.status).toBe('pass');
  });

  it('fails a reduction that flushes subnormal values to zero, only on the subnormal regime', async () => {
    const tiny = 2 ** -126;
    const exec = faulty('all_reduce-sum', (_req, out) => out.map((o) => fromValues(o.dtype, o.shape, toRef(o).values.map((v) => (Math.abs(v) < tiny ? 0 : v)))));
    const results = await runOn(exec, pick('all_reduce-sum', 'float32'));
    expect(regimesWith(results, 'fail')).toEqual(['subnormal']);
  });

  it('fails an int64 sum reduced through float32, on the values past 2^48', async () => {
    const exec = faulty('all_reduce-sum', (req, out) => {
      const ranks = rankInputs(req);
      const sum = ranks[0]!.map((_, p) => ranks.reduce((s, x) => Math.fround(s + Math.fround(x[p] as number)), 0));
      return out.map((o) => fromValues(o.dtype, o.shape, sum));
    });
    const results = await runOn(exec, pick('all_reduce-sum', 'int64'));
    expect(regimesWith(results, 'fail')).toContain('large');
  });

  it('fails an uneven all_to_all whose parts arrive in reversed sender order (a packing bug of MoE dispatch)', async () => {
    const exec = faulty('all_to_all-uneven', (req, out) => {
      const splits = req.collective.splits ?? [];
      const x = toRef(req.inputs[0] as TensorData);
      const R = req.collective.ranks;
      const m = x.values.length / R;
      const row = m / (x.shape[1] ?? 1);
      return out.map((o, r) => {
        const values: number[] = [];
        for (let i = R - 1; i >= 0; i--) {
          const start = (splits[i] ?? []).slice(0, r).reduce((a, b) => a + b, 0);
          values.push(...x.values.subarray(i * m + start * row, i * m + (start + (splits[i]?.[r] ?? 0)) * row));
        }
        return fromValues(o.dtype, o.shape, values);
      });
    });
    const list = pick('all_to_all-uneven', 'float32');
    expect(list.map((c) => c.collective.splits?.[1])).toContainEqual([3, 0, 1, 2]);
    const results = await runOn(exec, list);
    expect(regimesWith(results, 'fail')).toEqual(['normal', 'special']);
  });

  it('fails copies that arrive in the wrong rank order, from the wrong root, or truncated by one element', async () => {
    const rotated = faulty('all_gather', (_req, out) => out.map((o) => {
      const v = toRef(o).values;
      const row = v.length / 4;
      return fromValues(o.dtype, o.shape, Float64Array.from(v, (_, i) => v[(i + row) % v.length] as number));
    }));
    const fromZero = faulty('broadcast', (req, out) => out.map((o) => fromValues(o.dtype, o.shape, rankInputs(req)[0] as Float64Array)));
    const truncated = faulty('send_recv', (_req, out) => out.map((o) => {
      const v = Float64Array.from(toRef(o).values);
      v[v.length - 1] = 0;
      return fromValues(o.dtype, o.shape, v);
    }));
    for (const [exec, subject] of [[rotated, 'all_gather'], [fromZero, 'broadcast'], [truncated, 'send_recv']] as const) {
      const results = await runOn(exec, pick(subject, 'float32'));
      // a one-element broadcast or send of a value that happens to match proves nothing either way: every other case fails
      expect([...results.values()].filter((r) => r.status === 'fail').length).toBeGreaterThanOrEqual(results.size - 1);
      expect(regimesWith(results, 'fail')).toEqual(expect.arrayContaining(['normal', 'special']));
    }
  });
});
