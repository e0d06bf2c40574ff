import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { arg } from '../ops/args.js';
import { linearReluGraph } from '../testing/graph-files.js';
import type { Report } from '../report/schema.js';
import { runMain as run } from '../testing/helpers.js';
import { GRAPH_FILE_IN_RUN, loadGraphFile, type GraphFile } from '../workload/graph-file.js';

// Debian's python3 carries torch 1.13 here; the python3 first on PATH has none
const TORCH_PYTHON = process.env.ACCELCERT_TEST_TORCH_PYTHON ?? '/usr/bin/python3';
const python = await findPython({ python: TORCH_PYTHON }).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the graph capture tests: ${python?.reason ?? `no ${TORCH_PYTHON}`}`);

const tmp = mkdtempSync(join(tmpdir(), 'accelcert-graph-'));

/** A module of the kinds real models are made of: linear, layer norm, GELU, softmax, a small conv with ReLU. */
const MODEL_PY = `
import torch
import torch.nn as nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.norm = nn.LayerNorm(32)
        self.fc2 = nn.Linear(32, 10)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x, image):
        h = self.fc2(nn.functional.gelu(self.norm(self.fc1(x))))
        c = torch.relu(self.conv(image)).mean(dim=(2, 3))
        return torch.softmax(h, dim=-1), (c, h.argmax(dim=-1))


def model():
    torch.manual_seed(0)
    net = TinyNet()
    with torch.no_grad():
        net.norm.weight.uniform_(0.5, 1.5)
    return net


def example_inputs():
    torch.manual_seed(1)
    return (torch.randn(4, 16), torch.randn(2, 3, 8, 8))
`;

/**
 * What 1.13's make_fx leaves outside Core ATen, or spells so that accelcert must rewrite it: attention (a fused
 * inference kernel unless parameters require grad; `.contiguous()` of a permuted tensor), an in-place ReLU, batch
 * norm's buffers, a tensor constant, a number passed where the schema has a Tensor, chunk, nested outputs, int inputs.
 */
const BLOCK_PY = `
import torch
import torch.nn as nn


class AttnBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)
        self.ln = nn.LayerNorm(16)
        self.ff = nn.Sequential(nn.Linear(16, 32), nn.SiLU(), nn.Linear(32, 16))
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.act = nn.ReLU(inplace=True)
        self.head = nn.Linear(16, 50)

    def forward(self, tokens, image):
        x = self.emb(tokens)
        a, _ = self.attn(x, x, x, need_weights=False)
        x = self.ln(x + a)
        x = x + self.ff(x)
        p, q = x.chunk(2, dim=-1)
        logits = self.head(torch.cat([q, p], -1)) * torch.tensor([0.5, 2.0]).sum()
        y = self.act(self.bn(self.conv(image))).flatten(1)
        return logits, (y, logits.log_softmax(-1).argmax(-1))


def model():
    torch.manual_seed(0)
    net = AttnBlock()
    with torch.no_grad():
        net.bn.running_var.uniform_(0.2, 3.0)
        net.bn.running_mean.normal_()
    return net


def example_inputs():
    torch.manual_seed(1)
    return (torch.randint(0, 50, (2, 5)), torch.randn(2, 3, 6, 6))
`;

function write(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

/** A small graph file written by hand (relu of a linear layer), valid without PyTorch. */
function handMade(): GraphFile {
  const contiguous = { kind: 'contiguous' } as const;
  return linearReluGraph('hand-mlp', [
    { dtype: 'float32', shape: [3, 4], layout: contiguous, recipe: { kind: 'values', values: [0.5, -0.25, 1, 0, 0.125, 0.75, -1, 2, -0.5, 0.25, 0.5, -2] } },
    { dtype: 'float32', shape: [3], layout: contiguous, recipe: { kind: 'normal', mean: 0, std: 0.1 } },
    { dtype: 'float32', shape: [5, 4], layout: contiguous, recipe: { kind: 'normal', mean: 0, std: 1 } },
  ], 'graph.test.ts');
}

function writeJson(name: string, value: unknown): string {
  return write(name, JSON.stringify(value, null, 1));
}

function report(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
}

describe('graph files: bad input is one sentence naming the file and the field, exit 2', () => {
  it.each<[string, (f: GraphFile) => unknown, RegExp]>([
    ['an op accelcert does not define', (f) => ({ ...f, graph: { ...f.graph, nodes: [...f.graph.nodes, { name: 'silu', op: 'aten.silu.default', args: [arg.tensor(5)], kwargs: {}, outputs: 1 }], outputs: [6] } }), /: node silu calls aten\.silu\.default, which accelcert does not define$/],
    ['a missing field', ({ source: _, ...f }) => f, /is not a valid accelcert graph file: field source: /],
    ['another format', (f) => ({ ...f, format: 'onnx' }), /is not an accelcert graph file: field format is "onnx", not "accelcert-graph"$/],
    ['a forward reference', (f) => ({ ...f, graph: { ...f.graph, outputs: [9] } }), /: the graph returns value 9, but only 6 values are defined$/],
    ['a values recipe of the wrong length', (f) => ({ ...f, inputs: [{ ...f.inputs[0], recipe: { kind: 'values', values: [1, 2] } }, ...f.inputs.slice(1)] }), /: field inputs\.0 \(placeholder p_weight\): recipe 'values' holds 2 values, but the input has 12 elements \(\[3, 4\]\)$/],
    ['a call PyTorch would refuse', (f) => ({ ...f, inputs: [f.inputs[0], f.inputs[1], { ...f.inputs[2], shape: [5, 3] }] }), /: node addmm \(aten\.addmm\.default\): /],
    ['a node that miscounts its outputs', (f) => ({ ...f, graph: { ...f.graph, nodes: f.graph.nodes.map((n) => (n.name === 'relu' ? { ...n, outputs: 2 } : n)) } }), /: node relu \(aten\.relu\.default\) yields 1 tensor, the graph says 2$/],
    ['a check of an output the graph lacks', (f) => ({ ...f, checks: [{ kind: 'top1', output: 3, min: 0.9 }] }), /: field checks\.0: output 3 is not one of the graph's 1 outputs$/],
  ])('%s', async (name, edit, message) => {
    const path = writeJson(`bad-${name.replaceAll(' ', '-')}.json`, edit(handMade()));
    const r = await run('run', '--graph', path, '--driver', 'reference', '--no-sign', '--out', join(tmp, `never-${name.replaceAll(' ', '-')}`));
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^accelcert: ${path.replaceAll('.', '\\.')}`));
    expect(lines[0]).toMatch(message);
  });

  it('a file that is not JSON, or not there', async () => {
    const path = write('not-json.json', '{ "format": ');
    expect((await run('run', '--graph', path, '--driver', 'reference', '--no-sign')).err).toBe(`accelcert: ${path} is not JSON\n`);
    const missing = join(tmp, 'missing.json');
    const r = await run('run', '--graph', missing, '--driver', 'reference', '--no-sign');
    expect(r.err).toBe(`accelcert: ${missing} does not exist\n`);
    expect(r.code).toBe(2);
  });

  it('--graph takes no --profile', async () => {
    const path = writeJson('ok-profile.json', handMade());
    const r = await run('run', '--graph', path, '--profile', 'full', '--driver', 'reference', '--no-sign');
    expect(r.err).toBe('accelcert: --graph runs the cases of its graph file: it takes no --profile or --suite\n');
    expect(r.code).toBe(2);
  });
});

describe('graph capture: usage', () => {
  it('documents itself, and a missing --out or script is a usage error (exit 2)', async () => {
    const help = await run('graph', 'capture', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/model\(\).*example_inputs\(\)/s);
    expect(help.out).toMatch(/--keep-weights/);
    expect((await run('graph', 'capture', 'x.py')).code).toBe(2);
    expect((await run('graph', 'capture', '--out', 'x.json')).code).toBe(2);
  });

  it('a Python without torch is one sentence and exit 3', async () => {
    // the system interpreter without its site packages
    const noTorch = join(tmp, 'python-without-torch');
    writeFileSync(noTorch, `#!/bin/sh\nexec ${TORCH_PYTHON} -S "$@"\n`);
    chmodSync(noTorch, 0o755);
    const r = await run('graph', 'capture', write('any.py', ''), '--out', join(tmp, 'never.json'), '--python', noTorch);
    expect(r.err).toMatch(/^accelcert: cannot capture a graph: .*has no torch module.*\n$/);
    expect(r.code).toBe(3);
  });
});

describe('run --graph on the reference driver', () => {
  it('runs the eager and compiled cases of the file, records its sha256 and copies it, and verify takes its cases from the run folder', async () => {
    const path = writeJson('hand-mlp.json', handMade());
    const { digest } = loadGraphFile(path);
    const out = join(tmp, 'ref-run');
    const r = await run('run', '--graph', path, '--driver', 'reference', '--no-sign', '--out', out);
    const rep = report(out);
    expect(rep.results.map((x) => [x.id, x.status])).toEqual([
      ['graph/captured/hand-mlp/float32/eager', 'pass'],
      ['graph/captured/hand-mlp/float32/compiled', 'pass'],
    ]);
    expect(r.code).toBe(0);
    expect(rep.graph).toEqual({ file: path, sha256: digest, name: 'hand-mlp' });
    expect(rep.profile).toEqual({ name: 'graph', requiredCases: 2 });
    expect(rep.verdict.status).toBe('CERTIFIED');
    expect(rep.verdict.reasons.join(' ')).toContain(`the certification covers the model hand-mlp of graph file ${path} only`);
    expect(r.out).toMatch(/^CERTIFIED \(graph\) on driver reference/);
    expect(readFileSync(join(out, GRAPH_FILE_IN_RUN))).toEqual(readFileSync(path));

    // an unsigned run is never VALID; every claim of its content checks out
    const v = await run('verify', out, '--allow-unsigned');
    expect(v.out).toMatch(/ok {4}verdict +CERTIFIED, recomputed from the results, equals the claimed verdict/);
    expect(v.out).toMatch(/\nINVALID: the report is unsigned: its content is consistent, but nothing proves who wrote it\n$/);
    expect(v.code).toBe(1);

    // a graph.json edited after the run, or gone, is a failed check, not a crash
    const edited = join(tmp, 'ref-run-edited');
    cpSync(out, edited, { recursive: true });
    const file = handMade();
    writeFileSync(join(edited, GRAPH_FILE_IN_RUN), JSON.stringify({ ...file, inputs: [file.inputs[0], { ...file.inputs[1], recipe: { kind: 'normal', mean: 0, std: 0.2 } }, file.inputs[2]] }));
    const e = await run('verify', edited, '--allow-unsigned');
    expect(e.code).toBe(1);
    expect(e.out).toMatch(/FAIL {2}suite digests +.*graph\.json hashes to sha256 [0-9a-f]{64}, but the report records graph file .* with sha256 /);
    const gone = join(tmp, 'ref-run-gone');
    cpSync(out, gone, { recursive: true });
    writeFileSync(join(gone, GRAPH_FILE_IN_RUN), '');
    expect((await run('verify', gone, '--allow-unsigned')).out).toMatch(/graph\.json hashes to sha256/);
  }, 120_000);
});

describe.skipIf(!haveTorch)(`graph capture with PyTorch ${python?.torchVersion ?? '(none)'}`, () => {
  const script = write('my_model.py', MODEL_PY);
  const capture = (...args: string[]) => run('graph', 'capture', ...args, '--python', TORCH_PYTHON);

  it('captures a module to a graph file that validates, with seeded inputs of the module scale and cosine checks', async () => {
    const out = join(tmp, 'tiny-net.json');
    const r = await capture(script, '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { file } = loadGraphFile(out);
    expect(r.out).toBe(`captured tiny-net: ${file.graph.nodes.length} nodes, 10 placeholders (8 parameters) → ${out}\n`);
    expect(file).toMatchObject({ name: 'tiny-net', family: 'captured', dtype: 'float32', source: { module: 'my_model.py:TinyNet', keptWeights: false } });
    expect(file.source.torch).toBe(python?.torchVersion);
    expect(file.graph.placeholders.map((p) => `${p.kind} ${p.name}`)).toEqual([
      'parameter p_fc1_weight', 'parameter p_fc1_bias', 'parameter p_norm_weight', 'parameter p_norm_bias',
      'parameter p_fc2_weight', 'parameter p_fc2_bias', 'parameter p_conv_weight', 'parameter p_conv_bias',
      'input x', 'input image',
    ]);
    const ops = file.graph.nodes.map((n) => n.op);
    expect(ops).toEqual(expect.arrayContaining(['aten.addmm.default', 'aten.native_layer_norm.default', 'aten.gelu.default', 'aten._softmax.default', 'aten.convolution.default', 'aten.relu.default', 'aten.mean.dim', 'aten.argmax.default']));
    expect(file.graph.nodes.find((n) => n.op === 'aten.native_layer_norm.default')?.outputs).toBe(3);
    // the outputs flattened: softmax, the conv features, the argmax; the float ones checked by cosine
    expect(file.graph.outputs).toHaveLength(3);
    expect(file.checks).toEqual([
      { kind: 'cosine', output: 0, min: 0.999999 },
      { kind: 'cosine', output: 1, min: 0.999999 },
    ]);
    expect(file.inputs.map((s) => s.shape)).toEqual([[32, 16], [32], [32], [32], [10, 32], [10], [4, 3, 3, 3], [4], [4, 16], [2, 3, 8, 8]]);
    expect(file.inputs.every((s) => s.recipe.kind === 'normal' || s.recipe.kind === 'uniform')).toBe(true);
    const weight = file.inputs[0]?.recipe;
    // nn.Linear(16, 32) draws U(±1/4): std 1/√48
    expect(weight?.kind === 'normal' && Math.abs(weight.std - 1 / Math.sqrt(48)) < 0.02).toBe(true);
    // the layer norm weight, uniform in [0.5, 1.5): mean about 1
    const norm = file.inputs[2]?.recipe;
    expect(norm?.kind === 'normal' && Math.abs(norm.mean - 1) < 0.2).toBe(true);
  }, 120_000);

  it('--keep-weights gives values recipes equal to the module weights, and --name names the model', async () => {
    const out = join(tmp, 'kept.json');
    const r = await capture(script, '--out', out, '--keep-weights', '--name', 'kept-net', '--json');
    expect(r.code).toBe(0);
    const { file, digest } = loadGraphFile(out);
    expect(JSON.parse(r.out)).toMatchObject({ file: out, sha256: digest, name: 'kept-net', placeholders: 10, parameters: 8 });
    expect(file.name).toBe('kept-net');
    expect(file.source.keptWeights).toBe(true);
    const dump = [
      'import importlib.util, json, sys',
      `spec = importlib.util.spec_from_file_location("m", ${JSON.stringify(script)})`,
      'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'print(json.dumps([t.detach().double().reshape(-1).tolist() for t in m.model().parameters()]))',
    ].join('\n');
    const weights = JSON.parse(execFileSync(TORCH_PYTHON, ['-c', dump], { encoding: 'utf8' })) as number[][];
    expect(weights).toHaveLength(8);
    weights.forEach((w, i) => {
      expect(file.inputs[i]?.recipe).toEqual({ kind: 'values', values: w });
    });
    // user inputs stay seeded recipes
    expect(file.inputs[8]?.recipe.kind).toBe('normal');
  }, 120_000);

  it('brings an attention block to Core ATen (no fused kernel, no in-place op, no memory format) and PyTorch runs it eagerly', async () => {
    const out = join(tmp, 'attn-block.json');
    const r = await capture(write('attn_block.py', BLOCK_PY), '--out', out);
    expect(r.err).toBe('');
    const { file } = loadGraphFile(out);
    const ops = new Set(file.graph.nodes.map((n) => n.op));
    expect(ops).toContain('aten.relu.default');
    expect([...ops].filter((o) => /multi_head|relu_|_reshape_alias|_unsafe_view/.test(o))).toEqual([]);
    if (python?.torchVersion?.startsWith('1.')) {
      // make_fx: attention's scaling as traced, `q / 2.83`, takes div's Scalar overload
      expect(ops).toContain('aten.bmm.default');
      expect(file.graph.nodes.find((n) => n.name === 'div')?.op).toBe('aten.div.Scalar');
    }
    const kinds = file.graph.placeholders.map((p) => p.kind);
    expect(kinds.filter((k) => k === 'buffer')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'constant').length).toBeGreaterThan(0);
    // tokens keep their range; the running variance stays positive
    const at = (name: string) => file.inputs[file.graph.placeholders.findIndex((p) => p.name === name)];
    expect(at('tokens')).toMatchObject({ dtype: 'int64', shape: [2, 5], recipe: { kind: 'int', low: expect.any(Number), high: expect.any(Number) } });
    expect(at('b_bn_running_var')?.recipe.kind).toBe('uniform');
    // logits, the flattened conv features, the argmax: the float ones checked
    expect(file.graph.outputs).toHaveLength(3);
    expect(file.checks.map((c) => c.output)).toEqual([0, 1]);

    const dir = join(tmp, 'attn-run');
    await run('run', '--graph', out, '--driver', 'pytorch', '--device', 'cpu', '--python', TORCH_PYTHON, '--no-sign', '--out', dir);
    const eager = report(dir).results.find((x) => x.id.endsWith('/eager'));
    expect(eager?.status, eager?.message ?? '').toBe('pass');
  }, 120_000);

  it('a script without model() is one sentence naming it, exit 2', async () => {
    const bad = write('no_model.py', 'import torch\n\ndef example_inputs():\n    return (torch.randn(2),)\n');
    const r = await capture(bad, '--out', join(tmp, 'never.json'));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`accelcert: ${bad} defines no model() function (it must define model() and example_inputs())\n`);
    expect(existsSync(join(tmp, 'never.json'))).toBe(false);
  }, 60_000);

  it('a module whose graph calls an op accelcert does not define is reported like any bad file', async () => {
    const odd = write('odd_model.py', 'import torch\n\nclass Odd(torch.nn.Module):\n    def forward(self, x):\n        return torch.special.i0(x)\n\ndef model():\n    return Odd()\n\ndef example_inputs():\n    return (torch.randn(3, 4),)\n');
    const out = join(tmp, 'odd.json');
    const r = await capture(odd, '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^accelcert: ${out.replaceAll('.', '\\.')}: node i0 calls aten\\.i0\\.default, which accelcert does not define\\n$`));
  }, 60_000);

  it('run --graph on PyTorch: eager passes, compiled is unsupported in PyTorch 1.13 words; verify accepts the run; the reference passes it', async () => {
    const file = join(tmp, 'tiny-net-run.json');
    expect((await capture(script, '--out', file)).code).toBe(0);
    const out = join(tmp, 'torch-run');
    const r = await run('run', '--graph', file, '--driver', 'pytorch', '--device', 'cpu', '--python', TORCH_PYTHON, '--no-sign', '--out', out);
    const rep = report(out);
    const byMode = Object.fromEntries(rep.results.map((x) => [x.id.split('/').pop(), x]));
    expect(byMode['eager']?.status, byMode['eager']?.message ?? '').toBe('pass');
    if (python?.torchVersion?.startsWith('1.')) {
      expect(byMode['compiled']?.status).toBe('unsupported');
      expect(byMode['compiled']?.message).toContain(`PyTorch ${python.torchVersion} has no torch.compile`);
      expect(r.code).toBe(1);
      expect(rep.verdict.status).toBe('NOT_CERTIFIED');
      // the summary's rerun line names the graph file, not a profile
      expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(`npx accelcert run --driver pytorch --device cpu --python ${TORCH_PYTHON} --graph ${file} --filter ${byMode['compiled']?.id}`);
    } else {
      expect(byMode['compiled']?.status).toBe('pass');
      expect(r.code).toBe(0);
    }
    const v = await run('verify', out, '--allow-unsigned');
    expect(v.out).toMatch(/^INVALID: the report is unsigned: its content is consistent, but nothing proves who wrote it$/m);
    expect(v.code).toBe(1);

    const ref = join(tmp, 'tiny-net-ref');
    const rr = await run('run', '--graph', file, '--driver', 'reference', '--no-sign', '--out', ref);
    expect(report(ref).results.map((x) => x.status)).toEqual(['pass', 'pass']);
    expect(rr.code).toBe(0);
  }, 300_000);
});
