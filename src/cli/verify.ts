import { existsSync } from 'node:fs';
import type { RegisterCommand } from './command.js';
import { defaultKeyPaths, keyFingerprint, loadPublicKey } from '../signing/keys.js';
import { loadVerifyInput } from '../verify/load.js';
import { shippedCatalog } from '../verify/shipped.js';
import { catalogWithGraph, graphBeside } from '../verify/graph.js';
import { shippedSuites } from '../../suites/index.js';
import { verifyRunAsync, type Check, type TrustedKey, type VerifyOutcome } from '../verify/verify.js';
import { printJson } from './output.js';

/** Per failed check, how many details the text output shows (--json has them all). */
const SHOWN_DETAILS = 10;

export const registerVerify: RegisterCommand = (program, setExitCode) => {
  program
    .command('verify')
    .description('check a signed report without trusting its submitter: signature, completeness, every status, the verdict')
    .argument('<path>', 'a run folder, a report.dsse.json or a report.json')
    .option('--key <pub>', 'trusted public key (PEM); repeat to trust several (default: your own default key)', collect, [])
    .option('--allow-unsigned', 'check the content of an unsigned report instead of failing it')
    .option('--json', 'machine-readable checklist on stdout')
    .action(async (path: string, opts: { key: string[]; allowUnsigned?: boolean; json?: boolean }) => {
      const keys = trustedKeys(opts.key);
      const input = loadVerifyInput(path);
      // a `run --graph` folder holds its graph file: its cases are checked like shipped ones
      const catalog = catalogWithGraph(shippedSuites(), graphBeside(path), (suites) => shippedCatalog(suites));
      const outcome = await verifyRunAsync(input, { keys, allowUnsigned: opts.allowUnsigned === true }, catalog);
      if (opts.json) printJson({ path, ...outcome });
      else process.stdout.write(renderChecklist(path, outcome));
      setExitCode(outcome.valid ? 0 : 1);
    });
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function trustedKeys(paths: readonly string[]): TrustedKey[] {
  if (paths.length === 0) {
    const { pubPath } = defaultKeyPaths();
    if (!existsSync(pubPath)) return [];
    paths = [pubPath];
  }
  return paths.map((p) => {
    const key = loadPublicKey(p);
    return { key, source: p, fingerprint: keyFingerprint(key) };
  });
}

const MARK: Record<Check['state'], string> = { ok: 'ok  ', fail: 'FAIL', warn: 'warn', skipped: '--  ' };

export function renderChecklist(path: string, outcome: VerifyOutcome): string {
  const width = Math.max(...outcome.checks.map((c) => c.title.length));
  const lines = [`accelcert verify ${path}`];
  for (const c of outcome.checks) {
    lines.push(`  ${MARK[c.state]}  ${c.title.padEnd(width)}  ${c.message}`);
    // waivers are always listed in full; other checks show their details only when they fail
    const details = c.id === 'waivers' ? c.details : c.state === 'fail' ? c.details.slice(0, SHOWN_DETAILS) : [];
    for (const d of details) lines.push(`        ${' '.repeat(width)}  - ${d}`);
    if (c.id !== 'waivers' && c.state === 'fail' && c.details.length > SHOWN_DETAILS) {
      lines.push(`        ${' '.repeat(width)}  - … ${c.details.length - SHOWN_DETAILS} more (--json lists them)`);
    }
  }
  const failed = outcome.checks.filter((c) => c.state === 'fail' || c.state === 'skipped').length;
  const verdict = outcome.recomputed ? `${outcome.recomputed.status} for profile ${outcome.recomputed.profile}` : 'no verdict';
  lines.push(
    outcome.valid
      ? `VALID: every claim checks out; the report's verdict is ${verdict}`
      : `INVALID: ${failed} of ${outcome.checks.length} checks did not hold`,
    '',
  );
  return lines.join('\n');
}
