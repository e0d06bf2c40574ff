import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Fingerprint } from '../device/device.js';
import { firstIssue, UserError } from '../errors.js';
import type { CaseResult } from '../runner/result.js';
import { compileExactGlob } from '../suite/glob.js';
import { WaiverSchema, type ListedWaiver, type Waiver } from './schema.js';
import { EnvelopeSchema, WAIVERS_PAYLOAD_TYPE, type Envelope } from './envelope.js';

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

/** A waiver file as `run --waivers` reads it: its waivers, and the envelope when a waiver authority signed it. */
export interface WaiverGrant {
  waivers: Waiver[];
  /** the signed file exactly as given (the report carries it for verify), or null when the file is plain JSON */
  envelope: Envelope | null;
}

/**
 * Reads a waiver file (`{ "waivers": [{ cases, devices, reason, url, id? }] }`), plain or signed by a waiver
 * authority (`accelcert waivers sign`: a DSSE envelope whose payload is that JSON); one sentence on bad input.
 * Whether the signer is an authority the reviewer trusts is for `verify --waiver-key` to say, not the run.
 */
export function loadWaivers(path: string): WaiverGrant {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read waiver file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const value = parseWaiverJson(text, path);
  if (typeof value === 'object' && value !== null && 'payloadType' in value) {
    const env = EnvelopeSchema.safeParse(value);
    if (!env.success) throw new UserError(`waiver file ${path} is not a signed waiver file (DSSE envelope): field ${firstIssue(env.error)}`);
    if (env.data.payloadType !== WAIVERS_PAYLOAD_TYPE) {
      throw new UserError(`waiver file ${path} is a DSSE envelope of payloadType "${env.data.payloadType}", not "${WAIVERS_PAYLOAD_TYPE}"`);
    }
    const payload = Buffer.from(env.data.payload, 'base64').toString('utf8');
    return { waivers: waiversFrom(parseWaiverJson(payload, `${path} (signed payload)`), `${path} (signed payload)`), envelope: env.data };
  }
  return { waivers: waiversFrom(value, path), envelope: null };
}

function parseWaiverJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError(`waiver file ${path} is not valid JSON`);
  }
}

function waiversFrom(data: unknown, path: string): Waiver[] {
  const waivers = waiverFileProblem(data);
  if (typeof waivers === 'string') throw new UserError(`waiver file ${path}${waivers}`);
  return waivers;
}

/**
 * The waivers of a waiver file's JSON value, numbered W1, W2… unless they name themselves, or what is wrong with it
 * (a clause that follows the file's name: ", field …" or ": …").
 */
export function waiverFileProblem(data: unknown): Waiver[] | string {
  const parsed = WaiverFileSchema.safeParse(data);
  if (!parsed.success) return `, field ${firstIssue(parsed.error)}`;
  const waivers = parsed.data.waivers.map((w, i) => ({ ...w, id: w.id ?? `W${i + 1}` }));
  const ids = new Set<string>();
  for (const w of waivers) {
    if (ids.has(w.id)) return `: waiver id "${w.id}" is used twice`;
    ids.add(w.id);
    const problem = devicesGlobProblem(w.devices);
    if (problem) return `, waiver ${w.id}: ${problem}`;
  }
  return waivers;
}

/**
 * Why a waiver's `devices` glob does not name a device, or null: its vendor and model parts (the first two of
 * `vendor/model/driverVersion/framework-version`) must be written out, so that a waiver granted for one product
 * cannot cover every device there is (`**`) or every device of a vendor.
 */
export function devicesGlobProblem(glob: string): string | null {
  const parts = glob.split('/');
  const named = parts.length >= 2 && parts.slice(0, 2).every((p) => p !== '' && !/[*?]/.test(p));
  return named ? null : `devices "${glob}" must name a device: its vendor and model parts (vendor/model/driverVersion/framework-version) may not be globs`;
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
