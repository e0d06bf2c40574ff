import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { firstIssue, UserError } from '../errors.js';
import { parseJson, readBytes } from '../json.js';
import { RUN_FILES } from './files.js';
import { ReportSchema, type Report } from './schema.js';

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
