import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { firstIssue, UserError } from '../errors.js';
import { RUN_FILES } from '../report/files.js';
import { parseJson, readBytes } from '../json.js';
import { EnvelopeSchema, type Envelope } from '../signing/dsse.js';
import type { VerifyInput } from './verify.js';

/** A DSSE envelope from its file bytes; not JSON, or JSON of another shape, is a user error (exit 2). */
export function parseEnvelope(bytes: Buffer, path: string): Envelope {
  const parsed = EnvelopeSchema.safeParse(parseJson(bytes, path));
  if (!parsed.success) {
    throw new UserError(`${path} is not a DSSE envelope: field ${firstIssue(parsed.error)}`);
  }
  return parsed.data;
}

const looksLikeEnvelope = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && ('payloadType' in v || 'signatures' in v || 'payload' in v);

/**
 * What `verify PATH` reads: a run folder (report.dsse.json and/or report.json), a report.dsse.json (under any name), or
 * a report.json. Whatever the path names, an envelope beside a report.json is used, and a report.json beside an
 * envelope is compared with it, so that no way of naming the run skips the signature. Every way the input can be
 * unreadable is a one-sentence user error.
 */
export function loadVerifyInput(path: string): VerifyInput {
  if (!existsSync(path)) throw new UserError(`${path} does not exist`);
  if (statSync(path).isDirectory()) return loadFolder(path, join(path, RUN_FILES.envelope));
  const bytes = readBytes(path);
  const value = parseJson(bytes, path);
  if (looksLikeEnvelope(value)) return loadFolder(dirname(path), path);
  // a report.json whose folder holds an envelope is checked against that envelope, not as an unsigned report
  if (existsSync(join(dirname(path), RUN_FILES.envelope)) && basename(path) === RUN_FILES.report) return loadFolder(dirname(path), join(dirname(path), RUN_FILES.envelope));
  return { envelope: null, reportBytes: bytes, reportValue: checkReportShape(value, path) };
}

/** A run folder's files: the envelope at `envPath` (when it exists), report.json and the companions beside it. */
function loadFolder(dir: string, envPath: string): VerifyInput {
  const reportPath = join(dir, RUN_FILES.report);
  const hasEnv = existsSync(envPath);
  const hasReport = existsSync(reportPath);
  if (!hasEnv && !hasReport) throw new UserError(`${dir} holds neither ${RUN_FILES.report} nor ${RUN_FILES.envelope}`);
  const reportBytes = hasReport ? readBytes(reportPath) : null;
  if (!hasEnv) return { envelope: null, reportBytes, reportValue: parseReportValue(reportBytes as Buffer, reportPath) };
  const beside = new Map<string, Buffer>();
  for (const name of [RUN_FILES.summary, RUN_FILES.junit, RUN_FILES.chart, RUN_FILES.html]) {
    const p = join(dir, name);
    if (existsSync(p)) beside.set(name, readBytes(p));
  }
  // with an envelope, report.json is only compared byte for byte: its content comes from the signed payload
  return { envelope: parseEnvelope(readBytes(envPath), envPath), reportBytes, beside };
}

function parseReportValue(bytes: Buffer, path: string): unknown {
  return checkReportShape(parseJson(bytes, path), path);
}

/** An unsigned file that is not a report at all is bad input; a signed one is judged by verify's checklist instead. */
function checkReportShape(value: unknown, path: string): unknown {
  if (typeof value !== 'object' || value === null || !('schemaVersion' in value)) {
    throw new UserError(`${path} is not an accelcert report or DSSE envelope (it has no schemaVersion or payload)`);
  }
  return value;
}

