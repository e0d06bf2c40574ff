import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, signEnvelope, type Envelope } from './dsse.js';
import { reportBytes, sha256Hex } from '../report/build.js';
import type { Report } from '../report/schema.js';
import canonicalize from 'canonicalize';

export const REPORT_SUBJECT_NAME = 'report.json';

/** in-toto Statement v1 as accelcert writes it; the report itself is checked separately against ReportSchema. */
export const StatementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.object({ name: z.string(), digest: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }) })).min(1),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: z.object({ report: z.unknown() }),
});
export type Statement = z.infer<typeof StatementSchema>;

/** A file of the run folder rendered from the report (summary.md, junit.xml, …), signed beside it. */
export interface Companion {
  name: string;
  bytes: Uint8Array;
}

/**
 * The statement over report.json (whose exact bytes are `bytes`) and the files rendered from it, carrying the report
 * as its predicate: report.json is the first subject, then each companion in the order given, each by its sha256.
 */
export function buildStatement(report: Report, bytes: Uint8Array, companions: readonly Companion[] = []): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: REPORT_SUBJECT_NAME, bytes }, ...companions].map((f) => ({ name: f.name, digest: { sha256: sha256Hex(f.bytes) } })),
    predicateType: PREDICATE_TYPE,
    predicate: { report },
  };
}

/** report.json bytes and the DSSE envelope signing them and their companions, in one go so they cannot drift. */
export function signReport(report: Report, key: KeyObject, companions: readonly Companion[] = []): { bytes: Buffer; envelope: Envelope } {
  const bytes = reportBytes(report);
  const payload = canonicalize(buildStatement(report, bytes, companions));
  if (payload === undefined) throw new Error('statement cannot be canonicalised');
  return { bytes, envelope: signEnvelope(PAYLOAD_TYPE, Buffer.from(payload, 'utf8'), key) };
}

/** report.dsse.json bytes: compact, no trailing newline, so no byte of the file is insignificant. */
export function envelopeBytes(envelope: Envelope): Buffer {
  const text = canonicalize(envelope);
  if (text === undefined) throw new Error('envelope cannot be canonicalised');
  return Buffer.from(text, 'utf8');
}
