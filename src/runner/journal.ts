import { closeSync, existsSync, fdatasyncSync, fsyncSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { CaseResultSchema, type CaseResult } from './result.js';

/** The journal's name in a run folder. */
export const JOURNAL_FILE = 'journal.jsonl';

/**
 * The append-only record of completed results, one JSON line each, written synchronously as each case finishes and
 * flushed to the disk (fdatasync) before the next, so that a run killed, interrupted or cut off by a power loss loses
 * nothing it completed. A new run starts it empty; a resumed run keeps what it holds. The file stays open until
 * `close`.
 */
export class Journal {
  private fd: number | null;
  private lines: number;

  constructor(
    readonly path: string,
    opts: { keep?: boolean } = {},
  ) {
    const kept = opts.keep === true && existsSync(path);
    if (!kept) writeFileSync(path, '');
    this.lines = kept ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').length : 0;
    this.fd = openSync(path, 'a');
    if (!kept) syncFolder(dirname(path));
  }

  /** How many finished cases the journal holds (those it kept on resume and those appended since). */
  get size(): number {
    return this.lines;
  }

  append(result: CaseResult): void {
    if (this.fd === null) throw new Error(`the journal ${this.path} is closed`);
    const line = Buffer.from(`${JSON.stringify(result)}\n`);
    for (let at = 0; at < line.length; ) at += writeSync(this.fd, line, at, line.length - at);
    fdatasyncSync(this.fd);
    this.lines += 1;
  }

  /** Closes the file; closing twice is harmless. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}

/** Makes a new file's entry in its folder durable too; where folders cannot be opened (Windows) the file alone is. */
function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: the journal's own lines are flushed whatever happens here
  } finally {
    if (fd !== null) closeSync(fd);
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
