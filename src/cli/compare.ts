import { z } from 'zod';
import type { RegisterCommand } from './command.js';
import { UserError } from '../errors.js';
import { compareReports, comparisonExitCode, comparisonMarkdown } from '../render/compare.js';
import { loadReport } from '../report/load.js';
import { printJson } from './output.js';

const CompareOptionsSchema = z.object({
  threshold: z.string().default('5'),
  json: z.boolean().default(false),
});

/** `--threshold` as a fraction: a plain percentage of 0 or more (`5`, `2.5`, `5%`); anything else names the flag (exit 2). */
export function parseThreshold(text: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*%?\s*$/.exec(text);
  if (!m) throw new UserError(`--threshold "${text}" must be a percentage of 0 or more, e.g. 5 or 2.5`);
  return Number(m[1]) / 100;
}

export const registerCompare: RegisterCommand = (program, setExitCode) => {
  program
    .command('compare')
    .description('compare a run with a baseline run: new failures and benchmark regressions, as a pull-request comment')
    .argument('<baseline>', 'the baseline run folder (or its report.json)')
    .argument('<current>', 'the current run folder (or its report.json)')
    .option('--threshold <percent>', 'how much slower a benchmark must be to regress, in percent', '5')
    .option('--json', 'print the comparison as JSON on stdout instead of Markdown')
    .addHelpText(
      'after',
      [
        '',
        'A new failure is a case that passed, was waived or skipped in the baseline and now fails, errors, crashes,',
        'times out or is unsupported, or a case new in the current run with one of those statuses. A benchmark',
        'regresses when its median figure is lower than the baseline\'s by more than the threshold AND outside both',
        "runs' spread (the current median below the baseline's low, the baseline's median above the current high):",
        'a change that only noise shows never fails. Improvements are the mirror image. The runs may be on different',
        'targets: a different device, framework, bench scale or peak is noted above the tables.',
        '',
        'Exit codes: 0 no new failure and no regression; 1 a new failure or a regression; 2 usage or input error',
        '(a missing or invalid report, a bad --threshold).',
      ].join('\n'),
    )
    .action((baselinePath: string, currentPath: string, raw: unknown) => {
      const opts = CompareOptionsSchema.parse(raw);
      const threshold = parseThreshold(opts.threshold);
      const comparison = compareReports(loadReport(baselinePath), loadReport(currentPath), { threshold });
      if (opts.json) printJson(comparison);
      else process.stdout.write(`${comparisonMarkdown(comparison)}\n`);
      setExitCode(comparisonExitCode(comparison));
    });
};
