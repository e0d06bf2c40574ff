import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import { protocolJsonSchema, ReplySchema, RequestSchema } from './messages.js';

const SCHEMA_FILE = join(PACKAGE_ROOT, 'docs/protocol.schema.json');

describe('published protocol JSON Schema', () => {
  it('matches the message schemas the harness validates with', () => {
    const text = `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`;
    // regenerate deliberately with ACCELCERT_UPDATE_SCHEMA=1 after a protocol change
    if (process.env.ACCELCERT_UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, text);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(text);
  });

  it('defines every $ref it uses and uses every definition', () => {
    const text = readFileSync(SCHEMA_FILE, 'utf8');
    const defs = Object.keys((JSON.parse(text) as { $defs: Record<string, unknown> }).$defs);
    const refs = new Set([...text.matchAll(/"\$ref": "#\/\$defs\/([^"]+)"/g)].map((m) => m[1]));
    expect([...refs].filter((r) => r === undefined || !defs.includes(r))).toEqual([]);
    expect(defs.filter((d) => !refs.has(d))).toEqual([]);
  });

  it('accepts the example messages of the protocol document', () => {
    const doc = readFileSync(join(PACKAGE_ROOT, 'docs/driver-protocol.md'), 'utf8');
    const examples = [...doc.matchAll(/```json request\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? '') as unknown);
    const replies = [...doc.matchAll(/```json reply\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? '') as unknown);
    expect(examples.length).toBeGreaterThan(3);
    expect(replies.length).toBeGreaterThan(3);
    for (const e of examples) expect(RequestSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
    for (const r of replies) expect(ReplySchema.safeParse(r).success, JSON.stringify(r)).toBe(true);
  });
});
