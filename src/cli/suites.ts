import type { RegisterCommand } from './command.js';
import { shippedSuites } from '../../suites/index.js';
import { CORE_OPSET } from '../ops/core-opset.js';
import { PROFILES, requiredCases } from '../suite/profile.js';
import { printJson, printLines, table } from './output.js';

export const registerSuites: RegisterCommand = (program) => {
  program
    .command('suites')
    .description('list suites with their digests and case counts per op (model, benchmark or collective) and dtype, and the profiles that require them')
    .option('--json', 'machine-readable output on stdout')
    .action((opts: { json?: boolean }) => {
      const suites = shippedSuites();
      const summary = suites.map((s) => {
        const perOp = new Map<string, Map<string, number>>();
        const perModel = new Map<string, { family: string; nodes: number; dtypes: Map<string, number>; modes: Set<string> }>();
        const perBench = new Map<string, { name: string; family: string; scale: string; dtypes: Map<string, number>; variants: Set<string> }>();
        const perCollective = new Map<string, { dtypes: Map<string, number>; ranks: Set<number> }>();
        for (const c of s.cases) {
          if (c.kind === 'graph') {
            const m = perModel.get(c.graph.name) ?? { family: c.family, nodes: c.graph.nodes.length, dtypes: new Map<string, number>(), modes: new Set<string>() };
            m.dtypes.set(c.dtype, (m.dtypes.get(c.dtype) ?? 0) + 1);
            m.modes.add(c.mode);
            perModel.set(c.graph.name, m);
          }
          if (c.kind === 'bench') {
            const key = `${c.scale}/${c.family}/${c.bench.name}`;
            const b = perBench.get(key) ?? { name: c.bench.name, family: c.family, scale: c.scale, dtypes: new Map<string, number>(), variants: new Set<string>() };
            b.dtypes.set(c.dtype, (b.dtypes.get(c.dtype) ?? 0) + 1);
            b.variants.add(`${c.bench.math === 'tf32' ? 'tf32-' : ''}${c.bench.cache}`);
            perBench.set(key, b);
          }
          if (c.kind === 'collective') {
            const k = perCollective.get(c.collective.name) ?? { dtypes: new Map<string, number>(), ranks: new Set<number>() };
            k.dtypes.set(c.dtype, (k.dtypes.get(c.dtype) ?? 0) + 1);
            k.ranks.add(c.collective.ranks);
            perCollective.set(c.collective.name, k);
          }
          if (c.kind !== 'op') continue;
          const m = perOp.get(c.op) ?? new Map<string, number>();
          m.set(c.dtype, (m.get(c.dtype) ?? 0) + 1);
          perOp.set(c.op, m);
        }
        return {
          name: s.name,
          version: s.version,
          description: s.description,
          digest: s.digest,
          cases: s.cases.length,
          ops: [...perOp].map(([op, m]) => ({ op, cases: [...m.values()].reduce((a, b) => a + b, 0), dtypes: Object.fromEntries(m) })),
          models: [...perModel].map(([name, m]) => ({
            name,
            family: m.family,
            nodes: m.nodes,
            cases: [...m.dtypes.values()].reduce((a, b) => a + b, 0),
            dtypes: Object.fromEntries(m.dtypes),
            modes: [...m.modes],
          })),
          benchmarks: [...perBench.values()].map((b) => ({
            name: b.name,
            family: b.family,
            scale: b.scale,
            cases: [...b.dtypes.values()].reduce((x, y) => x + y, 0),
            dtypes: Object.fromEntries(b.dtypes),
            variants: [...b.variants],
          })),
          collectives: [...perCollective].map(([name, k]) => ({
            name,
            cases: [...k.dtypes.values()].reduce((x, y) => x + y, 0),
            dtypes: Object.fromEntries(k.dtypes),
            ranks: [...k.ranks],
          })),
        };
      });
      const profiles = PROFILES.map((p) => ({ name: p.name, description: p.description, suites: p.suites, dtypes: p.dtypes, requiredCases: requiredCases(p, suites).length }));
      // (a bench profile's count is that of the small scale; the full scale's is the same benchmarks, larger)
      const coreOpset = opsetCoverage(summary.flatMap((s) => s.ops.map((o) => o.op)));
      if (opts.json) {
        printJson({ suites: summary, profiles, coreOpset });
        return;
      }
      const lines: string[] = [];
      for (const s of summary) {
        lines.push(`suite ${s.name} v${s.version}: ${s.cases} cases, digest sha256:${s.digest}`, `  ${s.description}`);
        lines.push(...table(s.ops.map((o) => [`  ${o.op}`, `${o.cases}`, Object.entries(o.dtypes).map(([d, n]) => `${d}:${n}`).join(' ')])));
        lines.push(
          ...table(
            s.models.map((m) => [`  ${m.family}/${m.name}`, `${m.cases}`, `${m.nodes} nodes`, Object.entries(m.dtypes).map(([d, n]) => `${d}:${n}`).join(' '), m.modes.join(', ')]),
          ),
          ...table(s.benchmarks.map((b) => [`  ${b.scale}`, `${b.family}/${b.name}`, `${b.cases}`, Object.entries(b.dtypes).map(([d, n]) => `${d}:${n}`).join(' '), b.variants.join(', ')])),
          ...table(s.collectives.map((k) => [`  ${k.name}`, `${k.cases}`, Object.entries(k.dtypes).map(([d, n]) => `${d}:${n}`).join(' '), `${k.ranks.join(', ')} ranks`])),
        );
        lines.push('');
      }
      lines.push(
        `Core ATen opset: ${coreOpset.withCases} of ${coreOpset.overloads - coreOpset.notApplicable.length} device-kernel overloads have cases ` +
          `(${coreOpset.overloads} in the opset, ${coreOpset.notApplicable.length} not device kernels)`,
      );
      if (coreOpset.missing.length > 0) lines.push(`  without cases: ${coreOpset.missing.join(', ')}`);
      lines.push('');
      lines.push('profiles:');
      lines.push(...table(profiles.map((p) => [`  ${p.name}`, `${p.requiredCases} required cases`, p.description])));
      printLines(lines);
    });
};

/** The Core ATen overloads the suites cover, those they do not, and those that are not device kernels. */
function opsetCoverage(opsWithCases: readonly string[]) {
  const covered = new Set(opsWithCases);
  const applicable = CORE_OPSET.filter((o) => !o.notApplicable);
  return {
    overloads: CORE_OPSET.length,
    withCases: applicable.filter((o) => covered.has(o.name)).length,
    missing: applicable.filter((o) => !covered.has(o.name)).map((o) => o.name),
    notApplicable: CORE_OPSET.filter((o) => o.notApplicable).map((o) => ({ name: o.name, reason: o.notApplicable })),
  };
}
