import { UserError } from '../../errors.js';

/**
 * Splits a worker command line ("python3 my worker.py --fast", with '…' / "…" quoting and \ escapes) into
 * program and arguments, without a shell: no globbing or variable expansion surprises.
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i] ?? '';
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i] ?? '';
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UserError(`the worker command ${JSON.stringify(line)} has an unclosed ${quote} quote`, 2);
  if (inWord) words.push(word);
  if (words.length === 0) throw new UserError('the worker command is empty', 2);
  return words;
}
