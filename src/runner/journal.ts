import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { CaseResultSchema, type CaseResult } from './result.js';

/**
 * The append-only record of completed results, one JSON line each, written synchronously as each case finishes, so
 * that a killed run loses nothing it completed. A new run starts it empty; a resumed run keeps what it holds.
 */
export class Journal {
  constructor(
    readonly path: string,
    opts: { keep?: boolean } = {},
  ) {
    if (!opts.keep || !existsSync(path)) writeFileSync(path, '');
  }

  append(result: CaseResult): void {
    appendFileSync(this.path, `${JSON.stringify(result)}\n`);
  }
}

/**
 * The results a journal holds, for `run --resume`. A last line cut short (the harness killed while writing it) is
 * dropped and the file rewritten without it; any other line that is not a result is a damaged journal (exit 2).
 */
export function readJournal(path: string): { results: CaseResult[]; torn: boolean } {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const lines = text.split('\n');
  const results: CaseResult[] = [];
  let torn = false;
  let kept = 0;
  for (let i = 0, at = 0; i < lines.length; at += (lines[i] as string).length + 1, i++) {
    const line = lines[i] as string;
    kept = at;
    if (line === '') continue;
    const last = i === lines.length - 1 || lines.slice(i + 1).every((l) => l === '');
    let parsed: CaseResult | null = null;
    try {
      const r = CaseResultSchema.safeParse(JSON.parse(line));
      if (r.success) parsed = r.data;
    } catch {
      parsed = null;
    }
    if (parsed) {
      results.push(parsed);
      continue;
    }
    if (last) {
      torn = true;
      break;
    }
    throw new UserError(`${path}, line ${i + 1}, is not a case result: the journal is damaged and cannot be resumed`);
  }
  if (torn) writeFileSync(path, text.slice(0, kept));
  return { results, torn };
}
