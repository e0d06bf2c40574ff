import { describe, expect, it } from 'vitest';
import type { Status } from '../judge/result.js';
import { computeVerdict, summarize, type VerdictInput } from './verdict.js';

const IDS = ['core/a/1', 'core/a/2', 'core/b/3', 'core/b/4'];
const whole = { suites: [], filters: [], dtypes: [], shard: null };
const completed = { outcome: 'completed' as const, message: null };
const results = (statuses: Status[]) => statuses.map((status, i) => ({ id: IDS[i] ?? `x/${i}`, status }));
const verdict = (over: Partial<VerdictInput>) =>
  computeVerdict({ profile: 'inference-fp32', requiredIds: IDS, results: results(['pass', 'pass', 'pass', 'pass']), selection: whole, run: completed, ...over });

describe('verdict', () => {
  it('certifies only when every required case passed or was waived, exactly once', () => {
    expect(verdict({})).toEqual({
      status: 'CERTIFIED',
      profile: 'inference-fp32',
      reasons: ['all 4 required cases of profile inference-fp32 present exactly once: 4 passed, 0 waived'],
    });
    expect(verdict({ results: results(['pass', 'waived', 'pass', 'pass']) }).reasons[0]).toMatch(/3 passed, 1 waived/);
  });

  it('is NOT_CERTIFIED when a complete run has a failure of any kind, naming the cases and counts', () => {
    const v = verdict({ results: results(['fail', 'crash', 'unsupported', 'fail']) });
    expect(v.status).toBe('NOT_CERTIFIED');
    expect(v.reasons).toEqual([
      '1 required cases crashed: core/a/2',
      '2 required cases failed: core/a/1, core/b/4',
      '1 required cases are unsupported: core/b/3',
    ]);
    expect(verdict({ results: results(['skip', 'pass', 'pass', 'pass']) }).status).toBe('NOT_CERTIFIED');
  });

  it('names the first five cases and counts the rest', () => {
    const ids = Array.from({ length: 8 }, (_, i) => `core/x/${i}`);
    const v = computeVerdict({ profile: 'p', requiredIds: ids, results: ids.map((id) => ({ id, status: 'fail' as const })), selection: whole, run: completed });
    expect(v.reasons[0]).toBe('8 required cases failed: core/x/0, core/x/1, core/x/2, core/x/3, core/x/4 and 3 more');
  });

  it('is INCOMPLETE for anything partial: missing, duplicated, narrowed, crashed or interrupted', () => {
    expect(verdict({ results: results(['pass', 'pass', 'pass']) })).toMatchObject({
      status: 'INCOMPLETE',
      reasons: ['1 of 4 required cases missing: core/b/4'],
    });
    expect(verdict({ results: [...results(['pass', 'pass', 'pass', 'pass']), { id: 'core/a/1', status: 'pass' }] }).reasons).toEqual([
      '1 required cases recorded more than once: core/a/1',
    ]);
    const narrowed = verdict({ results: results(['pass', 'pass']), selection: { ...whole, filters: ['core/a/**'] } });
    expect(narrowed.status).toBe('INCOMPLETE');
    expect(narrowed.reasons[0]).toBe('selection covers 2 of 4 required cases (narrowed by --filter core/a/**)');
    const sharded = verdict({ selection: { ...whole, shard: { index: 1, count: 2 } } });
    expect(sharded.status).toBe('INCOMPLETE');
    expect(verdict({ run: { outcome: 'interrupted', message: 'SIGINT' } }).reasons[0]).toBe('the run interrupted: SIGINT');
  });

  it('never certifies a crashed run, even when every recorded case passed or was waived', () => {
    const v = verdict({ results: results(['waived', 'waived', 'pass', 'pass']), run: { outcome: 'crashed', message: 'worker died 3 times' } });
    expect(v.status).toBe('INCOMPLETE');
    expect(v.reasons[0]).toBe('the run crashed: worker died 3 times');
  });

  it('prefers INCOMPLETE over NOT_CERTIFIED and still lists the failures', () => {
    const v = verdict({ results: results(['fail', 'pass', 'pass']) });
    expect(v.status).toBe('INCOMPLETE');
    expect(v.reasons).toEqual(['1 of 4 required cases missing: core/b/4', '1 required cases failed: core/a/1']);
  });

  it('ignores results outside the profile', () => {
    expect(verdict({ results: [...results(['pass', 'pass', 'pass', 'pass']), { id: 'core/z/9', status: 'fail' }] }).status).toBe('CERTIFIED');
  });
});

describe('summary', () => {
  it('counts every status overall and per op family', () => {
    const s = summarize([
      { kind: 'op', subject: 'aten.add.Tensor', family: 'binary', status: 'pass' },
      { kind: 'op', subject: 'aten.add.Tensor', family: 'binary', status: 'fail' },
      { kind: 'op', subject: 'aten.exp.default', family: 'unary', status: 'pass' },
    ]);
    expect(s.total).toBe(3);
    expect(s.byStatus).toMatchObject({ pass: 2, fail: 1, crash: 0, waived: 0 });
    expect(s.byFamily['binary']).toMatchObject({ pass: 1, fail: 1 });
    expect(s.byFamily['unary']).toMatchObject({ pass: 1, fail: 0 });
  });

  it('counts the Core ATen overloads run and passed: an overload passes only when all its cases do', () => {
    const s = summarize([
      { kind: 'op', subject: 'aten.add.Tensor', family: 'binary', status: 'pass' },
      { kind: 'op', subject: 'aten.add.Tensor', family: 'binary', status: 'fail' },
      { kind: 'op', subject: 'aten.exp.default', family: 'unary', status: 'pass' },
      { kind: 'op', subject: 'aten.exp.default', family: 'unary', status: 'waived' },
      // not a core overload, not an op case, not applicable: none counts
      { kind: 'op', subject: 'aten.not_core.default', family: 'unary', status: 'pass' },
      { kind: 'graph', subject: 'aten.mm.default', family: 'mlp', status: 'pass' },
      { kind: 'op', subject: 'aten.sym_numel.default', family: 'shape', status: 'pass' },
    ]);
    expect(s.coverage).toEqual({ overloads: 190, notApplicable: 6, run: 2, passed: 1 });
  });
});
