import type { RegisterCommand } from './command.js';
import { loadTrustedKeys } from '../signing/keyring.js';
import { trustedKeys } from './trust.js';
import { loadChallenge } from '../report/challenge.js';
import { loadVerifyInput } from '../verify/load.js';
import { shippedCatalog } from '../verify/shipped.js';
import { catalogWithGraph, graphBeside } from '../verify/graph.js';
import { shippedSuites } from '../../suites/index.js';
import { verifyRunAsync, type Check, type VerifyOutcome, type VerifyResult } from '../verify/verify.js';
import { printJson } from './output.js';
import { deviceName } from '../device/device.js';

/** Per failed check, how many details the text output shows (--json has them all). */
const SHOWN_DETAILS = 10;

/** verify's exit codes (docs/report-format.md): a gate can tell a forgery from an honest failure. */
export const VERIFY_EXIT: Readonly<Record<VerifyResult, number>> = { CERTIFIED: 0, INVALID: 1, NOT_CERTIFIED: 5, INCOMPLETE: 5 };

interface VerifyOpts {
  key: string[];
  waiverKey: string[];
  challenge?: string;
  expectProfile?: string;
  expectDevice?: string;
  requireCertified?: boolean;
  allowUnsigned?: boolean;
  json?: boolean;
}

export const registerVerify: RegisterCommand = (program, setExitCode) => {
  program
    .command('verify')
    .description(
      'check a signed report without trusting its submitter: signature, signed files, completeness, every status, the verdict; ' +
        'exit 0 VALID and CERTIFIED, 5 VALID but not CERTIFIED, 1 INVALID, 2 bad input',
    )
    .argument('<path>', 'a run folder, a report.dsse.json or a report.json')
    .option('--key <file>', "trusted signer: a public key (PEM) or a keyring (JSON: key → vendor → devices it may sign); repeatable (default: your own local default key, said in the first line)", collect, [])
    .option('--waiver-key <pub>', 'public key (PEM) of a waiver authority you trust; waivers signed by no such key count as failures; repeatable', collect, [])
    .option('--challenge <file>', 'the challenge you issued (accelcert challenge): the report must answer exactly it')
    .option('--expect-profile <name>', 'require the report to certify this profile')
    .option('--expect-device <glob>', 'require the device key (vendor/model/driverVersion/framework-version) to match this glob')
    .option('--require-certified', 'require the verdict (with only the waivers you trust) to be CERTIFIED')
    .option('--allow-unsigned', 'check the content of an unsigned report too (it is still not VALID)')
    .option('--json', 'machine-readable checklist on stdout')
    .action(async (path: string, opts: VerifyOpts) => {
      const trust = trustedKeys(opts.key, true);
      const waiverKeys = opts.waiverKey.flatMap((p) => loadTrustedKeys(p));
      const challenge = opts.challenge !== undefined ? loadChallenge(opts.challenge) : null;
      const input = loadVerifyInput(path);
      // a `run --graph` folder holds its graph file: its cases are checked like shipped ones
      const catalog = catalogWithGraph(shippedSuites(), graphBeside(path), (suites) => shippedCatalog(suites));
      const outcome = await verifyRunAsync(
        input,
        {
          keys: trust.keys,
          allowUnsigned: opts.allowUnsigned === true,
          waiverKeys,
          challenge,
          expect: {
            ...(opts.expectProfile !== undefined ? { profile: opts.expectProfile } : {}),
            ...(opts.expectDevice !== undefined ? { device: opts.expectDevice } : {}),
            certified: opts.requireCertified === true,
          },
        },
        catalog,
      );
      if (opts.json) printJson({ path, trust: trust.line, ...outcome });
      else process.stdout.write(renderChecklist(path, outcome, trust.line));
      setExitCode(VERIFY_EXIT[outcome.result]);
    });
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const MARK: Record<Check['state'], string> = { ok: 'ok  ', fail: 'FAIL', warn: 'warn', skipped: '--  ' };

/** What was verified, before the checklist: the target, claim, software, seed, dates, signer and waivers. */
function renderVerified(outcome: VerifyOutcome): string[] {
  const v = outcome.verified;
  if (!v) return [];
  const fp = v.target.fingerprint;
  const framework = fp.framework ? `${fp.framework.name} ${fp.framework.version}` : 'no framework';
  const lines = [
    `  target     ${v.target.driver} ${v.target.device}: ${deviceName(fp)} (driver ${fp.driverVersion ?? 'unknown'}, ${framework})`,
    `  device key ${v.target.deviceKey}`,
    `  claim      ${outcome.claimed?.status ?? '?'} for ${v.graph ? `graph file ${v.graph}` : `profile ${v.profile}`}`,
    `  accelcert  ${v.harness.version}${v.harness.gitCommit ? ` (git ${v.harness.gitCommit.slice(0, 12)})` : ''}; seed ${v.seed ?? 'none'}${v.challenge ? ' (your challenge)' : ''}`,
    `  ran        ${v.startedAt} → ${v.endedAt}`,
    `  signer     ${v.signer ? `${v.signer.localDefault ? 'your local default key' : v.signer.vendor ? `${v.signer.vendor}'s key` : 'key'} ${v.signer.fingerprint} (${v.signer.source})` : 'none: unsigned'}`,
  ];
  if (outcome.waiverTrust.length === 0) lines.push('  waivers    none');
  for (const t of outcome.waiverTrust) lines.push(`  waiver     ${t.id}: ${t.trusted ? 'honoured' : 'NOT honoured'}, ${t.why}`);
  return lines;
}

export function renderChecklist(path: string, outcome: VerifyOutcome, trustLine: string): string {
  const width = Math.max(...outcome.checks.map((c) => c.title.length));
  const lines = [trustLine, `accelcert verify ${path}`, ...renderVerified(outcome)];
  for (const c of outcome.checks) {
    lines.push(`  ${MARK[c.state]}  ${c.title.padEnd(width)}  ${c.message}`);
    // waivers are always listed in full; other checks show their details only when they fail
    const details = c.id === 'waivers' ? c.details : c.state === 'fail' ? c.details.slice(0, SHOWN_DETAILS) : [];
    for (const d of details) lines.push(`        ${' '.repeat(width)}  - ${d}`);
    if (c.id !== 'waivers' && c.state === 'fail' && c.details.length > SHOWN_DETAILS) {
      lines.push(`        ${' '.repeat(width)}  - … ${c.details.length - SHOWN_DETAILS} more (--json lists them)`);
    }
  }
  lines.push(closingLine(outcome), '');
  return lines.join('\n');
}

/** The one line a reviewer acts on: INVALID (and why), or VALID with the verdict they can rely on. */
function closingLine(outcome: VerifyOutcome): string {
  const failed = outcome.checks.filter((c) => c.state === 'fail' || c.state === 'skipped');
  if (!outcome.signed && outcome.checks.every((c) => c.id === 'signature' || c.state !== 'fail')) {
    return 'INVALID: the report is unsigned: its content is consistent, but nothing proves who wrote it';
  }
  if (outcome.result === 'INVALID') return `INVALID: ${failed.length} of ${outcome.checks.length} checks did not hold (first: ${failed[0]?.title ?? '?'})`;
  const verdict = outcome.reviewerVerdict;
  const what = verdict ? `${verdict.status} for ${verdict.profile}` : 'no verdict';
  if (outcome.result === 'CERTIFIED') return `VALID and CERTIFIED: every claim checks out; ${what}`;
  const claimed = outcome.claimed?.status;
  const why = claimed === 'CERTIFIED' ? `the report claims CERTIFIED only through waivers you do not honour: ${verdict?.reasons[0] ?? ''}` : (verdict?.reasons[0] ?? '');
  return `VALID but ${outcome.result}: every claim checks out, but it is ${what}; ${why}`;
}
