import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../drivers/pytorch/python.js';
import { judgeCase } from '../judge/judge.js';
import type { OutputMetrics } from '../judge/result.js';
import { getOp } from '../ops/registry.js';
import { opCall, type OutputSpec, type RefOutput } from '../ops/types.js';
import { reproScript } from '../render/repro.js';
import { PYTHON_IMPORTS, WORKER_FUNCTIONS, workerDefinitions } from '../render/repro-python.js';
import { ReportSchema, type Report } from '../report/schema.js';
import { computeOracle, type OracleResult } from '../runner/oracle.js';
import type { CaseResult } from '../runner/result.js';
import { castFunction, dtypeInfo, ulpFunction, type DType } from '../tensor/dtype.js';
import { contiguousBytes, fromValues } from '../tensor/materialize.js';
import type { TensorData } from '../tensor/tensor.js';
import { runCli, runMain, seededRandom } from '../testing/helpers.js';
import { syntheticReport } from '../testing/synthetic.js';
import { PACKAGE_ROOT } from '../version.js';
import type { OpCase } from '../workload/case.js';
import { shippedSuites } from '../../suites/index.js';

/**
 * `accelcert repro` writes a failure kit: a Python script that needs only torch. These tests run the kits with
 * PyTorch on the CPU, made wrong the same way in the run and in the kit by a plugin (fixtures/workers/plugins/
 * exp_flushes_subnormals.py flushes exp's subnormal results to zero), and check that a kit reproduces its case: the
 * same inputs (digest), the same verdict and the same worst element as report.json records.
 */
const python = await findPython({}).catch(() => null);
const haveTorch = python?.torchVersion != null;
if (!haveTorch && process.env.CI) throw new Error(`CI must have PyTorch for the repro tests: ${python?.reason ?? 'no python'}`);
const PY = python?.path ?? 'python3';

const tmp = mkdtempSync(join(tmpdir(), 'accelcert-repro-'));
const PLUGIN = { PYTHONPATH: join(PACKAGE_ROOT, 'fixtures/workers/plugins'), ACCELCERT_TORCH_PLUGINS: 'exp_flushes_subnormals' };
const NO_PLUGIN = { ACCELCERT_TORCH_PLUGINS: '' };
const FAILING = 'core/unary/aten.exp.default/float32/64x64-underflow-edge';
const PASSING = 'core/unary/aten.exp.default/float32/7x13-strided';

interface KitJson {
  status: 'pass' | 'fail';
  message: string;
  inputDigest: string;
  reportInputDigest: string | null;
  outputs: (Pick<OutputMetrics, 'index' | 'dtype' | 'mismatches' | 'margin' | 'worst' | 'problem'> & { judged: boolean })[];
}

function runKit(kit: string, env: NodeJS.ProcessEnv, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PY, [kit, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function makeKit(run: string, id: string): Promise<string> {
  const kit = join(tmp, `${id.replaceAll('/', '_')}.py`);
  const r = await runMain('repro', run, id, '--out', kit);
  expect(r.code, r.err).toBe(0);
  return kit;
}

/** The line report.json's `worst` makes, in the form summary.md and the kit print it. */
function worstText(w: NonNullable<OutputMetrics['worst']>): string {
  return `worst at [${w.index.join(',')}]: actual ${w.actual}, expected ${w.expected}, allowed ${w.allowed}`;
}

describe.runIf(haveTorch)('a failure kit run with PyTorch CPU', () => {
  const run = join(tmp, 'run');
  let report: Report;
  const result = (id: string): CaseResult => report.results.find((r) => r.id === id) as CaseResult;

  beforeAll(() => {
    const filters = [FAILING, PASSING].flatMap((f) => ['--filter', f]);
    const r = runCli(['run', '--driver', 'pytorch', '--python', PY, '--suite', 'core', ...filters, '--seed', 'kit-1', '--no-sign', '--out', run], PLUGIN);
    expect(r.code, r.stderr).toBe(1);
    report = ReportSchema.parse(JSON.parse(readFileSync(join(run, 'report.json'), 'utf8')));
    expect([result(FAILING).status, result(PASSING).status]).toEqual(['fail', 'pass']);
  }, 120_000);

  it('reproduces a failing case: the same inputs and the same worst element, FAIL with the defect and PASS without it', async () => {
    const kit = await makeKit(run, FAILING);
    const recorded = result(FAILING);
    const worst = recorded.outputs[0]?.worst;
    if (!worst) throw new Error('the failing case recorded no worst element');
    const failing = runKit(kit, PLUGIN, '--json');
    expect(failing.code, failing.stderr).toBe(1);
    const out = JSON.parse(failing.stdout) as KitJson;
    expect(out.status).toBe('fail');
    expect(out.inputDigest).toBe(recorded.inputDigest);
    expect(out.reportInputDigest).toBe(recorded.inputDigest);
    expect(out.outputs[0]).toMatchObject({ mismatches: recorded.outputs[0]?.mismatches, margin: recorded.outputs[0]?.margin, worst, problem: null });
    // the text a person reads: the worst element as summary.md prints it, then the verdict
    const text = runKit(kit, PLUGIN);
    expect(text.code).toBe(1);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^FAIL ${FAILING}: output 0 \\(float32\\[64,64\\], ulp≤2\\): ${recorded.outputs[0]?.mismatches} of 4096 elements outside`));
    expect(lines.at(-1)).toContain(worstText(worst));
    expect(text.stdout).toContain('(the same worst element)');
    // PyTorch's own exp is right
    const fixed = runKit(kit, NO_PLUGIN);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout.trimEnd().split('\n').at(-1)).toBe(`PASS ${FAILING}: every output within its acceptance interval`);
  }, 60_000);

  it('a passing case with a strided input (poison in its padding) passes with the worst element the report records', async () => {
    const kit = await makeKit(run, PASSING);
    const recorded = result(PASSING);
    const r = runKit(kit, PLUGIN, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as KitJson;
    expect(out).toMatchObject({ status: 'pass', inputDigest: recorded.inputDigest });
    expect(out.outputs[0]).toMatchObject({ margin: recorded.outputs[0]?.margin, worst: recorded.outputs[0]?.worst });
    const header = readFileSync(kit, 'utf8').split('\n').slice(0, 40).join('\n');
    expect(header).toContain(`# accelcert failure kit for ${PASSING}`);
    expect(header).toContain(`npx accelcert run --driver pytorch --device cpu --python ${PY} --seed kit-1 --filter ${PASSING}`);
    expect(header).toMatch(/rule +output 0, float32\[7, 13\]: ulp≤2: /);
    expect(header).toContain('docs/numerics.md');
  }, 60_000);
});

/**
 * The kit's judge against accelcert's, rule by rule: for a case of each kind of rule, answers made from the reference
 * with errors of every sort (a few ULPs, NaN, ±inf, the other zero, wrong indices), judged by `judgeCase` and by the kit
 * (`--outputs`, one Python process for all the kits).
 */
const CASES: readonly (readonly [string, DType[]?])[] = [
  ['core/unary/aten.exp.default/float32/7x13-special'],
  ['core/binary/aten.add.Tensor/float32/7x13-special'],
  ['core/binary/aten.add.Tensor/int32/scalar-tensor-special'],
  ['core/matmul/aten.mm.default/float32/17x31x9-witness'],
  ['core/matmul/aten.mm.default/float32/33x513x65-nan-inf'],
  ['core/pooling/aten._adaptive_avg_pool2d.default/float32/resnet-2x64x7x7-to-1x1-special'],
  ['core/softmax/aten._softmax.default/float32/2x3x40-special'],
  ['core/reduction/aten.argmax.default/float32/dim1-9x17-special'],
  ['core/indexing/aten.index_put.default/float32/6x5-broadcast-values'],
  // several writes land on one element: any of them passes
  ['core/indexing/aten.scatter.src/float32/4x6-dim1-duplicates'],
  ['core/pooling/aten.upsample_nearest2d.vec/bfloat16/x3-2x4x9x11'],
  // the statistics come back in float32, a dtype PyTorch documents for them
  ['core/normalization/aten.native_layer_norm.default/bfloat16/2x3x32-normal', ['bfloat16', 'float32', 'float32']],
  ['core/comparison/aten.eq.Tensor/float32/7x13-special'],
  ['core/reduction/aten.sum.dim_IntList/float16/dims02'],
  ['core/reduction/aten.sort.default/float32/scalar-special'],
];

function isPowerOfTwo(x: number): boolean {
  return x !== 0 && Number.isFinite(x) && Math.log2(Math.abs(x)) % 1 === 0;
}

/** A value a few steps off, or one of the values a wrong kernel returns. */
function wrong(x: number, dtype: DType, random: () => number): number {
  const kind = dtypeInfo(dtype).kind;
  if (kind === 'bool') return x === 0 ? 1 : 0;
  if (kind !== 'float') return x + (random() < 0.5 ? 1 : -1);
  // just toward zero from a power of two, where a correctly rounded interval is half as wide as on the other side
  if (isPowerOfTwo(x) && random() < 0.7) return x - 0.3 * ulpFunction(dtype)(x) * Math.sign(x);
  const p = random();
  if (p < 0.1) return NaN;
  if (p < 0.15) return random() < 0.5 ? Infinity : -Infinity;
  if (p < 0.2) return x === 0 ? -x : 0;
  const steps = [0.3, -0.3, 0.75, -0.75, 2.2, -2.2, 1e6];
  return x + (steps[Math.floor(random() * steps.length)] as number) * ulpFunction(dtype)(x);
}

/** Element i's reference, or one of the other values PyTorch may leave there (which of several writes lands). */
function choice(ref: RefOutput, i: number, random: () => number): number {
  const { choiceStart, choices } = ref;
  const from = choiceStart?.[i] ?? 0;
  const n = (choiceStart?.[i + 1] ?? 0) - from;
  return choices && n > 0 ? (choices[from + Math.floor(random() * n)] as number) : (ref.values[i] as number);
}

/** The reference rounded to each output's dtype (any of an element's choices), with one element in five made wrong. */
function answers(outputs: readonly OutputSpec[], expected: readonly RefOutput[], dtypes: readonly DType[] | undefined, random: () => number): TensorData[] {
  return outputs.map((spec, k) => {
    const dtype = dtypes?.[k] ?? spec.dtype;
    const cast = castFunction(dtype);
    const ref = expected[k] as RefOutput;
    const values = Array.from(ref.values, (_r, i) => {
      const r = choice(ref, i, random);
      return cast(random() < (isPowerOfTwo(cast(r)) ? 0.7 : 0.2) ? wrong(cast(r), dtype, random) : r);
    });
    return fromValues(dtype, spec.shape, values);
  });
}

function opCase(id: string): OpCase {
  const c = shippedSuites()
    .flatMap((s) => s.cases)
    .find((x) => x.id === id);
  if (c?.kind !== 'op') throw new Error(`${id} is not a shipped op case`);
  return c;
}

interface Judged {
  id: string;
  metrics: OutputMetrics[];
}

function kitFor(report: Report, c: OpCase, answer: OracleResult, outputs: readonly OutputSpec[], dir: string): string {
  const result: CaseResult = {
    id: c.id,
    kind: 'op',
    subject: c.op,
    family: c.family,
    dtype: c.dtype,
    status: 'fail',
    message: null,
    outputs: [],
    outputDigest: null,
    inputDigest: answer.inputDigest,
    timings: { execMs: 0, deviceMs: null },
  };
  const kit = join(dir, `${c.id.replaceAll('/', '_')}.py`);
  const script = reproScript({ report, reportPath: 'report.json', reportSha256: '0'.repeat(64), result, case: c, inputs: answer.inputs, inputDigest: answer.inputDigest, outputs, expected: answer.expected, repeat: true, scriptName: 'kit.py' });
  writeFileSync(kit, script);
  return kit;
}

/** Runs every kit on its saved answers in one Python process (torch imports once): each kit's --json output. */
const JUDGE_ALL = String.raw`
import contextlib, importlib.util, io, json, sys, torch
out = {}
for job in json.load(open(sys.argv[1])):
    tensors = []
    for o in job["answers"]:
        data = bytearray(open(o["file"], "rb").read())
        dtype = getattr(torch, o["dtype"])
        t = torch.frombuffer(data, dtype=torch.uint8).view(dtype) if data else torch.empty(0, dtype=dtype)
        tensors.append(t.reshape(o["shape"]).clone())
    torch.save(tensors, job["pt"])
    spec = importlib.util.spec_from_file_location("kit%d" % len(out), job["kit"])
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        code = kit.main(["--outputs", job["pt"], "--json"])
    out[job["id"]] = dict(code=code, result=json.loads(text.getvalue()))
print(json.dumps(out))
`;

describe.runIf(haveTorch)("the kit's judge", () => {
  it('gives the metrics accelcert gives, output by output, under every kind of rule', () => {
    const dir = mkdtempSync(join(tmp, 'judge-'));
    const { report } = syntheticReport({ cases: 4, profile: 'inference-fp32' });
    const random = seededRandom(7);
    const jobs: unknown[] = [];
    const judged: Judged[] = [];
    for (const [id, dtypes] of CASES) {
      const c = opCase(id);
      const bound = (getOp(c.op) ?? { bind: () => null }).bind(opCall(c));
      const answer = computeOracle({ case: c, seed: null, cache: null });
      if (!bound || !answer.ok) throw new Error(`${id} cannot be computed`);
      const first = answers(bound.outputs, answer.expected, dtypes, random);
      // the last case also returns one output too many
      if (id === CASES.at(-1)?.[0]) first.push(fromValues('float32', [2], [1, 2]));
      const judgement = judgeCase({ outputs: bound.outputs, expected: answer.expected, inputs: answer.refs }, { first, repeat: null });
      judged.push({ id, metrics: judgement.outputs });
      const files = first.map((t, k) => {
        const file = join(dir, `${judged.length}-${k}.bin`);
        writeFileSync(file, contiguousBytes(t));
        return { file, dtype: t.dtype, shape: t.shape };
      });
      jobs.push({ id, kit: kitFor(report, c, answer, bound.outputs, dir), answers: files, pt: join(dir, `${judged.length}.pt`) });
    }
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
    const r = spawnSync(PY, ['-c', JUDGE_ALL, join(dir, 'jobs.json')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.status, r.stderr).toBe(0);
    const kits = JSON.parse(r.stdout) as Record<string, { code: number; result: KitJson }>;
    let compared = 0;
    for (const { id, metrics } of judged) {
      const kit = kits[id]?.result;
      expect(kit?.outputs.length, id).toBe(metrics.length);
      metrics.forEach((m, k) => {
        const o = kit?.outputs[k];
        if (!o?.judged) return;
        compared++;
        expect({ id, k, ...o }, `${id} output ${k}`).toMatchObject({ id, k, dtype: m.dtype, mismatches: m.mismatches, margin: m.margin, worst: m.worst, problem: m.problem });
      });
    }
    // every output but sort's indices (a property only accelcert checks) was judged by the kit
    expect(compared).toBe(judged.reduce((n, j) => n + j.metrics.length, 0) - 1);
    expect(judged.filter((j) => j.metrics.some((m) => m.mismatches > 0)).length).toBeGreaterThan(10);
  }, 60_000);
});

describe('the kit itself', () => {
  it("carries the pytorch worker's functions verbatim, so that it calls the op as a run does", async () => {
    const worker = readFileSync(join(PACKAGE_ROOT, 'src/drivers/pytorch/worker.py'), 'utf8');
    const kit = readFileSync(await makeKit(join(PACKAGE_ROOT, 'fixtures/bad-input/repro-run'), 'core/activation/aten.relu.default/float32/7x13'), 'utf8');
    // each definition as worker.py has it today, in the kit, in the listed order
    const at = WORKER_FUNCTIONS.map((name) => {
      const block = new RegExp(`\\n((?:def|class) ${name}\\b[\\s\\S]*?)\\n(?=\\S)`).exec(worker)?.[1] ?? `worker.py has no ${name}`;
      return kit.indexOf(`${block.trimEnd()}\n`);
    });
    expect(at.every((i) => i > 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(() => workerDefinitions('def other():\n    pass\n')).toThrow(/worker.py has no top-level WorkerFailure/);
    expect(PYTHON_IMPORTS).toContain(/DTYPE_NAMES = \[[^\]]*\]\n# [^\n]*\nDTYPES = [^\n]*\nDTYPE_OF = [^\n]*/.exec(worker)?.[0] ?? 'DTYPE_NAMES missing in worker.py');
  });

  it('says in one sentence that it needs PyTorch, and exits 2, where Python has none', async () => {
    const kit = await makeKit(join(PACKAGE_ROOT, 'fixtures/bad-input/repro-run'), 'core/activation/aten.relu.default/float32/7x13');
    const text = readFileSync(kit, 'utf8');
    // readable first, data last
    expect(text.indexOf('CASE = json.loads')).toBeLessThan(text.indexOf('def main('));
    expect(text.indexOf('def main(')).toBeLessThan(text.indexOf('STORAGES = ['));
    const r = spawnSync('python3', ['-S', kit], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^repro: this script needs PyTorch, which .* cannot import: /);
  });
});
