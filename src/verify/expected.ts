import { firstLine } from '../errors.js';
import type { Report } from '../report/schema.js';

/*
 * Evidence against fabrication. The metrics a report records can be written to say "pass" whatever the device
 * returned, but where a case's acceptance rules admit exactly one answer (integers, copies and comparisons judged
 * `exact` or `exact(signed-zero)`, IEEE operations judged `correctly-rounded`), the device's output bytes are known
 * before it runs: the shipped case with the report's seed gives the inputs, the float64 reference gives each element,
 * rounded to the output dtype as the judge rounds it. The `outputDigest` of every such passing result must then be
 * sha256 of those bytes (runner/oracle.ts `computeExpectedDigest`). A result whose rules admit several answers (a
 * tolerance; a zero whose sign is free; a tie; a NaN, whose
 * payload is free) proves nothing this way and is left out. In the inference-fp32 profile this checks 12,051 of the
 * 16,225 required cases (74.3%), most of them integer and bool outputs; over 1,246 have float outputs, over 181 of them
 * correctly rounded (docs/numerics.md, "Expected-output digests").
 */

/** How many per-case lines the check keeps in its details, as verify's other checks do. */
const MAX_DETAILS = 50;

/**
 * What the check reads of verify's ShippedCatalog (verify.ts imports this module, so the catalog is described here by
 * shape): where each shipped case is, and the digest of the one answer its rules admit, null when they admit more than
 * one; throws when the expectation cannot be computed.
 */
export interface ExpectedDigestCatalog<C extends { id: string }> {
  suites: readonly { cases: readonly C[] }[];
  expectedDigest?(c: C, seed: string | null): string | null;
}

export interface ExpectedOutputsCheck {
  state: 'ok' | 'fail' | 'warn';
  /** one sentence */
  message: string;
  details: string[];
}

/**
 * Every passing result whose rules admit one answer records the digest of that answer. Results that did not pass
 * are left out (a failure records a wrong answer by definition, a waived one too), and so are cases whose expectation
 * cannot be computed (counted in the message). Call the catalog's `prepareExpectedDigests` first to compute on threads.
 */
export function expectedOutputsCheck<C extends { id: string }>(report: Report, catalog: ExpectedDigestCatalog<C>): ExpectedOutputsCheck {
  if (!catalog.expectedDigest) {
    return { state: 'warn', message: 'this catalog cannot compute expected outputs, so no output digest is checked against the only answer its rules admit', details: [] };
  }
  const shipped = new Map<string, C>();
  for (const s of catalog.suites) for (const c of s.cases) shipped.set(c.id, c);
  const seed = report.selection.seed ?? null;
  const mismatches: string[] = [];
  const uncomputable: string[] = [];
  let checked = 0;
  for (const r of report.results) {
    if (r.status !== 'pass') continue;
    const c = shipped.get(r.id);
    let digest: string | null;
    try {
      if (!c) throw new Error('not a shipped case');
      digest = catalog.expectedDigest(c, seed);
    } catch (err) {
      uncomputable.push(`${r.id}: ${firstLine(err)}`);
      continue;
    }
    if (digest === null) continue;
    checked += 1;
    if (r.outputDigest !== digest) mismatches.push(`${r.id}: outputDigest ${r.outputDigest ?? 'null'}, expected ${digest}`);
  }
  if (mismatches.length > 0) {
    return {
      state: 'fail',
      message: `${mismatches.length} results record outputs other than the only answer their rules admit; first: ${mismatches[0]}`,
      details: mismatches.slice(0, MAX_DETAILS),
    };
  }
  const skipped = uncomputable.length > 0 ? `; ${uncomputable.length} whose expected outputs cannot be computed are not checked` : '';
  return {
    state: 'ok',
    message: `${checked} results with a single admissible answer (exact or correctly rounded) have the output digest their inputs give${skipped}`,
    details: uncomputable.slice(0, MAX_DETAILS),
  };
}
