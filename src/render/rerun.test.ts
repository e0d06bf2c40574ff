import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Report } from '../report/schema.js';
import { syntheticReport } from '../testing/synthetic.js';
import { seededRandom } from '../testing/helpers.js';
import { mdCode, rerunCommand, shellQuote } from './format.js';
import { renderMarkdown } from './markdown.js';
import { renderJunit } from './junit.js';

const MUL = 'core/binary/aten.mul.Tensor/float32/case-000001';

/** The words bash makes of a command line: each printed with a NUL after it. */
function bashWords(line: string): string[] {
  const r = spawnSync('bash', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bash: ${r.stderr}`);
  return r.stdout.split('\0').slice(0, -1);
}

/** The synthetic report, as if run by `command` on `target`. */
function reportOf(command: string[], target: Partial<Report['target']>, change: (r: Report) => void = () => undefined): Report {
  const { report } = syntheticReport({ cases: 24, profile: 'inference-fp32' });
  report.command = command;
  Object.assign(report.target, target);
  change(report);
  return report;
}

describe('shellQuote', () => {
  it('leaves words of safe characters bare and single-quotes every other', () => {
    expect(shellQuote(['npx', 'accelcert', '--seed=a.b_c', 'user@host:/x%y+z,w', '-1'])).toBe('npx accelcert --seed=a.b_c user@host:/x%y+z,w -1');
    expect(shellQuote(['core/*/aten.relu.default', 'a b', '', "it's", '$HOME', 'a\\b', '~', '!x', 'a;b'])).toBe(
      `'core/*/aten.relu.default' 'a b' '' 'it'\\''s' '$HOME' 'a\\b' '~' '!x' 'a;b'`,
    );
  });

  it('gives bash back exactly the words, whatever characters they hold', () => {
    const random = seededRandom(16);
    const alphabet = ` \t\n'"\\$\`*?[]{}()<>|&;!#~%=:,@+-_./aZ09é€`;
    const words = Array.from({ length: 200 }, () => Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    expect(bashWords(shellQuote(words))).toEqual(words);
  });
});

describe('rerun commands', () => {
  it('exec: carry the worker command, quoted so that a shell passes it as one word', () => {
    const worker = `python3 fixtures/workers/example_worker.py --label "it's mine"`;
    const report = reportOf(['accelcert', 'run', '--driver', 'exec', '--worker', worker, '--filter', 'core/**', '--no-sign', '--out', 'reports/x'], { driver: 'exec', device: 'example:0' });
    const line = rerunCommand(report, MUL);
    expect(line).toBe(`npx accelcert run --driver exec --device example:0 --worker 'python3 fixtures/workers/example_worker.py --label "it'\\''s mine"' --filter ${MUL}`);
    expect(bashWords(line)).toEqual(['npx', 'accelcert', 'run', '--driver', 'exec', '--device', 'example:0', '--worker', worker, '--filter', MUL]);
  });

  it('pytorch: carry --python when the run named one, the profile, seed and a timeout other than the default', () => {
    const command = ['accelcert', 'run', '--driver=pytorch', '--python', '/opt/torch env/bin/python3', '--profile', 'inference-lowp', '--seed', 'rc-1', '--timeout', '120', '--json'];
    const report = reportOf(command, { driver: 'pytorch', device: 'cuda:0' }, (r) => {
      r.profile.name = 'inference-lowp';
      r.selection.seed = 'rc-1';
    });
    expect(rerunCommand(report, MUL)).toBe(`npx accelcert run --driver pytorch --device cuda:0 --python '/opt/torch env/bin/python3' --profile inference-lowp --seed rc-1 --timeout 120 --filter ${MUL}`);
    // without --python the driver finds its interpreter as the run did ($ACCELCERT_PYTHON, /usr/bin/python3, python3)
    const found = reportOf(['accelcert', 'run', '--driver', 'pytorch', '--timeout=5'], { driver: 'pytorch', device: 'cpu' });
    expect(rerunCommand(found, MUL)).toBe(`npx accelcert run --driver pytorch --device cpu --timeout 5 --filter ${MUL}`);
  });

  it('reference and a driver module: driver and device only, the default timeout left out; an auto-selected target is named', () => {
    expect(rerunCommand(reportOf(['accelcert', 'run', '--driver', 'reference', '--timeout', '60'], {}), MUL)).toBe(`npx accelcert run --driver reference --device reference --filter ${MUL}`);
    expect(rerunCommand(reportOf(['accelcert', 'run'], { driver: 'pytorch', device: 'cuda:1' }), MUL)).toBe(`npx accelcert run --driver pytorch --device cuda:1 --filter ${MUL}`);
    const module = reportOf(['accelcert', 'run', '--driver', './my drivers/acme.js'], { driver: './my drivers/acme.js', device: 'acme:0' });
    expect(rerunCommand(module, MUL)).toBe(`npx accelcert run --driver './my drivers/acme.js' --device acme:0 --filter ${MUL}`);
  });

  it('reads the command line as the CLI does: a value is never an option, the last of a repeated option wins', () => {
    const report = reportOf(['accelcert', 'run', '--filter', '--python', '--driver', 'exec', '--worker', 'old', '--worker=./w --x'], { driver: 'exec', device: 'w:0' });
    expect(rerunCommand(report, MUL)).toBe(`npx accelcert run --driver exec --device w:0 --worker './w --x' --filter ${MUL}`);
  });

  it('a bench run carries its scale, a graph run its file', () => {
    const bench = reportOf(['accelcert', 'run', '--profile', 'bench'], { driver: 'pytorch', device: 'cuda:0' }, (r) => {
      r.profile.name = 'bench';
      r.selection.benchScale = 'small';
    });
    expect(rerunCommand(bench, 'bench/matmul/mm-256x256x256/float32/hot')).toBe('npx accelcert run --driver pytorch --device cuda:0 --profile bench --bench-scale small --filter bench/matmul/mm-256x256x256/float32/hot');
    const graph = reportOf(['accelcert', 'run', '--graph', 'my model.json'], {}, (r) => {
      r.graph = { file: 'my model.json', sha256: '0'.repeat(64), name: 'net' };
    });
    expect(rerunCommand(graph, 'graph/model/net/float32/eager')).toBe(`npx accelcert run --driver reference --device reference --graph 'my model.json' --filter graph/model/net/float32/eager`);
  });

  it('summary.md and junit.xml print the same command, and the run\'s own command line quoted', () => {
    const worker = "python3 'w.py'";
    const report = reportOf(['accelcert', 'run', '--driver', 'exec', '--worker', worker, '--filter', 'core/*/aten.mul.Tensor'], { driver: 'exec', device: 'x:0' }, (r) => {
      const mul = r.results.find((x) => x.id === MUL);
      if (mul) Object.assign(mul, { status: 'crash', outputs: [], outputDigest: null, message: 'worker exited' });
    });
    const expected = `npx accelcert run --driver exec --device x:0 --worker 'python3 '\\''w.py'\\''' --filter ${MUL}`;
    const md = renderMarkdown(report);
    expect(md.split('\n')).toContain(expected);
    expect(md).toContain(`\`accelcert run --driver exec --worker 'python3 '\\''w.py'\\''' --filter 'core/*/aten.mul.Tensor'\`</sub>`);
    expect(renderJunit(report)).toContain(`rerun: ${expected.replaceAll("'", '&apos;')}`);
  });

  it('inline Markdown code holds backticks', () => {
    expect(mdCode('a b')).toBe('`a b`');
    expect(mdCode('echo `x` ``y``')).toBe('``` echo `x` ``y`` ```');
    expect(mdCode('`x`')).toBe('`` `x` ``');
  });
});
