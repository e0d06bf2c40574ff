import { describe, expect, it } from 'vitest';
import { arg } from '../ops/args.js';
import { GraphSchema, graphProblem, type Graph } from './graph.js';

const node = (name: string, op: string, refs: number[], outputs = 1) => ({ name, op, args: refs.map((r) => arg.tensor(r)), kwargs: {}, outputs });

describe('graphs of ATen calls', () => {
  // values: inputs 0 (x) and 1 (w), then mm → 2, relu → 3
  const mlp: Graph = GraphSchema.parse({ name: 'mlp', nodes: [node('mm', 'aten.mm.default', [0, 1]), node('relu', 'aten.relu.default', [2])], outputs: [3] });

  it('number values inputs first, then each node output in order', () => {
    expect(graphProblem(mlp, 2)).toBeNull();
    // a node yielding three tensors defines three values
    const ln = GraphSchema.parse({ name: 'ln', nodes: [node('ln', 'aten.native_layer_norm.default', [0], 3), node('neg', 'aten.neg.default', [3])], outputs: [4, 2] });
    expect(graphProblem(ln, 1)).toBeNull();
  });

  it('refuse a read of a value not yet defined, a repeated node name and an output beyond the values', () => {
    expect(graphProblem(mlp, 1)).toBe('node mm reads value 1, which is not defined before it (1 values are)');
    const forward = { ...mlp, nodes: [node('relu', 'aten.relu.default', [2]), node('mm', 'aten.mm.default', [0, 1])] };
    expect(graphProblem(forward, 2)).toMatch(/^node relu reads value 2/);
    const twice = { ...mlp, nodes: [mlp.nodes[0]!, { ...mlp.nodes[1]!, name: 'mm' }] };
    expect(graphProblem(twice, 2)).toBe('node name mm is used twice');
    expect(graphProblem({ ...mlp, outputs: [4] }, 2)).toBe('the graph returns value 4, but only 4 values are defined');
  });

  it('refuse nodes that call something other than an ATen overload', () => {
    expect(GraphSchema.safeParse({ ...mlp, nodes: [node('mm', 'torch.mm', [0, 1])] }).success).toBe(false);
    expect(GraphSchema.safeParse({ ...mlp, nodes: [] }).success).toBe(false);
  });
});
