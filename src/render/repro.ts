import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { deviceName } from '../device/device.js';
import { PYTORCH_WORKER } from '../drivers/pytorch/driver.js';
import { isRandom } from '../judge/interval.js';
import type { Arg } from '../ops/args.js';
import type { OutputSpec, RefOutput } from '../ops/types.js';
import type { Report } from '../report/schema.js';
import type { CaseResult } from '../runner/result.js';
import type { TensorData } from '../tensor/tensor.js';
import type { OpCase } from '../workload/case.js';
import { rerunCommand } from './format.js';
import { outputRules, type ElementData, type OutputRule } from './repro-data.js';
import { PYTHON_IMPORTS, PYTHON_KIT, workerDefinitions } from './repro-python.js';

/*
 * `accelcert repro`: a failure kit for one op case of a run, as a standalone Python script an engineer attaches to a
 * bug. It carries the case's inputs (the storage bytes the device got), the call as accelcert's pytorch worker makes
 * it, and the acceptance data the judge computed, so that it needs neither accelcert nor its oracle: readable header and
 * metadata first, the code, then the data blobs at the bottom. A pure function of the report, the case and what the
 * oracle computed for it.
 */

/** Everything a kit is made from. */
export interface ReproKit {
  report: Report;
  /** the report.json the case comes from, as the user named it, and the sha256 of its bytes */
  reportPath: string;
  reportSha256: string;
  /** the report's result for the case */
  result: CaseResult;
  /** the shipped case */
  case: OpCase;
  /** the inputs as the device got them, and the sha256 over their storage bytes */
  inputs: readonly TensorData[];
  inputDigest: string;
  /** the bound op's outputs (dtype, shape, acceptance rule) and the oracle's reference for each */
  outputs: readonly OutputSpec[];
  expected: readonly RefOutput[];
  /** whether the case runs twice and must give the same bytes (false: the op is documented nondeterministic) */
  repeat: boolean;
  /** the script's file name, for the header's usage lines */
  scriptName: string;
}

const WIDTH = 118;
const BASE64_LINE = 96;
/** Blobs below this many bytes are left uncompressed: zlib would save nothing worth the step. */
const COMPRESS_FROM = 256;

/** The kit: a Python script, header and metadata, code, data. */
export function reproScript(kit: ReproKit): string {
  const rules = kit.outputs.map((spec, k) => outputRules(spec, kit.expected[k] as RefOutput));
  return [
    header(kit, rules),
    '',
    PYTHON_IMPORTS,
    section('the case, as accelcert sends it to a device'),
    `CASE = json.loads(r"""\n${pythonJson(caseMetadata(kit, rules))}\n""")`,
    '',
    section('the report the case comes from, and what it recorded'),
    `REPORT = json.loads(r"""\n${pythonJson(reportMetadata(kit))}\n""")`,
    '',
    section("accelcert's pytorch worker (src/drivers/pytorch/worker.py), verbatim: the call as in the run"),
    '',
    workerDefinitions(readFileSync(PYTORCH_WORKER, 'utf8')),
    '',
    PYTHON_KIT,
    dataSection(kit, rules),
    '',
    'if __name__ == "__main__":',
    '    sys.exit(main())',
    '',
  ].join('\n');
}

function section(title: string): string {
  return `\n# ${'-'.repeat(64)} ${title}\n`;
}

// ------------------------------------------------------------------------------------------------------------- header

function header(kit: ReproKit, rules: readonly OutputRule[][]): string {
  const { report, result } = kit;
  const c = kit.case;
  const fp = report.target.fingerprint;
  const fw = fp.framework ? `${fp.framework.name} ${fp.framework.version}` : 'no framework';
  const run = report.harness.gitCommit ? `accelcert ${report.harness.version} (commit ${report.harness.gitCommit})` : `accelcert ${report.harness.version}`;
  const recorded = result.inputDigest ? (result.inputDigest === kit.inputDigest ? "the report's inputDigest" : `the report recorded ${result.inputDigest}`) : 'the report recorded no input digest';
  const fields: [string, string][] = [
    ['case', c.id],
    ['op', `${c.op}, called as ${callText(c)}`],
    ['dtype', c.dtype],
    ...kit.inputs.map((t, i): [string, string] => [`input ${i}`, inputText(kit, i, t)]),
    ['inputs', `sha256 ${kit.inputDigest} over the storage bytes (${recorded})`],
    ['report', `${kit.reportPath} (sha256 ${kit.reportSha256}), written by ${run} from ${report.startedAt} to ${report.endedAt}; seed ${report.selection.seed ?? 'none'}, profile ${report.profile.name}`],
    ['device', `driver ${report.target.driver}, device ${report.target.device}: ${deviceName(fp)}, ${fw}, driver version ${fp.driverVersion ?? 'unknown'} (the whole fingerprint: REPORT["fingerprint"] below)`],
    ['result', result.message ? `${result.status}: ${result.message}` : result.status],
    ...rules.flatMap((byDtype, k) => byDtype.map((r, j): [string, string] => ['rule', ruleText(kit.outputs[k] as OutputSpec, k, r, j > 0)])),
  ];
  const name = kit.scriptName;
  return [
    '#!/usr/bin/env python3',
    `# accelcert failure kit for ${oneLine(c.id)}`,
    '#',
    ...comment(
      'A standalone script: it needs PyTorch and the Python standard library only, not accelcert. It rebuilds the case\'s inputs bit for bit, runs the op on a device of your choice as accelcert\'s pytorch worker calls it, and judges the answer as accelcert does.',
    ),
    '#',
    ...fields.flatMap(([k, v]) => comment(v, `#   ${k.padEnd(8)} `, `#   ${' '.repeat(8)} `)),
    '#',
    '# Run it:',
    `#   python3 ${name}                   # on the CPU`,
    `#   python3 ${name} --device cuda:0   # any device PyTorch takes; --all prints every element, --json the metrics`,
    `#   python3 ${name} --outputs out.pt  # judge tensors saved with torch.save (a list, in output order) instead`,
    `#   ACCELCERT_TORCH_PLUGINS=torch_npu python3 ${name} --device npu:0   # modules imported first, as the worker does`,
    ...comment(
      "It prints the device's answer beside the float64 reference and the interval the rule allows, how many elements fall outside, the worst one (as report.json's `worst` gives it) and PASS or FAIL. Exit 0 PASS, 1 FAIL, 2 the script cannot run here (no torch, an unusable device). The acceptance rules: docs/numerics.md of accelcert.",
    ),
    '#',
    '# Rerun the case through accelcert (from the folder the run was started in):',
    `#   ${oneLine(rerunCommand(report, c.id))}`,
  ].join('\n');
}

/** Comment lines of at most WIDTH characters; the first line starts with `first`, the rest with `rest`. */
function comment(text: string, first = '# ', rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of oneLine(text).split(' ')) {
    const prefix = lines.length === 0 ? first : rest;
    if (line.length + word.length > WIDTH && line !== prefix) {
      lines.push(line.trimEnd());
      line = rest;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines;
}

/** Text from the report, safe in a comment: one line. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

function inputText(kit: ReproKit, i: number, t: TensorData): string {
  const spec = kit.case.inputs[i];
  const made = spec ? `: ${spec.layout.kind} layout, ${spec.recipe.kind} values` : '';
  return `${t.dtype}[${t.shape.join(', ')}], strides [${t.strides.join(', ')}], offset ${t.offset}${made}; storage of ${t.storage.length} bytes`;
}

function ruleText(spec: OutputSpec, k: number, r: OutputRule, alternative: boolean): string {
  const which = alternative ? `output ${k} returned as ${r.dtype} (PyTorch documents that dtype too)` : `output ${k}, ${r.dtype}[${spec.shape.join(', ')}]`;
  return `${which}: ${r.meta.rule}: ${r.meta.means}`;
}

/** The call as Python reads it: `torch.ops.aten.add.Tensor(input 0, input 1, alpha=2)`. */
function callText(c: Pick<OpCase, 'op' | 'args' | 'kwargs'>): string {
  const parts = [...c.args.map(argText), ...Object.entries(c.kwargs).map(([k, v]) => `${k}=${argText(v)}`)];
  return `torch.ops.${c.op}(${parts.join(', ')})`;
}

function argText(a: Arg): string {
  switch (a.kind) {
    case 'tensor':
      return `input ${a.index}`;
    case 'tensors':
      return `[${a.indices.map((i) => `input ${i}`).join(', ')}]`;
    case 'int':
      return String(a.value);
    case 'float':
      return typeof a.value === 'string' ? `float('${a.value}')` : Number.isInteger(a.value) ? `${a.value}.0` : String(a.value);
    case 'bool':
      return a.value ? 'True' : 'False';
    case 'ints':
      return `[${a.value.join(', ')}]`;
    case 'str':
      return JSON.stringify(a.value);
    case 'dtype':
      return `torch.${a.value}`;
    case 'none':
      return 'None';
  }
}

// ----------------------------------------------------------------------------------------------------------- metadata

function caseMetadata(kit: ReproKit, rules: readonly OutputRule[][]): unknown {
  const c = kit.case;
  return {
    id: c.id,
    op: c.op,
    dtype: c.dtype,
    args: c.args,
    kwargs: c.kwargs,
    inputs: kit.inputs.map((t) => ({ dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset, byteLength: t.storage.length })),
    inputDigest: kit.inputDigest,
    repeat: kit.repeat,
    outputs: kit.outputs.map((spec, k) => ({
      dtype: spec.dtype,
      shape: spec.shape,
      random: isRandom(spec.accuracy),
      rules: Object.fromEntries((rules[k] ?? []).map((r) => [r.dtype, r.meta])),
    })),
  };
}

function reportMetadata(kit: ReproKit): unknown {
  const { report, result } = kit;
  const fp = report.target.fingerprint;
  const fw = fp.framework ? `, ${fp.framework.name} ${fp.framework.version}` : '';
  return {
    path: kit.reportPath,
    sha256: kit.reportSha256,
    accelcert: report.harness.version,
    startedAt: report.startedAt,
    seed: report.selection.seed ?? null,
    driver: report.target.driver,
    device: `${deviceName(fp)}${fw} (driver ${report.target.driver}, device ${report.target.device})`,
    fingerprint: fp,
    status: result.status,
    message: result.message,
    inputDigest: result.inputDigest ?? null,
    outputDigest: result.outputDigest,
    outputs: result.outputs,
    rerun: rerunCommand(report, result.id),
  };
}

/**
 * JSON for a raw triple-quoted Python string: indented, short arrays and objects on one line. JSON text never holds
 * three quotes in a row (a string's quotes are escaped), so the string cannot end early.
 */
function pythonJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat.length + indent.length <= WIDTH || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + pythonJson(v, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pythonJson(v, inner)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

// --------------------------------------------------------------------------------------------------------------- data

function dataSection(kit: ReproKit, rules: readonly OutputRule[][]): string {
  const storages = kit.inputs.map((t, i) => `    # input ${i}: ${t.dtype}, ${t.storage.length} bytes of storage\n    ${pythonBlob('unpack', t.storage, '    ')},`);
  const tables = rules.flatMap((byDtype, k) => byDtype.filter((r) => r.data !== null).map((r) => dataEntry(k, r.dtype, r.data as ElementData)));
  return [
    section('data, generated by accelcert repro: do not edit'),
    ...comment(
      'The storage bytes of every input, as the device got them: little-endian elements, with the padding a transposed, strided or offset layout leaves (poison values: NaN, the largest integer, or 1), as in the run. sha256 over them, in order, is the case\'s inputDigest.',
    ),
    'STORAGES = [',
    ...storages,
    ']',
    '',
    ...comment(
      "Per output and dtype, the acceptance data accelcert's judge computed (src/judge/interval.ts): for an exact rule each element's expected value (and, where PyTorch leaves the choice open, every value it may take); for a tolerance rule each element's float64 reference and half-width (away from zero; toward zero where that side is narrower; as the judge's element loop sums it where that differs in the last bit), and mayOverflow (1 where a partial sum may overflow, so ±inf and NaN are accepted).",
    ),
    'DATA = {',
    ...tables,
    '}',
  ].join('\n');
}

function dataEntry(output: number, dtype: string, data: ElementData): string {
  const fields = Object.entries(data).map(([name, values]) => {
    if (values === null) return `        "${name}": None,`;
    const reader = values instanceof Float64Array ? 'floats' : 'unpack';
    return `        "${name}": ${pythonBlob(reader, values instanceof Float64Array ? littleEndian(values) : values, '        ')},`;
  });
  return [`    (${output}, "${dtype}"): {`, ...fields, '    },'].join('\n');
}

/** Float64 values as little-endian bytes, whatever this machine's byte order. */
function littleEndian(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return bytes;
}

/** A blob as a Python call of `reader` on base64 text, zlib-compressed when that makes it smaller. */
function pythonBlob(reader: 'unpack' | 'floats', bytes: Uint8Array, indent: string): string {
  if (bytes.length === 0) return `${reader}("raw", "")`;
  const packed = bytes.length >= COMPRESS_FROM ? deflateSync(bytes, { level: 9 }) : null;
  const zlib = packed !== null && packed.length < bytes.length;
  const text = Buffer.from(zlib ? packed : bytes).toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < text.length; at += BASE64_LINE) lines.push(`${indent}${text.slice(at, at + BASE64_LINE)}`);
  return `${reader}("${zlib ? 'zlib' : 'raw'}", """\n${lines.join('\n')}\n${indent}""")`;
}
