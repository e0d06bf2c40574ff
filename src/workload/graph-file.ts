import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { firstIssue, firstLine, UserError } from '../errors.js';
import { getOp } from '../ops/registry.js';
import { DTypeSchema } from '../tensor/dtype.js';
import { inputSpecProblem } from '../tensor/materialize.js';
import { seedFromId } from '../tensor/prng.js';
import { InputSpecSchema } from '../tensor/spec.js';
import type { GraphCase } from './case.js';
import { typeGraph } from './graph-typing.js';
import { GraphSchema, graphProblem, GraphModeSchema, PlaceholderSchema, TaskCheckSchema, type GraphMode } from './graph.js';

/*
 * A model brought by its user (docs/graphs.md): one JSON file holding an ATen graph as `graph capture` writes it
 * (src/drivers/pytorch/capture.py), its inputs as input specs, its task checks, and where it came from. `run --graph
 * FILE` runs its cases instead of a profile's.
 */

export const GRAPH_FILE_FORMAT = 'accelcert-graph';
export const GRAPH_FILE_VERSION = 1;
/** The run folder's copy of a `run --graph` file: the bytes whose sha256 the report records, which `verify` reads back. */
export const GRAPH_FILE_IN_RUN = 'graph.json';
/** The suite a graph file's cases are filed under (`graph/<family>/<name>/<dtype>/<mode>`). */
export const GRAPH_FILE_SUITE = 'graph';

/** One case-id segment, as families are spelled (case.ts). */
const FamilySchema = z.string().regex(/^[a-z][a-z0-9-]*$/, 'one id segment: lowercase letters, digits and -, starting with a letter');
/** A model's name: one case-id segment. */
const ModelNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'one id segment: letters, digits, ., _ and -');

export const GraphFileSchema = z.strictObject({
  format: z.literal(GRAPH_FILE_FORMAT),
  version: z.literal(GRAPH_FILE_VERSION),
  /** the model's name: the subject its cases are filed under (and the graph's own name) */
  name: ModelNameSchema,
  /** the case family, one id segment */
  family: FamilySchema.default('captured'),
  /** the dtype the cases are filed under (the model's main float dtype) */
  dtype: DTypeSchema,
  /** the graph, with its placeholders (one per input, in order) */
  graph: GraphSchema.extend({ placeholders: z.array(PlaceholderSchema) }),
  /** one input spec per placeholder: user inputs, parameters, buffers and constants */
  inputs: z.array(InputSpecSchema),
  /** task-level checks of the outputs, on top of the per-value bounds */
  checks: z.array(TaskCheckSchema).default([]),
  /** where the graph came from: PyTorch's version, the module (`file.py:Class`), the tracer, and whether the module's own weights were kept */
  source: z.object({ torch: z.string(), module: z.string(), tracer: z.string(), keptWeights: z.boolean() }),
});
export type GraphFile = z.infer<typeof GraphFileSchema>;

/** The modes a graph file's model runs in, one case each. */
export const GRAPH_FILE_MODES: readonly GraphMode[] = GraphModeSchema.options;

/**
 * Why a parsed graph file is not runnable, as the end of a sentence after its path, or null: its name and the graph's,
 * the graph's structure (graphProblem), every input spec, every node's op (defined by accelcert) and call (binds with
 * the dtypes and shapes flowing into it), and the checks' output positions.
 */
export function graphFileProblem(file: GraphFile): string | null {
  const { graph } = file;
  if (graph.name !== file.name) return `graph.name is ${JSON.stringify(graph.name)}, but name is ${JSON.stringify(file.name)}`;
  const structure = graphProblem(graph, file.inputs.length);
  if (structure) return structure;
  for (const [i, spec] of file.inputs.entries()) {
    const problem = inputSpecProblem(spec);
    if (problem) return `field inputs.${i} (placeholder ${graph.placeholders[i]?.name ?? '?'}): ${problem}`;
  }
  for (const node of graph.nodes) {
    if (!getOp(node.op)) return `node ${node.name} calls ${node.op}, which accelcert does not define`;
  }
  // every node bound with the dtypes and shapes it reads: a call PyTorch would refuse, or a wrong output count
  try {
    typeGraph(graph, file.inputs);
  } catch (err) {
    return firstLine(err);
  }
  for (const [i, check] of file.checks.entries()) {
    if (check.output >= graph.outputs.length) return `field checks.${i}: output ${check.output} is not one of the graph's ${graph.outputs.length} outputs`;
  }
  return null;
}

/** A graph file from its bytes, validated; anything wrong is one sentence naming the file and the field (exit 2). */
export function parseGraphFile(bytes: Buffer, path: string): GraphFile {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new UserError(`${path} is not JSON`);
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (typeof value === 'object' && value !== null && format !== GRAPH_FILE_FORMAT) {
    throw new UserError(`${path} is not an accelcert graph file: field format is ${JSON.stringify(format ?? null)}, not "${GRAPH_FILE_FORMAT}"`);
  }
  const parsed = GraphFileSchema.safeParse(value);
  if (!parsed.success) throw new UserError(`${path} is not a valid accelcert graph file: field ${firstIssue(parsed.error)}`);
  const problem = graphFileProblem(parsed.data);
  if (problem) throw new UserError(`${path}: ${problem}`);
  return parsed.data;
}

/** sha256 of a graph file's bytes, in lowercase hex: what a report records and `verify` compares. */
export function graphFileDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads and validates a graph file; also gives its bytes and their sha256. One sentence naming the file on bad input. */
export function loadGraphFile(path: string): { file: GraphFile; bytes: Buffer; digest: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${code ?? String(err)}`);
  }
  return { file: parseGraphFile(bytes, path), bytes, digest: graphFileDigest(bytes) };
}

/**
 * The cases of a graph file: one per mode, `graph/<family>/<name>/<dtype>/<mode>`, as a suite's model cases are
 * (src/suite/graph-builder.ts). The modes share one seed, drawn from the case stem and the file's sha256 `digest`, so
 * eager and compiled runs see the same inputs and another file under the same name draws other ones.
 */
export function graphFileCases(file: GraphFile, digest: string): GraphCase[] {
  const stem = `${GRAPH_FILE_SUITE}/${file.family}/${file.name}/${file.dtype}`;
  const seed = seedFromId(`${stem}@sha256:${digest}`);
  return GRAPH_FILE_MODES.map((mode): GraphCase => ({
    kind: 'graph',
    id: `${stem}/${mode}`,
    suite: GRAPH_FILE_SUITE,
    family: file.family,
    dtype: file.dtype,
    inputs: file.inputs,
    seed,
    graph: file.graph,
    mode,
    checks: file.checks,
  }));
}
