import { writeFileSync } from 'node:fs';
import { Option } from 'commander';
import type { RegisterCommand } from './command.js';
import { UserError } from '../errors.js';
import { loadReport } from '../report/load.js';
import { renderJunit } from '../render/junit.js';
import { renderMarkdown } from '../render/markdown.js';
import { benchmarksSvg, chartTitle } from '../render/chart.js';
import type { Report } from '../report/schema.js';

export const registerReport: RegisterCommand = (program) => {
  program
    .command('report')
    .description('re-render a finished run from its report.json: Markdown summary, JUnit XML or the benchmark chart (SVG), on stdout or into a file')
    .argument('<dir>', 'run folder (or a report.json)')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'junit', 'svg']).makeOptionMandatory())
    .option('--out <file>', 'write to this file instead of stdout')
    .action((dir: string, opts: { format: 'md' | 'junit' | 'svg'; out?: string }) => {
      const report = loadReport(dir);
      const text = render(report, opts.format, dir);
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(opts.out, text);
      } catch (err) {
        throw new UserError(`cannot write ${opts.out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    });
};

function render(report: Report, format: 'md' | 'junit' | 'svg', dir: string): string {
  if (format === 'md') return renderMarkdown(report);
  if (format === 'junit') return renderJunit(report);
  if (!report.benchmarks || report.benchmarks.entries.length === 0) throw new UserError(`${dir}: the run measured no benchmark, so it has no chart`);
  return benchmarksSvg(report.benchmarks, chartTitle(report));
}
