import { GRAPH_FILE_SUITE, GRAPH_FILE_VERSION, graphFileCases, type GraphFile } from '../workload/graph-file.js';
import { digestCases, type Suite } from './suite.js';

/**
 * The profile name a `run --graph FILE` report records: its required cases are the graph file's own (every mode), so
 * its verdict covers that model only. No shipped profile has this name.
 */
export const GRAPH_PROFILE = 'graph';

/**
 * A graph file's cases as a suite (`graph`), whose digest is that of its expanded cases like any suite's; `digest` is
 * the file's sha256, which the cases' seed is drawn from (graphFileCases).
 */
export function graphFileSuite(file: GraphFile, digest: string): Suite {
  const cases = graphFileCases(file, digest);
  return {
    name: GRAPH_FILE_SUITE,
    version: String(GRAPH_FILE_VERSION),
    description: `the model ${file.name} of a graph file (${file.source.module}, traced by ${file.source.tracer})`,
    digest: digestCases(cases),
    cases,
  };
}
