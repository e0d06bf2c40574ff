import type { CaseResult } from '../runner/result.js';

/**
 * PyTorch 1.13's own defects that the core suite catches on the CPU, each traced by hand and recorded in the findings
 * table of docs/numerics.md. The PyTorch tests accept exactly these non-passing results and nothing else: a case that
 * fails for any other reason is a false failure of the harness (or a new finding to trace and add here).
 */
export interface PytorchFinding {
  /** what was traced, as docs/numerics.md words it */
  readonly why: string;
  /** the case ids it explains */
  readonly ids: RegExp;
  /** the status and message the defect produces */
  readonly status: CaseResult['status'];
  readonly message: RegExp;
  /** only with vectorised kernels (`ATEN_CPU_CAPABILITY=default` must pass these cases) */
  readonly vectorisedOnly: boolean;
}

export const PYTORCH_1_13_FINDINGS: readonly PytorchFinding[] = [
  {
    why: "vectorised fmod (SLEEF) returns NaN where the quotient |a/b| exceeds the float range; remainder and div(rounding_mode='floor') use it",
    ids: /^core\/binary\/aten\.(fmod\.Tensor|remainder\.Tensor|div\.Scalar_mode)\/(float32|float64)\/[^/]*(special|overflowing-quotient)$/,
    status: 'fail',
    message: /: nan at /,
    vectorisedOnly: true,
  },
  {
    why: 'native_group_norm raises on a non-contiguous input (group_norm makes it contiguous first)',
    ids: /^core\/normalization\/aten\.native_group_norm\.default\/float64\/.*-transposed$/,
    status: 'error',
    message: /Expected X\.is_contiguous\(memory_format\) to be true/,
    vectorisedOnly: false,
  },
  {
    why: 'native_group_norm_backward reads a non-contiguous input as if it were contiguous',
    ids: /^core\/normalization\/aten\.native_group_norm_backward\.default\/float64\/.*-transposed$/,
    status: 'fail',
    message: /elements outside the acceptance interval/,
    vectorisedOnly: false,
  },
  {
    why: '_embedding_bag reads non-contiguous indices as if they were contiguous (embedding_bag makes them contiguous first)',
    ids: /^core\/indexing\/aten\._embedding_bag\.default\/(float64|float16|bfloat16)\/indices-[a-z]+-strided$/,
    status: 'error',
    message: /Expected idx >= 0 && idx < num_embeddings/,
    vectorisedOnly: false,
  },
];

/** `unsupported` in PyTorch's own words: the build lacks the overload or torch.compile, or its kernel lacks the dtype. */
const PYTORCH_UNSUPPORTED = /has no operator aten\.|not implemented for '|has no torch\.compile$/;

/**
 * The results of a PyTorch CPU run that are neither a pass, nor `unsupported` in PyTorch's own words, nor one of the
 * traced findings (with the kernels that ran): the false failures, as `id: status: message` lines.
 */
export function unexplained(results: readonly CaseResult[], kernels: string): string[] {
  const vectorised = !/^(NO AVX|DEFAULT)$/.test(kernels);
  return results
    .filter((r) => {
      if (r.status === 'pass') return false;
      if (r.status === 'unsupported') return !PYTORCH_UNSUPPORTED.test(r.message ?? '');
      const finding = PYTORCH_1_13_FINDINGS.find((f) => f.ids.test(r.id) && f.status === r.status && f.message.test(r.message ?? '') && (vectorised || !f.vectorisedOnly));
      return finding === undefined;
    })
    .map((r) => `${r.id}: ${r.status}: ${r.message ?? ''}`);
}
