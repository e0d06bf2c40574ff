import { describe, expect, it } from 'vitest';
import type { Arg } from '../../src/ops/args.js';
import { getOp } from '../../src/ops/registry.js';
import { opCall } from '../../src/ops/types.js';
import { expandSuite } from '../../src/suite/suite.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Recipe } from '../../src/tensor/spec.js';
import type { GraphCase } from '../../src/workload/case.js';
import { graphProblem, type GraphNode } from '../../src/workload/graph.js';
import { models } from './index.js';

const suite = expandSuite(models);
const cases = suite.cases as GraphCase[];

interface Spec {
  dtype: DType;
  shape: number[];
  recipe?: Recipe;
}

/** A node's call with its value references renumbered to the call's own tensors 0..m−1, and the values behind them. */
function local(node: GraphNode): { args: Arg[]; kwargs: Record<string, Arg>; reads: number[] } {
  const reads: number[] = [];
  const at = (v: number) => (reads.includes(v) ? reads.indexOf(v) : reads.push(v) - 1);
  const rewrite = (a: Arg): Arg => (a.kind === 'tensor' ? { kind: 'tensor', index: at(a.index) } : a.kind === 'tensors' ? { kind: 'tensors', indices: a.indices.map(at) } : a);
  return { args: node.args.map(rewrite), kwargs: Object.fromEntries(Object.entries(node.kwargs).map(([k, a]) => [k, rewrite(a)])), reads };
}

/** Binds every node in order, typing its inputs by the outputs of the nodes before it; returns every value's spec. */
function typeValues(c: GraphCase): Spec[] {
  const values: Spec[] = c.inputs.map((s) => ({ dtype: s.dtype, shape: [...s.shape], recipe: s.recipe }));
  for (const node of c.graph.nodes) {
    const op = getOp(node.op);
    if (!op) throw new Error(`${c.id}: node ${node.name} calls ${node.op}, which the catalogue lacks`);
    const call = local(node);
    let outputs;
    try {
      outputs = op.bind(opCall({ args: call.args, kwargs: call.kwargs, inputs: call.reads.map((v) => values[v] as Spec) })).outputs;
    } catch (err) {
      throw new Error(`${c.id}: node ${node.name} (${node.op}): ${err instanceof Error ? err.message : String(err)}`);
    }
    if (outputs.length !== node.outputs) throw new Error(`${c.id}: node ${node.name} yields ${outputs.length} tensors, the graph says ${node.outputs}`);
    for (const o of outputs) values.push({ dtype: o.dtype, shape: [...o.shape] });
  }
  return values;
}

/** what each model returns: [dtype (null: the model dtype), shape] per output */
const OUTPUTS: Record<string, [DType | null, number[]][]> = {
  'mlp-784-512-256-10': [[null, [32, 10]]],
  'resnet-basic-block-16c': [[null, [16, 10]]],
  'llama-2l-128d': [
    [null, [24, 256]],
    [null, [6, 256]],
    ['int64', [7]],
  ],
  'vit-block-128d-p4': [
    [null, [2, 65, 128]],
    [null, [2, 10]],
  ],
  'vit-block-logit-growth': [
    [null, [2, 65, 128]],
    [null, [2, 10]],
  ],
};

describe('the models suite', () => {
  it('has every model in float32, bfloat16 and float16 (logit growth: float32), eager and compiled', () => {
    expect(cases).toHaveLength(4 * 3 * 2 + 2);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    const byModel = new Map<string, string[]>();
    for (const c of cases) {
      expect(c.kind).toBe('graph');
      expect(c.id).toBe(`models/${c.family}/${c.graph.name}/${c.dtype}/${c.mode}`);
      byModel.set(c.graph.name, [...(byModel.get(c.graph.name) ?? []), `${c.dtype}/${c.mode}`]);
    }
    const all = ['float32', 'bfloat16', 'float16'].flatMap((d) => [`${d}/eager`, `${d}/compiled`]);
    for (const name of ['mlp-784-512-256-10', 'resnet-basic-block-16c', 'llama-2l-128d', 'vit-block-128d-p4']) expect(byModel.get(name)).toEqual(all);
    expect(byModel.get('vit-block-logit-growth')).toEqual(['float32/eager', 'float32/compiled']);
    expect(cases.map((c) => c.family).sort()).toEqual([...Array(6).fill('language'), ...Array(6).fill('mlp'), ...Array(14).fill('vision')]);
  });

  it('calls only ops of the catalogue, in well-formed graphs', () => {
    for (const c of cases) {
      expect(graphProblem(c.graph, c.inputs.length), c.id).toBeNull();
      for (const n of c.graph.nodes) expect(getOp(n.op), `${c.id}: ${n.op}`).toBeDefined();
    }
  });

  it('binds every node with the dtypes and shapes of the values before it, and returns the intended outputs', () => {
    for (const c of cases) {
      const values = typeValues(c);
      const want = OUTPUTS[c.graph.name];
      expect(want, c.graph.name).toBeDefined();
      expect(
        c.graph.outputs.map((v) => [values[v]?.dtype, values[v]?.shape]),
        c.id,
      ).toEqual(want?.map(([d, s]) => [d ?? c.dtype, s]));
    }
  });

  it('checks the task outputs: top-1 and cosine on logits, greedy tokens in float32 only', () => {
    for (const c of cases) {
      const cosine = c.dtype === 'float32' ? 0.999999 : 0.999;
      for (const check of c.checks) {
        expect(check.output).toBeLessThan(c.graph.outputs.length);
        if (check.kind === 'cosine') expect(check.min).toBe(cosine);
        if (check.kind === 'top1') expect(check.min).toBe(0.99);
      }
      expect(c.checks.some((k) => k.kind === 'tokens')).toBe(c.graph.name === 'llama-2l-128d' && c.dtype === 'float32');
    }
  });

  it('gives the eager and compiled runs of a dtype the same seed and inputs', () => {
    for (const c of cases.filter((x) => x.mode === 'compiled')) {
      const eager = cases.find((x) => x.id === c.id.replace(/compiled$/, 'eager'));
      expect(eager?.seed).toBe(c.seed);
      expect(eager?.inputs).toEqual(c.inputs);
    }
  });
});
