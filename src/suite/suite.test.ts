import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CaseSchema } from './case.js';
import { shippedSuites } from '../../suites/index.js';
import { requiredCases, getProfile } from './profile.js';
import { selectCases, parseShard, parseDtypes } from './select.js';
import { UserError } from '../errors.js';

describe('the core suite', () => {
  const [core] = shippedSuites();

  it('expands to valid cases with unique hierarchical ids', () => {
    expect(core).toBeDefined();
    const ids = new Set<string>();
    for (const c of core!.cases) {
      CaseSchema.parse(c);
      expect(c.id.startsWith(`core/${c.family}/${c.op}/${c.dtype}/`)).toBe(true);
      ids.add(c.id);
    }
    expect(ids.size).toBe(core!.cases.length);
    expect(core!.cases.length).toBeGreaterThan(500);
  });

  it('has the same digest in another process', () => {
    // the built CLI is a separate process with its own expansion
    const out = execFileSync(process.execPath, ['bin/accelcert.js', 'suites', '--json'], { encoding: 'utf8' });
    const listed = JSON.parse(out) as { suites: { name: string; digest: string }[] };
    expect(listed.suites.find((s) => s.name === 'core')?.digest).toBe(core!.digest);
  });

  it('profiles require float32 for fp32 and add float16/bfloat16 for lowp', () => {
    const fp32 = requiredCases(getProfile('inference-fp32'), shippedSuites());
    const lowp = requiredCases(getProfile('inference-lowp'), shippedSuites());
    expect(fp32.some((c) => c.dtype === 'float16')).toBe(false);
    expect(lowp.some((c) => c.dtype === 'float16')).toBe(true);
    expect(lowp.length).toBeGreaterThan(fp32.length);
  });

  it('selects by filter, dtype and shard; shards partition the cases', () => {
    const all = core!.cases;
    const adds = selectCases(all, { filters: ['core/binary/aten.add.Tensor'], dtypes: [], shard: null });
    expect(adds.length).toBeGreaterThan(10);
    expect(adds.every((c) => c.op === 'aten.add.Tensor')).toBe(true);
    const f16 = selectCases(all, { filters: [], dtypes: ['float16'], shard: null });
    expect(f16.every((c) => c.dtype === 'float16')).toBe(true);
    const parts = [1, 2, 3].map((k) => selectCases(all, { filters: [], dtypes: [], shard: { index: k, count: 3 } }));
    expect(parts.reduce((n, p) => n + p.length, 0)).toBe(all.length);
    expect(new Set(parts.flat().map((c) => c.id)).size).toBe(all.length);
  });

  it('rejects a filter matching nothing, a bad dtype and a bad shard as user errors', () => {
    expect(() => selectCases(core!.cases, { filters: ['core/nope'], dtypes: [], shard: null })).toThrow(UserError);
    expect(() => parseDtypes(['float17'])).toThrow(/--dtype "float17" is not a dtype/);
    expect(() => parseShard('3/2')).toThrow(UserError);
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
  });
});
