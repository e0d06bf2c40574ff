import { writeFileSync } from 'node:fs';
import { Option } from 'commander';
import type { RegisterCommand } from './command.js';
import { UserError } from '../errors.js';
import { loadReport } from '../report/load.js';
import { renderJunit } from '../render/junit.js';
import { renderMarkdown } from '../render/markdown.js';

export const registerReport: RegisterCommand = (program) => {
  program
    .command('report')
    .description('re-render a finished run from its report.json: Markdown summary or JUnit XML, on stdout or into a file')
    .argument('<dir>', 'run folder (or a report.json)')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'junit']).makeOptionMandatory())
    .option('--out <file>', 'write to this file instead of stdout')
    .action((dir: string, opts: { format: 'md' | 'junit'; out?: string }) => {
      const report = loadReport(dir);
      const text = opts.format === 'md' ? renderMarkdown(report) : renderJunit(report);
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
