import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { EnvelopeSchema, type Envelope } from './dsse.js';
import { ReportSchema, type Report } from './schema.js';
import type { VerifyInput } from './verify.js';
import { RUN_FILES } from './write.js';

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${code ?? String(err)}`);
  }
}

function parseJson(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new UserError(`${path} is not JSON`);
  }
}

/** A DSSE envelope from its file bytes; not JSON, or JSON of another shape, is a user error (exit 2). */
export function parseEnvelope(bytes: Buffer, path: string): Envelope {
  const parsed = EnvelopeSchema.safeParse(parseJson(bytes, path));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new UserError(`${path} is not a DSSE envelope: field ${field}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const looksLikeEnvelope = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && ('payloadType' in v || 'signatures' in v || 'payload' in v);

/**
 * What `verify PATH` reads: a run folder (report.dsse.json and/or report.json), a report.dsse.json, or a bare
 * report.json. Every way the input can be unreadable is a one-sentence user error.
 */
export function loadVerifyInput(path: string): VerifyInput {
  if (!existsSync(path)) throw new UserError(`${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const envPath = join(path, RUN_FILES.envelope);
    const reportPath = join(path, RUN_FILES.report);
    const hasEnv = existsSync(envPath);
    const hasReport = existsSync(reportPath);
    if (!hasEnv && !hasReport) throw new UserError(`${path} holds neither ${RUN_FILES.report} nor ${RUN_FILES.envelope}`);
    const reportBytes = hasReport ? readBytes(reportPath) : null;
    if (hasEnv) {
      // with an envelope, report.json is only compared byte for byte: its content comes from the signed payload
      return { envelope: parseEnvelope(readBytes(envPath), envPath), reportBytes };
    }
    return { envelope: null, reportBytes, reportValue: parseReportValue(reportBytes as Buffer, reportPath) };
  }
  const bytes = readBytes(path);
  const value = parseJson(bytes, path);
  if (looksLikeEnvelope(value)) {
    const sibling = join(path, '..', RUN_FILES.report);
    const reportBytes = basename(path) === RUN_FILES.envelope && existsSync(sibling) ? readBytes(sibling) : null;
    return { envelope: parseEnvelope(bytes, path), reportBytes };
  }
  return { envelope: null, reportBytes: bytes, reportValue: checkReportShape(value, path) };
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

/** A finished run's report.json, validated (for `accelcert report`); one sentence naming the field if not. */
export function loadReport(dirOrFile: string): Report {
  const path = existsSync(dirOrFile) && statSync(dirOrFile).isDirectory() ? join(dirOrFile, RUN_FILES.report) : dirOrFile;
  const value = parseJson(readBytes(path), path);
  const parsed = ReportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new UserError(`${path} is not a valid accelcert report: field ${field}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
