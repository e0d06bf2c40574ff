import { writeFileSync } from 'node:fs';
import { Option } from 'commander';
import type { RegisterCommand } from './command.js';
import { UserError } from '../errors.js';
import { loadReport } from '../report/load.js';
import { renderJunit } from '../render/junit.js';
import { renderMarkdown } from '../render/markdown.js';
import { benchmarksSvg, chartTitle } from '../render/chart.js';
import { renderHtml } from '../render/html.js';
import type { Report } from '../report/schema.js';
import { loadVerifyInput } from '../verify/load.js';
import { authenticReport } from '../verify/verify.js';
import { trustedKeys } from './trust.js';

type Format = 'md' | 'junit' | 'svg' | 'html';

export const registerReport: RegisterCommand = (program, setExitCode) => {
  program
    .command('report')
    .description(
      're-render a finished run from its signed report: Markdown summary, JUnit XML, the benchmark chart (SVG) or the web page (HTML), on stdout or into a file; ' +
        'the signature is checked first (a report that does not check out is refused, exit 1, unless --unverified)',
    )
    .argument('<dir>', 'run folder (or its report.dsse.json or report.json)')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'junit', 'svg', 'html']).makeOptionMandatory())
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--key <file>', 'trusted signer: a public key (PEM) or a keyring; repeatable (default: your local default key)', (v: string, p: string[]) => [...p, v], [])
    .option('--unverified', 'render report.json even when its signature does not check out (said on stderr)')
    .action((dir: string, opts: { format: Format; out?: string; key: string[]; unverified?: boolean }) => {
      const report = verifiedOrSaid(dir, opts.key, opts.unverified === true);
      if (!report) {
        setExitCode(1);
        return;
      }
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

/**
 * The report to render: the signed one (from the envelope's payload, never an unsigned file beside it) when it checks
 * out; otherwise refused, or with --unverified the report.json as it lies, said loudly on stderr.
 */
function verifiedOrSaid(dir: string, keyPaths: readonly string[], unverified: boolean): Report | null {
  const trust = trustedKeys(keyPaths, false);
  const checked = trust.keys.length > 0 ? authenticReport(loadVerifyInput(dir), trust.keys) : { problem: 'no trusted key: pass --key' };
  if ('report' in checked) return checked.report;
  if (!unverified) {
    process.stderr.write(`accelcert: ${dir} is not verified, so it is not rendered (${checked.problem}); pass --key VENDOR.pub, or --unverified to render it anyway\n`);
    return null;
  }
  process.stderr.write(`accelcert: WARNING: rendering an UNVERIFIED report (${checked.problem}): nothing proves who wrote it\n`);
  return loadReport(dir);
}

function render(report: Report, format: Format, dir: string): string {
  if (format === 'md') return renderMarkdown(report);
  if (format === 'html') return renderHtml(report);
  if (format === 'junit') return renderJunit(report);
  if (!report.benchmarks || report.benchmarks.entries.length === 0) throw new UserError(`${dir}: the run measured no benchmark, so it has no chart`);
  return benchmarksSvg(report.benchmarks, chartTitle(report));
}
