import { expandSuite, type Suite, type SuiteDefinition } from '../src/suite/suite.js';
import { bench } from './bench/index.js';
import { collectives } from './collectives/index.js';
import { core } from './core/index.js';
import { models } from './models/index.js';

/**
 * Every suite this accelcert version ships, in listing order. The suite machinery in src/suite knows no suite;
 * the commands that need the shipped ones (run, suites, verify) take them from here.
 */
export const SUITE_DEFINITIONS: readonly SuiteDefinition[] = [core, models, bench, collectives];

let cache: Suite[] | null = null;

/** The shipped suites, expanded once per process. */
export function shippedSuites(): Suite[] {
  cache ??= SUITE_DEFINITIONS.map(expandSuite);
  return cache;
}
