import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { firstLine } from '../errors.js';
import { GRAPH_PROFILE, graphFileSuite } from '../suite/graph-suite.js';
import type { Suite } from '../suite/suite.js';
import { GRAPH_FILE_IN_RUN, graphFileDigest, parseGraphFile } from '../workload/graph-file.js';
import type { ShippedCatalog } from './verify.js';

/** The graph file a `run --graph` folder holds: its path and sha256, its cases as a suite, or why it is not valid. */
export interface GraphBeside {
  file: string;
  sha256: string;
  suite: Suite | null;
  problem: string | null;
}

/**
 * The graph.json beside a report (PATH a run folder, or a file in one), or null when there is none. A file that
 * cannot be read or is not a valid graph file is returned with its problem: verify reports it as a failed check.
 */
export function graphBeside(path: string): GraphBeside | null {
  const dir = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
  const file = join(dir, GRAPH_FILE_IN_RUN);
  if (!existsSync(file)) return null;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return { file, sha256: '', suite: null, problem: `cannot be read: ${firstLine(err)}` };
  }
  const sha256 = graphFileDigest(bytes);
  try {
    return { file, sha256, suite: graphFileSuite(parseGraphFile(bytes, file), sha256), problem: null };
  } catch (err) {
    return { file, sha256, suite: null, problem: firstLine(err) };
  }
}

/**
 * The catalog that verifies a `run --graph` report: `make` builds it over the shipped suites plus the graph's (so its
 * cases, inputs and outputs are checked like any shipped case's), and the profile GRAPH_PROFILE requires the graph's
 * cases. Without a graph beside the report, the shipped catalog as it is.
 */
export function catalogWithGraph(shipped: readonly Suite[], graph: GraphBeside | null, make: (suites: readonly Suite[]) => ShippedCatalog): ShippedCatalog {
  if (!graph) return make(shipped);
  const suite = graph.suite;
  const catalog = make(suite ? [...shipped, suite] : shipped);
  return {
    ...catalog,
    graph: { file: graph.file, sha256: graph.sha256, problem: graph.problem },
    requiredIds: (profile, benchScale) => (profile === GRAPH_PROFILE && suite ? suite.cases.map((c) => c.id) : catalog.requiredIds(profile, benchScale)),
  };
}
