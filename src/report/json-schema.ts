import { z } from 'zod';
import { REPORT_SCHEMA_VERSION, ReportSchema } from './schema.js';

/** docs/report.schema.json, as text: generated from the zod schema so that the two cannot drift. */
export function reportJsonSchemaText(): string {
  const schema = z.toJSONSchema(ReportSchema, { target: 'draft-2020-12', io: 'input' });
  const doc = {
    ...schema,
    $id: `https://accelcert.dev/report/v${REPORT_SCHEMA_VERSION}/report.schema.json`,
    title: 'accelcert report.json',
    description: 'One accelcert run: results, metrics, waivers, summary and verdict. See docs/report-format.md.',
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
