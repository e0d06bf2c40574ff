import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { materialize } from './materialize.js';
import { seedFromId } from './prng.js';
import type { InputSpec } from './spec.js';
import type { TensorData } from './tensor.js';

/*
 * Inputs must be bit-identical in every process that generates them (the harness, a resumed run, a reviewer's
 * `verify`). This test compiles src/tensor to plain JavaScript, generates the same inputs in a fresh Node
 * process, and compares digests; pinned digests catch any change to what a (spec, seed) generates, which
 * would silently change every case's inputs.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');

const SPECS: InputSpec[] = [
  { dtype: 'float32', shape: [64, 33], layout: { kind: 'transposed' }, recipe: { kind: 'uniform', low: -4, high: 4 } },
  { dtype: 'bfloat16', shape: [3, 5, 7], layout: { kind: 'strided', step: 2 }, recipe: { kind: 'normal', mean: 0, std: 1 } },
  { dtype: 'float16', shape: [1000], layout: { kind: 'offset', offset: 3 }, recipe: { kind: 'special' } },
  { dtype: 'float8_e5m2', shape: [4, 6], layout: { kind: 'expanded', from: [4, 1] }, recipe: { kind: 'special' } },
  { dtype: 'int64', shape: [10, 10], layout: { kind: 'contiguous' }, recipe: { kind: 'int', low: -1000000, high: 1000000 } },
  { dtype: 'bool', shape: [17], layout: { kind: 'contiguous' }, recipe: { kind: 'bool', p: 0.25 } },
];
const SEED = seedFromId('core/unary/aten.abs.default/float16/special');

function digestOf(t: TensorData): string {
  const meta = JSON.stringify([t.dtype, t.shape, t.strides, t.offset]);
  return createHash('sha256').update(meta).update(t.storage).digest('hex').slice(0, 16);
}

function digestsHere(): string[] {
  return SPECS.map((spec, i) => digestOf(materialize(spec, SEED, i)));
}

let outDir: string | null = null;
afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** Compiles src/tensor to ES modules in a folder under node_modules, so the child resolves zod as the repo does. */
function compileTensorModule(): string {
  const cache = join(REPO, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'accelcert-tensor-'));
  for (const name of readdirSync(HERE)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    const out = ts.transpileModule(readFileSync(join(HERE, name), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, name.replace(/\.ts$/, '.js')), out.outputText);
  }
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  return dir;
}

describe('input generation is deterministic', () => {
  it('a fresh Node process generates bit-identical inputs for the same (spec, seed)', () => {
    outDir = compileTensorModule();
    const script = `
      import { createHash } from 'node:crypto';
      import { materialize } from './materialize.js';
      const specs = ${JSON.stringify(SPECS)};
      const out = specs.map((spec, i) => {
        const t = materialize(spec, ${JSON.stringify(SEED)}, i);
        const meta = JSON.stringify([t.dtype, t.shape, t.strides, t.offset]);
        return createHash('sha256').update(meta).update(t.storage).digest('hex').slice(0, 16);
      });
      console.log(JSON.stringify(out));
    `;
    writeFileSync(join(outDir, 'digests.mjs'), script);
    const child = JSON.parse(execFileSync(process.execPath, [join(outDir, 'digests.mjs')], { encoding: 'utf8' })) as unknown;
    expect(child).toEqual(digestsHere());
  });

  it('generates exactly the pinned inputs (a change here changes every case: bump the suite versions)', () => {
    expect(digestsHere()).toEqual(PINNED);
  });
});

const PINNED: string[] = [
  'a4c722fd9549a79d',
  '7728f3638325a2b6',
  '132e7378b5024d10',
  '32fd83a47ead9d45',
  '9755c22e1d63ee61',
  'df4600ad4aaf11f0',
];
