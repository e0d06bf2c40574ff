import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Enforces the layering of the source tree on every test run, from the real import graph.
// Nodes are repo-relative posix paths of every *.ts under src/ and suites/ (tests included).
type Graph = Map<string, Set<string>>;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Bottom to top. A unit (src/<folder> with its subfolders, a ground file, or suites) may import
// its own unit or a unit in a lower layer; units in the same layer must not import each other.
const LAYERS: readonly (readonly string[])[] = [
  ['src/errors.ts', 'src/version.ts'],
  ['src/tensor', 'src/json.ts'],
  ['src/ops'],
  ['src/workload'],
  ['src/device', 'src/judge', 'src/bench'],
  ['src/graph', 'src/collective'],
  ['src/suite', 'src/protocol'],
  ['suites'],
  ['src/drivers'],
  ['src/runner'],
  ['src/report'],
  ['src/signing'],
  ['src/verify', 'src/render'],
  ['src/perf', 'src/cli', 'src/index.ts'],
];
const LAYER_OF = new Map(LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));
// Suite definitions are data: they need the suite builder, ops, tensors and workloads, not the
// judge, devices or the wire protocol, even though those sit lower.
const ONLY_MAY_IMPORT = new Map([['suites', new Set(['src/suite', 'src/ops', 'src/tensor', 'src/workload', 'src/errors.ts', 'src/version.ts'])]]);

const unitOf = (file: string): string => {
  const parts = file.split('/');
  if (parts[0] === 'suites') return 'suites';
  return parts.length === 2 ? file : `${parts[0]}/${parts[1]}`;
};
const isTest = (file: string): boolean => file.endsWith('.test.ts');
const isTestHelper = (file: string): boolean => isTest(file) || unitOf(file) === 'src/testing';

// Covers `import … from`, `import type … from`, `export … from`, side-effect `import '…'` and
// dynamic `import('…')`. Bare specifiers (packages, node:) never create an edge.
const IMPORT_RE = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g;
const relativeSpecifiers = (source: string): string[] =>
  [...source.matchAll(IMPORT_RE)].map((m) => m[1] ?? m[2] ?? '').filter((s) => s.startsWith('.'));

const listTs = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listTs(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
  );

function loadGraph(): { graph: Graph; unresolved: string[] } {
  // This file is left out: its parser fixtures are strings that read as imports.
  const files = [...listTs('src'), ...listTs('suites')].filter((f) => f !== 'src/architecture.test.ts').sort();
  const known = new Set(files);
  const graph: Graph = new Map();
  const unresolved: string[] = [];
  for (const file of files) {
    const targets = new Set<string>();
    for (const spec of relativeSpecifiers(readFileSync(join(ROOT, file), 'utf8'))) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec)).split(sep).join(posix.sep).replace(/\.js$/, '.ts');
      if (known.has(target)) targets.add(target);
      else unresolved.push(`${file}: '${spec}'`);
    }
    graph.set(file, targets);
  }
  return { graph, unresolved };
}

/** Every back edge found by a depth-first search, as a path a → b → … → a. */
function findCycles(graph: Graph): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' → '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Upward, sideways and unplaced imports of product files (tests and src/testing are exempt). */
function layerViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    if (isTestHelper(from)) continue;
    const unit = unitOf(from);
    const layer = LAYER_OF.get(unit);
    if (layer === undefined) {
      out.push(`${from}: ${unit} is in no layer; place it in LAYERS of src/architecture.test.ts`);
      continue;
    }
    for (const to of targets) {
      const toUnit = unitOf(to);
      if (toUnit === unit || isTestHelper(to)) continue; // test helpers: see the next check
      const toLayer = LAYER_OF.get(toUnit);
      const only = ONLY_MAY_IMPORT.get(unit);
      if (toLayer === undefined) out.push(`${from} imports ${to}: ${toUnit} is in no layer`);
      else if (toLayer >= layer) out.push(`${from} imports ${to}: ${toLayer > layer ? 'upward' : 'sideways'} (${unit} is layer ${layer}, ${toUnit} is layer ${toLayer})`);
      else if (only && !only.has(toUnit)) out.push(`${from} imports ${to}: ${unit} may import only ${[...only].join(', ')}`);
    }
  }
  return out;
}

/** Product files that import a test helper: anything reachable from the CLI entry, and every other non-test file. */
function testHelperImports(graph: Graph, entry = 'src/cli/main.ts'): string[] {
  const shipped = new Set([entry]);
  for (const file of shipped) for (const to of graph.get(file) ?? []) shipped.add(to);
  const out: string[] = [];
  for (const [from, targets] of graph) {
    if (!shipped.has(from) && isTestHelper(from)) continue;
    // src/perf is the harness's own benchmark tooling, not the product: it may use src/testing,
    // unless the CLI starts shipping it.
    if (!shipped.has(from) && unitOf(from) === 'src/perf') continue;
    for (const to of targets) {
      if (isTestHelper(to)) out.push(`${from} imports test helper ${to}${shipped.has(from) ? ` (reachable from ${entry})` : ''}`);
    }
  }
  return out;
}

const g = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

describe('architecture: the import graph of src/ and suites/', () => {
  const { graph, unresolved } = loadGraph();
  const edges = [...graph.values()].reduce((n, s) => n + s.size, 0);

  it('has no import cycle (type-only imports and tests included)', () => {
    expect(findCycles(graph), 'import cycles').toEqual([]);
  });

  it('has no upward or sideways import, and every product file sits in a known layer', () => {
    expect(layerViolations(graph), 'layer violations').toEqual([]);
  });

  it('has no product file importing src/testing or a *.test.ts file', () => {
    expect(testHelperImports(graph), 'product imports of test helpers').toEqual([]);
  });

  it('is not vacuous: it sees the whole tree and resolves every relative import', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(edges).toBeGreaterThan(300);
    expect(graph.has('src/cli/main.ts')).toBe(true);
    expect(unresolved, 'relative imports that resolve to no .ts file').toEqual([]);
  });

  it('its parser, cycle finder and rules catch hand-made violations', () => {
    const src = `import a from './a.js';\nimport type {\n  B,\n} from '../b.js';\nexport * from './c.js';\nimport './d.js';\nawait import('./e.js');\nimport x from 'node:fs';`;
    expect(relativeSpecifiers(src)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js']);
    expect(findCycles(g({ a: ['b'], b: ['a'] }))).toEqual(['a → b → a']);
    expect(findCycles(g({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }))).toEqual([]);
    expect(layerViolations(g({ 'src/ops/x.ts': ['src/judge/y.ts'] }))).toEqual([
      'src/ops/x.ts imports src/judge/y.ts: upward (src/ops is layer 2, src/judge is layer 4)',
    ]);
    expect(layerViolations(g({ 'src/device/a.ts': ['src/judge/b.ts'] }))[0]).toMatch(/sideways/);
    expect(layerViolations(g({ 'src/judge/a.ts': ['src/ops/b.ts', 'src/judge/c.ts'] }))).toEqual([]);
    expect(layerViolations(g({ 'src/new/a.ts': [] }))[0]).toMatch(/src\/new is in no layer/);
    expect(layerViolations(g({ 'suites/s.ts': ['src/judge/j.ts'] }))[0]).toMatch(/may import only/);
    const helpers = g({ 'src/cli/main.ts': ['src/cli/x.ts'], 'src/cli/x.ts': ['src/testing/h.ts'], 'src/perf/b.ts': ['src/testing/h.ts'], 'src/ops/o.ts': ['src/ops/o.test.ts'] });
    expect(testHelperImports(helpers)).toEqual([
      'src/cli/x.ts imports test helper src/testing/h.ts (reachable from src/cli/main.ts)',
      'src/ops/o.ts imports test helper src/ops/o.test.ts',
    ]);
  });
});
