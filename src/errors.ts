/**
 * A problem the user can cause and fix (bad flag, malformed file, unusable driver). The CLI prints its
 * message as one sentence, without a stack, and exits with its code: 2 for usage/input errors,
 * 3 for infrastructure errors (a driver or worker that cannot start).
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: 2 | 3 = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** The first line of an error's message: what a one-sentence report can quote of an error it did not make. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** One zod issue as text: `field.path: message`, or `(top level): message`. */
export function issueText(issue: { readonly path: readonly PropertyKey[]; readonly message: string }): string {
  const path = issue.path.map(String).join('.');
  return `${path || '(top level)'}: ${issue.message}`;
}

/** The first issue of a failed zod parse, as text: what a one-sentence error names. */
export function firstIssue(error: { readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[] }): string {
  const first = error.issues[0];
  return first ? issueText(first) : 'invalid';
}
