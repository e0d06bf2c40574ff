import { arg } from '../ops/args.js';
import type { InputSpec } from '../tensor/spec.js';
import type { GraphFile } from '../workload/graph-file.js';

/**
 * A small graph file written by hand, valid without PyTorch: relu of a linear layer (weight, bias, then the input x),
 * judged by a cosine check. Tests give its name, its three inputs and the test module that wrote it.
 */
export function linearReluGraph(name: string, inputs: [InputSpec, InputSpec, InputSpec], module: string): GraphFile {
  return {
    format: 'accelcert-graph',
    version: 1,
    name,
    family: 'captured',
    dtype: 'float32',
    graph: {
      name,
      placeholders: [
        { name: 'p_weight', kind: 'parameter' },
        { name: 'p_bias', kind: 'parameter' },
        { name: 'x', kind: 'input' },
      ],
      nodes: [
        { name: 'permute', op: 'aten.permute.default', args: [arg.tensor(0), arg.ints([1, 0])], kwargs: {}, outputs: 1 },
        { name: 'addmm', op: 'aten.addmm.default', args: [arg.tensor(1), arg.tensor(2), arg.tensor(3)], kwargs: {}, outputs: 1 },
        { name: 'relu', op: 'aten.relu.default', args: [arg.tensor(4)], kwargs: {}, outputs: 1 },
      ],
      outputs: [5],
    },
    inputs,
    checks: [{ kind: 'cosine', output: 0, min: 0.999999 }],
    source: { torch: 'by hand', module, tracer: 'none', keptWeights: true },
  };
}
