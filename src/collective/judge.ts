import { describeOutput } from '../judge/describe.js';
import { formatValue } from '../judge/format.js';
import { judgeCase, type Answers } from '../judge/judge.js';
import { outputFailed, statusFromOutputs, type CaseJudgement } from '../judge/result.js';
import { contiguousBytes, readLogical } from '../tensor/materialize.js';
import type { RefTensor, TensorData } from '../tensor/tensor.js';
import { unravelIndex } from '../tensor/tensor.js';
import type { CollectiveSpec } from '../workload/collective.js';
import type { RankExpectation } from './reference.js';

/**
 * Judges a collective: each rank's output (output r is rank r's) against its expectation (reference.ts), the
 * repeated run byte for byte, and, for all_reduce, that every rank ended with the same bytes as rank 0: replicas
 * of a model that receive different gradients drift apart, whatever the bound allows each of them.
 */
export function judgeCollective(spec: CollectiveSpec, e: RankExpectation, x: RefTensor, answers: Answers): CaseJudgement {
  const judged = judgeCase({ outputs: e.specs, expected: e.expected, inputs: [x] }, answers);
  if (spec.op === 'all_reduce') ranksAgree(judged, answers.first);
  const status = statusFromOutputs(judged.outputs);
  const first = judged.outputs.find(outputFailed);
  const counts = answers.first.length !== spec.ranks ? `returned ${answers.first.length} outputs for ${spec.ranks} ranks; ` : '';
  return { ...judged, status, message: status === 'pass' ? null : counts + (first ? `rank ${first.index}: ${describeOutput(first)}` : 'failed') };
}

/** Marks every rank whose bytes differ from rank 0's, though its values passed, with the first difference. */
function ranksAgree(judged: CaseJudgement, outputs: readonly TensorData[]): void {
  const zero = outputs[0];
  if (!zero) return;
  const zeroBytes = contiguousBytes(zero);
  for (let r = 1; r < outputs.length; r++) {
    const o = outputs[r] as TensorData;
    const metrics = judged.outputs[r];
    // a rank already wrong by the bound says so itself; this catches ranks each within the bound but apart
    if (!metrics || outputFailed(metrics) || o.dtype !== zero.dtype || o.shape.join() !== zero.shape.join()) continue;
    const bytes = contiguousBytes(o);
    if (bytes.length === zeroBytes.length && bytes.every((b, i) => b === zeroBytes[i])) continue;
    const a = readLogical(zero);
    const b = readLogical(o);
    let at = 0;
    while (at < a.length && Object.is(a[at], b[at])) at++;
    const where = at < a.length ? ` at [${unravelIndex(at, o.shape).join(',')}]: ${formatValue(b[at] as number)} where rank 0 has ${formatValue(a[at] as number)}` : '';
    metrics.problem = `rank ${r} ended with other bytes than rank 0${where}; every rank of an all_reduce must end with the same answer`;
  }
}
