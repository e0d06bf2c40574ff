import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CaseSchema, type OpCase } from '../workload/case.js';
import { shippedSuites } from '../../suites/index.js';
import { OPS, getOp } from '../ops/registry.js';
import { opCall } from '../ops/types.js';
import { arg } from '../ops/args.js';
import { CaseGroup } from './builder.js';
import { requiredCases, getProfile } from './profile.js';
import { selectCases, parseShard, parseDtypes } from './select.js';
import { expandSuite, findSuite } from './suite.js';
import { UserError } from '../errors.js';

describe('the core suite', () => {
  const core = findSuite(shippedSuites(), 'core');
  const opCases = core.cases.filter((c): c is OpCase => c.kind === 'op');

  it('holds only valid op cases, each filed under its op\'s own family', () => {
    expect(opCases).toHaveLength(core.cases.length);
    for (const c of core.cases) CaseSchema.parse(c);
    const misfiled = opCases.filter((c) => c.family !== getOp(c.op)?.family || c.id.split('/')[1] !== c.family).map((c) => c.id);
    expect(misfiled).toEqual([]);
  });

  it('covers every op of the catalogue, and every call it makes binds', () => {
    const tested = new Set(opCases.map((c) => c.op));
    expect(OPS.map((o) => o.name).filter((name) => !tested.has(name))).toEqual([]);
    const unbound: string[] = [];
    for (const c of opCases) {
      try {
        getOp(c.op)?.bind(opCall(c));
      } catch (err) {
        unbound.push(`${c.id}: ${String(err)}`);
      }
    }
    expect(unbound).toEqual([]);
  });

  it('sweeps every regime every op states, in every dtype the regime applies to', () => {
    const missing: string[] = [];
    for (const op of OPS) {
      for (const regime of op.regimes ?? []) {
        for (const dtype of ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32'] as const) {
          if (regime.recipe(dtype, 0) === null) continue;
          const swept = opCases.some((c) => c.op === op.name && c.dtype === dtype && c.id.endsWith(`-${regime.name}`));
          if (!swept) missing.push(`${op.name} ${regime.name} ${dtype}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('refuses a case group of an op the catalogue lacks, and a suite that declares a case twice', () => {
    expect(() => CaseGroup.of('aten.nope.default')).toThrow(/no aten\.nope\.default/);
    const twice = CaseGroup.of('aten.neg.default').dtypes('float32').shapes({ one: [[3]] }).call((t) => ({ args: [t[0] ?? arg.none()] }));
    expect(() => expandSuite({ name: 's', version: '1', description: 'd', groups: [twice, twice] })).toThrow(/declares case s\/unary\/aten\.neg\.default\/float32\/one twice/);
  });

  it('has the same digest in another process', () => {
    // the built CLI is a separate process with its own expansion
    const out = execFileSync(process.execPath, ['bin/accelcert.js', 'suites', '--json'], { encoding: 'utf8' });
    const listed = JSON.parse(out) as { suites: { name: string; digest: string }[] };
    expect(listed.suites.find((s) => s.name === 'core')?.digest).toBe(core.digest);
  });

  it('profiles require float32 for fp32 and add float16/bfloat16 for lowp', () => {
    const fp32 = requiredCases(getProfile('inference-fp32'), shippedSuites());
    const lowp = requiredCases(getProfile('inference-lowp'), shippedSuites());
    expect(fp32.some((c) => c.dtype === 'float16')).toBe(false);
    expect(lowp.some((c) => c.dtype === 'float16')).toBe(true);
    expect(lowp.length).toBeGreaterThan(fp32.length);
  });

  it('selects by filter, dtype and shard; shards partition the cases', () => {
    const all = opCases;
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
    expect(() => selectCases(core.cases, { filters: ['core/nope'], dtypes: [], shard: null })).toThrow(UserError);
    expect(() => parseDtypes(['float17'])).toThrow(/--dtype "float17" is not a dtype/);
    expect(() => parseShard('3/2')).toThrow(UserError);
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
  });
});
