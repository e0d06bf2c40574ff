import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Fingerprint } from '../device/device.js';
import { firstIssue, UserError } from '../errors.js';
import type { CaseResult } from '../runner/result.js';
import { compileExactGlob } from '../suite/glob.js';
import { WaiverSchema, type ListedWaiver, type Waiver } from './schema.js';

const WaiverEntrySchema = WaiverSchema.extend({ id: WaiverSchema.shape.id.optional() });
const WaiverFileSchema = z.strictObject({ waivers: z.array(WaiverEntrySchema) });

/**
 * The string a waiver's `devices` glob matches: `vendor/model/driverVersion/framework-version`, with `-`
 * for unknown parts. A `/` inside a part becomes `_` so that `*` keeps meaning "within one part".
 */
export function deviceKey(fp: Fingerprint): string {
  const part = (s: string | null): string => (s === null || s === '' ? '-' : s.replaceAll('/', '_'));
  const framework = fp.framework ? `${fp.framework.name}-${fp.framework.version}` : null;
  return [part(fp.vendor), part(fp.model), part(fp.driverVersion), part(framework)].join('/');
}

/** Reads a waiver file (`{ "waivers": [{ cases, devices, reason, url, id? }] }`); one sentence on bad input. */
export function loadWaivers(path: string): Waiver[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read waiver file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseWaivers(text, path);
}

export function parseWaivers(text: string, path: string): Waiver[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UserError(`waiver file ${path} is not valid JSON`);
  }
  const parsed = WaiverFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new UserError(`waiver file ${path}, field ${firstIssue(parsed.error)}`);
  }
  const waivers = parsed.data.waivers.map((w, i) => ({ ...w, id: w.id ?? `W${i + 1}` }));
  const ids = new Set<string>();
  for (const w of waivers) {
    if (ids.has(w.id)) throw new UserError(`waiver file ${path}: waiver id "${w.id}" is used twice`);
    ids.add(w.id);
  }
  return waivers;
}

/**
 * Turns each failed case that a waiver covers into `waived` and lists every waiver with the cases it matched
 * (an empty list reports a waiver that matched nothing). Only wrong answers (`fail`) can be waived: a crash,
 * error, timeout or unsupported op stays what it is, and a crashed run stays uncertified (see verdict.ts).
 */
export function applyWaivers(
  results: readonly CaseResult[],
  waivers: readonly Waiver[],
  fingerprint: Fingerprint,
): { results: CaseResult[]; waivers: ListedWaiver[] } {
  const device = deviceKey(fingerprint);
  const compiled = waivers.map((w) => ({
    waiver: w,
    cases: compileExactGlob(w.cases),
    device: compileExactGlob(w.devices)(device),
    matched: [] as string[],
  }));
  const out = results.map((r) => {
    if (r.status !== 'fail') return r;
    const hit = compiled.find((c) => c.device && c.cases(r.id));
    if (!hit) return r;
    hit.matched.push(r.id);
    const message = `waived by ${hit.waiver.id} (${hit.waiver.url})${r.message ? `: ${r.message}` : ''}`;
    return { ...r, status: 'waived' as const, waiver: hit.waiver.id, message };
  });
  return { results: out, waivers: compiled.map((c) => ({ ...c.waiver, matched: c.matched })) };
}
