import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../version.js';
import { reportJsonSchemaText } from './json-schema.js';

const PATH = join(PACKAGE_ROOT, 'docs', 'report.schema.json');

describe('docs/report.schema.json', () => {
  it('is the JSON Schema generated from the zod report schema (ACCELCERT_UPDATE_DOCS=1 rewrites it)', () => {
    const text = reportJsonSchemaText();
    if (process.env['ACCELCERT_UPDATE_DOCS'] === '1') writeFileSync(PATH, text);
    expect(readFileSync(PATH, 'utf8'), 'docs/report.schema.json is stale: run ACCELCERT_UPDATE_DOCS=1 npx vitest run src/report/json-schema.test.ts').toBe(text);
  });
});
