import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { firstIssue, UserError } from '../errors.js';
import { RUN_FILES } from './files.js';
import { ReportSchema, type Report } from './schema.js';

/** A file's bytes; a missing or unreadable file is one sentence naming it (exit 2). */
export function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${code ?? String(err)}`);
  }
}

/** JSON from a file's bytes; anything else is one sentence naming the file (exit 2). */
export function parseJson(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new UserError(`${path} is not JSON`);
  }
}

/** A finished run's report.json, validated (for `accelcert report`); one sentence naming the field if not. */
export function loadReport(dirOrFile: string): Report {
  const path = existsSync(dirOrFile) && statSync(dirOrFile).isDirectory() ? join(dirOrFile, RUN_FILES.report) : dirOrFile;
  const value = parseJson(readBytes(path), path);
  const parsed = ReportSchema.safeParse(value);
  if (!parsed.success) {
    throw new UserError(`${path} is not a valid accelcert report: field ${firstIssue(parsed.error)}`);
  }
  return parsed.data;
}
