import { arg, type Arg } from '../ops/args.js';
import type { DType } from '../tensor/dtype.js';
import { seedFromId } from '../tensor/prng.js';
import type { InputSpec, Recipe } from '../tensor/spec.js';
import type { GraphCase } from '../workload/case.js';
import { GraphSchema, graphProblem, type Graph, type GraphMode, type Placeholder, type TaskCheck } from '../workload/graph.js';

/** A value of a graph under construction: its number (inputs first, then node outputs in order). */
export interface Value {
  readonly value: number;
}

/** What a node call takes: ATen arguments, values (become `tensor` args) and lists of values (`tensors`). */
export type NodeArg = Arg | Value | readonly Value[];

function toArg(a: NodeArg): Arg {
  if (Array.isArray(a)) return arg.tensors((a as readonly Value[]).map((v) => v.value));
  if ('value' in a && !('kind' in a)) return arg.tensor(a.value);
  return a as Arg;
}

/**
 * Builds a graph in the shape of an FX / torch.export graph: placeholders (inputs, parameters, buffers), then nodes
 * calling ATen overloads, then outputs. Names are made unique the way FX does (`addmm`, `addmm_1`, …).
 */
export class GraphBuilder {
  private readonly placeholders: Placeholder[] = [];
  private readonly specs: InputSpec[] = [];
  private readonly nodes: Graph['nodes'] = [];
  private readonly used = new Map<string, number>();
  private defined = 0;

  constructor(readonly name: string) {}

  /** A placeholder with its input spec; every placeholder comes before the first node. */
  placeholder(name: string, kind: Placeholder['kind'], spec: InputSpec): Value {
    if (this.nodes.length > 0) throw new Error(`graph ${this.name}: placeholder ${name} declared after a node`);
    this.placeholders.push({ name: this.unique(name), kind });
    this.specs.push(spec);
    return { value: this.defined++ };
  }

  /** A user input. */
  input(name: string, spec: InputSpec): Value {
    return this.placeholder(name, 'input', spec);
  }

  /** A parameter drawn from `recipe` (the initialisation real models use), contiguous. */
  param(name: string, dtype: DType, shape: number[], recipe: Recipe): Value {
    return this.placeholder(name, 'parameter', { dtype, shape, layout: { kind: 'contiguous' }, recipe });
  }

  /** A buffer (a module's running statistics) drawn from `recipe`, contiguous. */
  buffer(name: string, dtype: DType, shape: number[], recipe: Recipe): Value {
    return this.placeholder(name, 'buffer', { dtype, shape, layout: { kind: 'contiguous' }, recipe });
  }

  /** A node yielding one tensor; `name` defaults to the op's base name, made unique. */
  call(op: string, args: readonly NodeArg[], kwargs: Record<string, NodeArg> = {}, name?: string): Value {
    return this.callMany(op, 1, args, kwargs, name)[0] as Value;
  }

  /** A node yielding `outputs` tensors (native_layer_norm: 3). */
  callMany(op: string, outputs: number, args: readonly NodeArg[], kwargs: Record<string, NodeArg> = {}, name?: string): Value[] {
    const base = name ?? (op.split('.')[1] as string);
    this.nodes.push({
      name: this.unique(base),
      op,
      args: args.map(toArg),
      kwargs: Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, toArg(v)])),
      outputs,
    });
    return Array.from({ length: outputs }, () => ({ value: this.defined++ }));
  }

  /** The finished graph returning `outputs`, and its inputs' specs; throws on a malformed graph (a suite bug). */
  build(outputs: readonly Value[]): { graph: Graph; inputs: InputSpec[] } {
    const graph = GraphSchema.parse({ name: this.name, placeholders: this.placeholders, nodes: this.nodes, outputs: outputs.map((v) => v.value) });
    const problem = graphProblem(graph, this.specs.length);
    if (problem) throw new Error(`graph ${this.name}: ${problem}`);
    return { graph, inputs: this.specs.slice() };
  }

  private unique(base: string): string {
    const n = this.used.get(base) ?? 0;
    this.used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }
}

/** A model as a suite declares it: its family, and per dtype its graph, inputs and task checks. */
export interface ModelDefinition {
  /** the case family (`vision`, `language`, `mlp`): one id segment */
  family: string;
  /** the model's name and the subject its results are filed under, e.g. `mlp-784-512-10` */
  name: string;
  dtypes: DType[];
  modes: GraphMode[];
  build(dtype: DType): { graph: Graph; inputs: InputSpec[]; checks: TaskCheck[] };
}

/**
 * The cases of a model: one per dtype and mode, `suite/family/name/dtype/mode`. The modes of a dtype share their
 * seed (that of `suite/family/name/dtype`), so eager and compiled runs see the same weights and inputs.
 */
export function modelCases(suite: string, def: ModelDefinition): GraphCase[] {
  return def.dtypes.flatMap((dtype) => {
    const { graph, inputs, checks } = def.build(dtype);
    if (graph.name !== def.name) throw new Error(`model ${def.name} builds a graph named ${graph.name}`);
    const stem = `${suite}/${def.family}/${def.name}/${dtype}`;
    const seed = seedFromId(stem);
    return def.modes.map((mode): GraphCase => ({ kind: 'graph', id: `${stem}/${mode}`, suite, family: def.family, dtype, inputs, seed, graph, mode, checks }));
  });
}

/** A suite group of models (SuiteDefinition.groups). */
export function modelGroup(...defs: ModelDefinition[]): { expand(suite: string): GraphCase[] } {
  return { expand: (suite) => defs.flatMap((d) => modelCases(suite, d)) };
}
