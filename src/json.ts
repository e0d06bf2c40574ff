import { readFileSync } from 'node:fs';
import { UserError } from './errors.js';

/**
 * Reading the JSON files a user or a submitter hands accelcert (reports, envelopes, waivers, run manifests) with limits
 * on size and nesting, so that a hostile or broken file is one sentence, not a stack overflow or gigabytes of memory.
 */

/** A file's bytes; a missing or unreadable file is one sentence naming it (exit 2). */
export function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${code ?? String(err)}`);
  }
}

/** The deepest nesting accelcert reads in a JSON file: a report nests about 8 levels; deeper is hostile or broken. */
export const MAX_JSON_DEPTH = 64;
/** The largest file accelcert reads as JSON: a full profile's report is tens of MB. */
export const MAX_JSON_BYTES = 512 * 1024 * 1024;

/** Whether a parsed JSON value nests deeper than `max` arrays and objects (checked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** JSON text parsed, or why it cannot be read: not JSON, or nested past MAX_JSON_DEPTH. */
export function readJsonText(text: string): { value: unknown } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'is not JSON' };
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) return { problem: `nests deeper than ${MAX_JSON_DEPTH} levels, which no accelcert file does` };
  return { value };
}

/** JSON from a file's bytes; anything else (not JSON, too large, too deep) is one sentence naming the file (exit 2). */
export function parseJson(bytes: Buffer, path: string): unknown {
  if (bytes.length > MAX_JSON_BYTES) throw new UserError(`${path} is ${bytes.length} bytes; accelcert reads JSON files of at most ${MAX_JSON_BYTES} bytes`);
  const r = readJsonText(bytes.toString('utf8'));
  if ('problem' in r) throw new UserError(`${path} ${r.problem}`);
  return r.value;
}
