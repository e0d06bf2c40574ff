import { core } from '../../suites/core.js';
import { expandSuite, findSuite, type Suite, type SuiteDefinition } from './suite.js';

export type { Suite } from './suite.js';

const DEFINITIONS: readonly SuiteDefinition[] = [core];

let cache: Suite[] | null = null;

/** Every suite this accelcert version ships, expanded (once per process). */
export function loadSuites(): Suite[] {
  cache ??= DEFINITIONS.map(expandSuite);
  return cache;
}

export function getSuite(name: string): Suite {
  return findSuite(loadSuites(), name);
}
