import { createHash } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { RegisterCommand } from './command.js';
import { firstLine, UserError } from '../errors.js';
import { readBytes } from '../json.js';
import { getOp } from '../ops/registry.js';
import { opCall, type BoundOp } from '../ops/types.js';
import { RUN_FILES } from '../report/files.js';
import { loadReport } from '../report/load.js';
import type { Report } from '../report/schema.js';
import { rerunCommand } from '../render/format.js';
import { reproScript } from '../render/repro.js';
import { computeOracle, type OracleResult } from '../runner/oracle.js';
import type { CaseResult } from '../runner/result.js';
import type { OpCase } from '../workload/case.js';
import { shippedSuites } from '../../suites/index.js';

const ReproOptionsSchema = z.object({ out: z.string().optional() });

/** The report.json that DIR names: a run folder's, a report.dsse.json's neighbour, or the file itself. */
function reportFile(given: string): string {
  if (existsSync(given) && statSync(given).isDirectory()) return join(given, RUN_FILES.report);
  return basename(given) === RUN_FILES.envelope ? join(dirname(given), RUN_FILES.report) : given;
}

/** The report's result for the case; a case the report does not hold is the user's mistake (exit 2). */
function resultOf(report: Report, path: string, caseId: string): CaseResult {
  const result = report.results.find((r) => r.id === caseId);
  if (!result) throw new UserError(`${path} has no result for case ${caseId} (it holds ${report.results.length}; \`jq -r '.results[].id' ${path}\` lists them)`);
  return result;
}

/** The op case this accelcert ships under the result's id: kits are made for op cases only, from the shipped suites. */
function shippedOpCase(report: Report, result: CaseResult): OpCase {
  if (result.kind !== 'op') {
    throw new UserError(`${result.id} is a ${result.kind} case; accelcert repro makes kits for op cases (one ATen call) only: rerun it with ${rerunCommand(report, result.id)}`);
  }
  const c = shippedSuites()
    .flatMap((s) => s.cases)
    .find((x) => x.id === result.id);
  if (c?.kind !== 'op') {
    throw new UserError(`${result.id} is not a case this accelcert ships (the report was written by accelcert ${report.harness.version}), so its inputs cannot be rebuilt`);
  }
  return c;
}

function bind(c: OpCase): BoundOp {
  const op = getOp(c.op);
  if (!op) throw new UserError(`this accelcert has no definition of ${c.op}, so it cannot judge ${c.id}`);
  try {
    return op.bind(opCall(c));
  } catch (err) {
    throw new UserError(`the reference cannot compute ${c.id}: ${firstLine(err)}`);
  }
}

/**
 * The inputs and reference the run's oracle computed for the case and the report's seed; inputs other than the report's
 * (another accelcert generated them) would make a kit of another case, so they are refused.
 */
function oracleFor(c: OpCase, report: Report, result: CaseResult): OracleResult {
  const seed = report.selection.seed ?? null;
  const answer = computeOracle({ case: c, seed, cache: null });
  if (!answer.ok) throw new UserError(`${c.id}: ${answer.message}`);
  const recorded = result.inputDigest;
  if (typeof recorded === 'string' && recorded !== answer.inputDigest) {
    throw new UserError(
      `the inputs this accelcert generates for ${c.id} with seed ${seed ?? 'none'} (sha256 ${answer.inputDigest}) are not the report's (inputDigest ${recorded}); make the kit with accelcert ${report.harness.version}, which wrote the report`,
    );
  }
  return answer;
}

function write(script: string, out: string | undefined, caseId: string): void {
  if (out === undefined) {
    process.stdout.write(script);
    return;
  }
  try {
    writeFileSync(out, script, { mode: 0o755 });
  } catch (err) {
    throw new UserError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  process.stderr.write(`wrote the failure kit of ${caseId} to ${out}; run it with python3 ${out} [--device DEVICE]\n`);
}

export const registerRepro: RegisterCommand = (program) => {
  program
    .command('repro')
    .description("write a failure kit for one op case of a run: a standalone Python script (torch only) that rebuilds the case's inputs bit for bit, runs the op on a device you choose and judges the answer as accelcert does")
    .argument('<dir>', 'a run folder, its report.json or its report.dsse.json (the report.json beside it is read)')
    .argument('<case-id>', 'the id of an op case the report holds, e.g. core/unary/aten.exp.default/float32/7x13')
    .option('--out <file>', 'write the script to this file (default: stdout)')
    .addHelpText(
      'after',
      [
        '',
        'The script needs only PyTorch and the Python standard library: python3 repro.py [--device cuda:0] [--all] [--json]',
        '[--outputs FILE] (judge tensors saved with torch.save instead of running the op).',
        "It carries the case's inputs (the storage bytes the device got, padding included; their sha256 is the report's",
        'inputDigest), makes the call as the pytorch worker does (ACCELCERT_TORCH_PLUGINS is imported first), and judges',
        "the answer against the float64 reference with the interval accelcert's judge computed for every element. It",
        "prints the worst element as report.json's `worst` does, and PASS (exit 0) or FAIL (exit 1; 2 when it cannot run",
        'there: no torch, an unusable device). Its header names the',
        'case, the report, the device fingerprint, the acceptance rule and the accelcert command that reruns the case.',
        '',
        'Exit codes: 0 the kit was written; 2 bad input (no such folder or report, a case the report does not hold, a',
        'graph or bench case, a case this accelcert does not ship or whose inputs it generates otherwise).',
      ].join('\n'),
    )
    .action((dir: string, caseId: string, raw: unknown) => {
      const opts = ReproOptionsSchema.parse(raw);
      const path = reportFile(dir);
      const report = loadReport(path);
      const result = resultOf(report, path, caseId);
      const c = shippedOpCase(report, result);
      const bound = bind(c);
      const answer = oracleFor(c, report, result);
      const script = reproScript({
        report,
        reportPath: path,
        reportSha256: createHash('sha256').update(readBytes(path)).digest('hex'),
        result,
        case: c,
        inputs: answer.inputs,
        inputDigest: answer.inputDigest,
        outputs: bound.outputs,
        expected: answer.expected,
        repeat: bound.nondeterministic !== true,
        scriptName: opts.out === undefined ? 'repro.py' : basename(opts.out),
      });
      write(script, opts.out, caseId);
    });
};
