import { localCall } from '../../workload/graph-typing.js';
import { getOp } from '../../ops/registry.js';
import { opCall } from '../../ops/types.js';
import { DTYPES } from '../../tensor/dtype.js';
import { fromValues, toRef } from '../../tensor/materialize.js';
import { HARNESS_VERSION } from '../../version.js';
import type { DeviceInfo } from '../../device/device.js';
import type { TensorData } from '../../tensor/tensor.js';
import type { Driver, ExecRequest, ExecResult, Session } from '../types.js';
import { benchRun, timeInProcess } from '../tinybench.js';
import { simulateCollective } from './collective.js';

type OpRequest = Extract<ExecRequest, { kind: 'op' }>;
type GraphRequest = Extract<ExecRequest, { kind: 'graph' }>;

export const REFERENCE_DEVICE: DeviceInfo = {
  device: 'reference',
  fingerprint: {
    vendor: 'accelcert',
    model: 'float64 reference oracle',
    memoryBytes: null,
    driverVersion: null,
    framework: { name: 'accelcert', version: HARNESS_VERSION },
    extra: {},
  },
};

/**
 * The reference device's generator (xorshift128+, 53-bit uniforms in [0, 1)): seeded once, so a reference run is
 * reproducible, and advancing with every draw, so successive calls of a random op differ as on any device.
 */
const referenceGenerator = (() => {
  let s0 = 0x9e3779b97f4a7c15n;
  let s1 = 0xbf58476d1ce4e5b9n;
  const mask = (1n << 64n) - 1n;
  return (): number => {
    let x = s0;
    const y = s1;
    s0 = y;
    x = (x ^ (x << 23n)) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return Number(((s1 + y) & mask) >> 11n) / 2 ** 53;
  };
})();

/**
 * Computes a case the way the oracle does (float64, then correctly rounded to the output dtype): an op, or a graph
 * node by node as an eager device does (every node's outputs rounded to their dtype). Exported so that test drivers
 * can start from a correct device and inject one fault.
 */
export function referenceExec(req: ExecRequest): ExecResult {
  if (req.kind === 'graph') return graphExec(req, referenceOpExec);
  if (req.kind === 'collective') return simulateCollective(req.collective, req.inputs[0] as TensorData);
  if (req.kind !== 'op') return { ok: false, error: { kind: 'unsupported', message: `the reference device runs op, graph and collective workloads, not ${req.kind}` } };
  return referenceOpExec(req);
}

/**
 * Runs a graph eagerly, node by node, each node through `opExec` (the reference's, or a test device's with a fault
 * injected into some ops). Both modes run this way: the reference has no compiler. A node's failure names the node.
 */
export function graphExec(req: GraphRequest, opExec: (req: OpRequest) => ExecResult): ExecResult {
  const values: TensorData[] = req.inputs.slice();
  for (const node of req.graph.nodes) {
    const call = localCall(node);
    const inputs = call.reads.map((v) => values[v] as TensorData);
    const r = opExec({ kind: 'op', caseId: `${req.caseId}#${node.name}`, op: node.op, args: call.args, kwargs: call.kwargs, inputs });
    if (!r.ok) return { ok: false, error: { kind: r.error.kind, message: `node ${node.name} (${node.op}): ${r.error.message}` } };
    if (r.outputs.length !== node.outputs) {
      return { ok: false, error: { kind: 'runtime', message: `node ${node.name} (${node.op}) returned ${r.outputs.length} tensors, the graph says ${node.outputs}` } };
    }
    values.push(...r.outputs);
  }
  return { ok: true, outputs: req.intermediates ? values.slice(req.inputs.length) : req.graph.outputs.map((v) => values[v] as TensorData) };
}

function referenceOpExec(req: OpRequest): ExecResult {
  const op = getOp(req.op);
  if (!op) return { ok: false, error: { kind: 'unsupported', message: `${req.op} is not in the reference op catalogue` } };
  const bound = op.bind(opCall(req));
  const inputs = req.inputs.map(toRef);
  const outs = bound.sample ? bound.sample(inputs, referenceGenerator) : bound.reference(inputs);
  return {
    ok: true,
    outputs: bound.outputs.map((spec, i) => fromValues(spec.dtype, spec.shape, (outs[i] ?? { values: new Float64Array() }).values)),
  };
}

/**
 * A session that runs `exec` in process; the base of the reference driver and of in-process test drivers. Benchmarks
 * are timed with tinybench around `exec` of one run.
 */
export function inProcessSession(device: DeviceInfo, exec: (req: ExecRequest) => ExecResult): Session {
  return {
    device,
    capabilities: {
      dtypes: [...DTYPES],
      ops: null,
      features: ['in-process'],
      workloads: { op: 1, graph: 1, bench: 1, collective: 1 },
      // simulated ranks (collective.ts): as many as the largest world size the suite asks for
      collectives: { backend: 'simulated ring', maxRanks: 8, composed: {} },
    },
    exec: (req) => (req.kind === 'bench' ? timeInProcess(req.bench, () => exec(benchRun(req))) : Promise.resolve(exec(req))),
    close: () => Promise.resolve(),
  };
}

/** The oracle as a device: the harness's self-test. Every required case must pass on it. */
export const referenceDriver: Driver = {
  name: 'reference',
  description: 'the float64 oracle run as a device (self-test of the harness)',
  availability: () => Promise.resolve({ usable: true, reason: 'built in' }),
  discover: () => Promise.resolve([REFERENCE_DEVICE]),
  open: () => Promise.resolve(inProcessSession(REFERENCE_DEVICE, referenceExec)),
};
