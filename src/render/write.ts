import type { KeyObject } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchmarksSvg, chartTitle } from './chart.js';
import { reportBytes } from '../report/build.js';
import { RUN_FILES } from '../report/files.js';
import { ensureDefaultKey, loadPrivateKey } from '../signing/keys.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from '../report/schema.js';
import { envelopeBytes, signReport } from '../signing/sign.js';

/**
 * How to sign: a key (KeyObject or PEM path); `keyPath` as `--key` gives it (undefined: the user's default key,
 * created on first use, its fingerprint printed to stderr); or not at all.
 */
export type Signing = { key: KeyObject | string } | { keyPath: string | undefined } | { none: true };

function signingKey(signing: Signing): KeyObject | null {
  if ('none' in signing) return null;
  if ('key' in signing) return typeof signing.key === 'string' ? loadPrivateKey(signing.key) : signing.key;
  if (signing.keyPath !== undefined) return loadPrivateKey(signing.keyPath);
  return ensureDefaultKey((line) => process.stderr.write(`accelcert: ${line}\n`)).key;
}

/**
 * Writes report.json (the exact bytes the signature covers), report.dsse.json (unless unsigned), summary.md,
 * junit.xml, benchmarks.svg when benchmarks were measured, and report.html into `dir`; the envelope's statement names every one of
 * them by its sha256. `key` is a KeyObject or the path of a PEM private key. Each file is written whole
 * and renamed into place, so a reader never sees half a report.
 */
export async function writeRunOutputs(dir: string, report: Report, signing: Signing): Promise<{ files: string[] }> {
  await mkdir(dir, { recursive: true });
  // the files rendered from the report are signed with it (subjects of the statement), so none can be edited unseen
  const companions: { name: string; bytes: Buffer }[] = [
    { name: RUN_FILES.summary, bytes: Buffer.from(renderMarkdown(report)) },
    { name: RUN_FILES.junit, bytes: Buffer.from(renderJunit(report)) },
  ];
  if (report.benchmarks && report.benchmarks.entries.length > 0) {
    companions.push({ name: RUN_FILES.chart, bytes: Buffer.from(benchmarksSvg(report.benchmarks, chartTitle(report))) });
  } else {
    // a chart left from an earlier run in this folder would show benchmarks this report does not have
    await rm(join(dir, RUN_FILES.chart), { force: true });
  }
  companions.push({ name: RUN_FILES.html, bytes: Buffer.from(renderHtml(report)) });
  const outputs: [string, Buffer][] = [];
  const key = signingKey(signing);
  if (key) {
    const { bytes, envelope } = signReport(report, key, companions);
    outputs.push([RUN_FILES.report, bytes], [RUN_FILES.envelope, envelopeBytes(envelope)]);
  } else {
    // an envelope left from an earlier run in this folder would sign other bytes
    await rm(join(dir, RUN_FILES.envelope), { force: true });
    outputs.push([RUN_FILES.report, reportBytes(report)]);
  }
  outputs.push(...companions.map((c): [string, Buffer] => [c.name, c.bytes]));
  const files: string[] = [];
  for (const [name, content] of outputs) {
    const path = join(dir, name);
    await writeFile(`${path}.tmp`, content);
    await rename(`${path}.tmp`, path);
    files.push(path);
  }
  return { files };
}
