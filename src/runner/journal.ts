import { appendFileSync, writeFileSync } from 'node:fs';
import type { CaseResult } from './result.js';

/**
 * The append-only record of completed results, one JSON line each, written synchronously as each case
 * finishes so that a killed run loses nothing it completed.
 */
export class Journal {
  constructor(readonly path: string) {
    writeFileSync(path, '');
  }

  append(result: CaseResult): void {
    appendFileSync(this.path, `${JSON.stringify(result)}\n`);
  }
}
