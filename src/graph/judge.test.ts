import { describe, expect, it } from 'vitest';
import { graphExec, inProcessSession, REFERENCE_DEVICE, referenceExec } from '../drivers/reference/driver.js';
import type { ExecRequest, ExecResult } from '../drivers/types.js';
import { arg } from '../ops/args.js';
import { executeCases } from '../runner/execute.js';
import type { CaseResult } from '../runner/result.js';
import { GraphBuilder, modelCases } from '../suite/graph-builder.js';
import { fromValues, toRef } from '../tensor/materialize.js';
import type { DType } from '../tensor/dtype.js';
import { roundToFloat } from '../tensor/dtype.js';
import type { GraphCase } from '../workload/case.js';

/**
 * A two-layer classifier with a softmax head: logits = relu(x·W1 + b1)·W2, probabilities = softmax(logits · s).
 * `s` scales the logits (a large s drives them past where e^x overflows float32).
 */
function classifier(dtype: DType, scale: number): GraphCase[] {
  return modelCases('t', {
    family: 'mlp',
    name: 'tiny-classifier',
    dtypes: [dtype],
    modes: ['eager'],
    build: (dt) => {
      const g = new GraphBuilder('tiny-classifier');
      const x = g.input('x', { dtype: dt, shape: [32, 64], layout: { kind: 'contiguous' }, recipe: { kind: 'normal', mean: 0, std: 1 } });
      const w1 = g.param('w1', dt, [64, 48], { kind: 'uniform', low: -0.125, high: 0.125 });
      const b1 = g.param('b1', dt, [48], { kind: 'uniform', low: -0.125, high: 0.125 });
      const w2 = g.param('w2', dt, [48, 10], { kind: 'uniform', low: -0.144, high: 0.144 });
      const h = g.call('aten.relu.default', [g.call('aten.addmm.default', [b1, x, w1])]);
      const logits = g.call('aten.mm.default', [h, w2]);
      const scaled = g.call('aten.mul.Scalar', [logits, arg.float(scale)]);
      const probs = g.call('aten._softmax.default', [scaled, arg.int(-1), arg.bool(false)]);
      const { graph, inputs } = g.build([logits, probs]);
      return { graph, inputs, checks: [{ kind: 'top1', output: 0, min: 0.99 }, { kind: 'cosine', output: 0, min: dt === 'float32' ? 0.999999 : 0.999 }] };
    },
  });
}

type OpRequest = Extract<ExecRequest, { kind: 'op' }>;

/** The reference device, with `fault` answering the ops it names. */
async function runWith(cases: GraphCase[], fault: (req: OpRequest) => ExecResult | null = () => null): Promise<CaseResult[]> {
  const opExec = (req: OpRequest): ExecResult => fault(req) ?? referenceExec(req);
  const session = inProcessSession(REFERENCE_DEVICE, (req) => (req.kind === 'graph' ? graphExec(req, opExec) : req.kind === 'op' ? opExec(req) : referenceExec(req)));
  const out = await executeCases(session, cases, { timeoutMs: 10_000, depth: 1, reopen: () => Promise.resolve(session), onResult: () => undefined });
  return out.results;
}

/** softmax as e^x / Σe^x in float32, without subtracting the maximum first */
function softmaxNoMax(req: OpRequest): ExecResult | null {
  if (req.op !== 'aten._softmax.default') return null;
  const t = toRef(req.inputs[0]!);
  const n = t.shape.at(-1)!;
  const out = new Float64Array(t.values.length);
  for (let r = 0; r < t.values.length / n; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s = Math.fround(s + Math.fround(Math.exp(t.values[r * n + i]!)));
    for (let i = 0; i < n; i++) out[r * n + i] = Math.fround(Math.fround(Math.exp(t.values[r * n + i]!)) / s);
  }
  return { ok: true, outputs: [fromValues(t.dtype, t.shape, out)] };
}

describe('judging a model against its float64 interpretation', () => {
  it('passes the reference device run eagerly, node by node, and records each output and check', async () => {
    const [r] = await runWith(classifier('float32', 1));
    expect(r?.status).toBe('pass');
    expect(r?.outputs.map((o) => o.rule)).toEqual([
      'model(mm, float32 path)',
      'model(_softmax, float32 path)',
      'top1≥0.99',
      'cosine≥0.999999',
    ]);
    expect(r?.divergence).toBeUndefined();
    expect(r?.outputs[0]!.margin).toBeLessThan(0.5);
  });

  it('names the first node out of bound: a softmax without max subtraction, once logits pass 88.7', async () => {
    const [ordinary] = await runWith(classifier('float32', 1), softmaxNoMax);
    expect(ordinary?.status).toBe('pass');
    const [large] = await runWith(classifier('float32', 400), softmaxNoMax);
    expect(large?.status).toBe('fail');
    expect(large?.divergence).toMatchObject({ node: '_softmax', op: 'aten._softmax.default', output: 1 });
    expect(large?.message).toMatch(/^first node out of bound: _softmax \(aten\._softmax\.default\), /);
  });

  it('names an intermediate node, and records its metrics after the checks, when the defect is inside', async () => {
    // addmm with float32 operands rounded to bfloat16 first (a reduced-precision GEMM)
    const bf16Operands = (req: OpRequest): ExecResult | null => {
      if (req.op !== 'aten.addmm.default') return null;
      const inputs = req.inputs.map((t, i) => (i === 0 ? t : fromValues('float32', t.shape, toRef(t).values.map((v) => roundToFloat('bfloat16', v)))));
      return referenceExec({ ...req, inputs });
    };
    const [r] = await runWith(classifier('float32', 1), bf16Operands);
    expect(r?.status).toBe('fail');
    expect(r?.divergence).toMatchObject({ node: 'addmm', op: 'aten.addmm.default', output: 4 });
    expect(r?.outputs[4]!.rule).toBe('model(addmm, float32 path)');
    expect(r?.outputs[4]!.margin).toBeGreaterThan(1);
  });

  it('accepts a correctly rounded bfloat16 run under the bfloat16 bound and checks', async () => {
    const [r] = await runWith(classifier('bfloat16', 1));
    expect(r?.status).toBe('pass');
  });

  /** logits → argmax → embedding of the chosen token: a greedy decoding step */
  function decodeStep(logits: number[]): GraphCase[] {
    return modelCases('t', {
      family: 'language',
      name: 'decode-step',
      dtypes: ['float32'],
      modes: ['eager'],
      build: (dt) => {
        const g = new GraphBuilder('decode-step');
        const x = g.input('x', { dtype: dt, shape: [1, logits.length], layout: { kind: 'contiguous' }, recipe: { kind: 'values', values: logits } });
        const table = g.param('table', dt, [logits.length, 3], { kind: 'normal', mean: 0, std: 1 });
        const scaled = g.call('aten.mul.Scalar', [x, arg.float(1)]);
        const token = g.call('aten.argmax.default', [scaled, arg.int(-1), arg.bool(false)]);
        const { graph, inputs } = g.build([g.call('aten.embedding.default', [table, token])]);
        return { graph, inputs, checks: [] };
      },
    });
  }
  /** argmax that picks index 1 wherever the reference would pick another */
  const picksOne = (req: OpRequest): ExecResult | null => (req.op === 'aten.argmax.default' ? { ok: true, outputs: [fromValues('int64', [1], [1])] } : null);

  it('leaves a token chosen differently at a tie (the two best logits within the bound) and what follows it uncompared', async () => {
    const [tie] = await runWith(decodeStep([0.5, 2, 2 + 2 ** -22, -1]), picksOne);
    expect(tie?.status).toBe('pass');
    expect(tie?.outputs[0]?.rule).toBe('not compared(embedding): follows a token chosen differently at a tie');
  });

  it('fails a token chosen differently where the reference ranks it clearly lower, naming the argmax', async () => {
    const [clear] = await runWith(decodeStep([0.5, 2, 3, -1]), picksOne);
    expect(clear?.status).toBe('fail');
    expect(clear?.divergence).toMatchObject({ node: 'argmax', op: 'aten.argmax.default' });
  });
});
