import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { UserError } from '../errors.js';
import { inputSpecProblem } from '../tensor/materialize.js';
import type { Case } from '../workload/case.js';

/** A named, versioned set of cases; its digest is the sha256 of the canonical (RFC 8785) expanded case list. */
export interface Suite {
  name: string;
  version: string;
  description: string;
  digest: string;
  cases: Case[];
}

export interface SuiteDefinition {
  name: string;
  version: string;
  description: string;
  /** case groups: op case groups (builder.ts) and model groups (graph-builder.ts) */
  groups: { expand(suite: string): Case[] }[];
}

export function expandSuite(def: SuiteDefinition): Suite {
  const cases = def.groups.flatMap((g) => g.expand(def.name));
  const seen = new Set<string>();
  for (const c of cases) {
    // a duplicate id is a bug in the suite file, not a user error
    if (seen.has(c.id)) throw new Error(`suite ${def.name} declares case ${c.id} twice`);
    seen.add(c.id);
    // a recipe the dtype cannot hold, or a layout the shape cannot take, is a bug in the suite file
    const problem = c.inputs.map(inputSpecProblem).find((x) => x !== null);
    if (problem) throw new Error(`suite ${def.name} case ${c.id}: ${problem}`);
  }
  return { name: def.name, version: def.version, description: def.description, digest: digestCases(cases), cases };
}

export function digestCases(cases: readonly Case[]): string {
  const text = canonicalize(cases);
  if (text === undefined) throw new Error('case list cannot be canonicalised');
  return createHash('sha256').update(text).digest('hex');
}

export function findSuite(suites: readonly Suite[], name: string): Suite {
  const s = suites.find((x) => x.name === name);
  if (!s) throw new UserError(`unknown suite "${name}"; known suites: ${suites.map((x) => x.name).join(', ')}`);
  return s;
}
