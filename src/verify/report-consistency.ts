import canonicalize from 'canonicalize';
import { givenOptions } from '../report/command.js';
import { readChallenge } from '../report/challenge.js';
import type { Report } from '../report/schema.js';
import { DEFAULT_PROFILE } from '../suite/profile.js';
import { isRandomRuleLabel } from '../judge/distribution.js';

/** What this check needs to know of a shipped case (verify.ts's ShippedCase has it). */
interface KnownCase {
  nondeterministic?: boolean;
}

/*
 * What a report says twice must agree: its dates, the command line it records and the selection it claims, the
 * challenge it carries and the seed it ran, and the digests every judged result of a deterministic op must carry.
 * A re-signed report that edits one without the other is caught here.
 */

/** Every disagreement between the report's command line, dates and recorded selection, one clause each. */
export function reportConsistencyProblems(report: Report, shipped: ReadonlyMap<string, KnownCase>): string[] {
  return [...dateProblems(report), ...commandProblems(report), ...challengeProblems(report), ...digestProblems(report, shipped)];
}

function dateProblems(report: Report): string[] {
  const started = Date.parse(report.startedAt);
  const ended = Date.parse(report.endedAt);
  return ended < started ? [`the run ended (${report.endedAt}) before it started (${report.startedAt})`] : [];
}

const same = (a: readonly string[], b: readonly string[]): boolean => canonicalize(a) === canonicalize(b);

/** The recorded `accelcert run …` command line must give the selection, profile, graph, driver and seed the report records. */
function commandProblems(report: Report): string[] {
  const cmd = report.command;
  // a merged report's selection, profile and seed are its shards' (the shards check compares them): its own command
  // line names only the shards' folders
  if (cmd[0] === 'accelcert' && cmd[1] === 'merge') return report.shards ? [] : ['the recorded command is an accelcert merge, but the report carries no shards'];
  if (cmd[0] !== 'accelcert' || cmd[1] !== 'run') return [`the recorded command "${cmd.slice(0, 2).join(' ')}" is not an accelcert run`];
  // `run --device X,Y --split` merges its devices' shards itself: its command gives the selection the shards share
  const split = cmd.includes('--split');
  if (report.shards && !split) return ['the report carries shards, but its recorded command is an accelcert run, not a merge or a --split run'];
  if (!report.shards && split) return ['the command splits the run across devices (--split), but the report carries no shards'];
  const problems: string[] = [];
  const sel = report.selection;
  const given = (option: string): string[] => givenOptions(cmd, option);
  const compare = (option: string, recorded: readonly string[], what: string): void => {
    if (!same(given(option), recorded)) problems.push(`the command gives ${option} ${JSON.stringify(given(option))}, but the report records ${what} ${JSON.stringify(recorded)}`);
  };
  compare('--filter', sel.filters, 'filters');
  compare('--suite', sel.suites, 'suites');
  compare('--shard', sel.shard ? [shardAsGiven(given('--shard'), sel.shard)] : [], 'shard');
  compare('--dtype', sel.dtypes, 'dtypes');
  const graph = given('--graph').at(-1);
  if ((graph ?? null) !== (report.graph?.file ?? null)) problems.push(`the command gives --graph ${graph ?? '(none)'}, but the report records graph file ${report.graph?.file ?? '(none)'}`);
  if (!report.graph) {
    const profile = given('--profile').at(-1) ?? DEFAULT_PROFILE;
    if (profile !== report.profile.name) problems.push(`the command runs profile ${profile}, but the report claims profile ${report.profile.name}`);
  }
  const driver = given('--driver').at(-1);
  if (driver !== undefined && driver !== report.target.driver) problems.push(`the command gives --driver ${driver}, but the report records driver ${report.target.driver}`);
  const seed = given('--seed').at(-1) ?? null;
  const challenged = given('--challenge').length > 0;
  if (challenged !== (report.challenge !== null)) {
    problems.push(challenged ? 'the command answers a challenge (--challenge), but the report carries none' : 'the report carries a challenge the command never gave (--challenge)');
  }
  if (!challenged && seed !== (sel.seed ?? null)) problems.push(`the command gives seed ${JSON.stringify(seed)}, but the report records seed ${JSON.stringify(sel.seed ?? null)}`);
  return problems;
}

/**
 * The recorded shard as the command line gave it: `--shard auto` (or `auto/N` with the recorded N) resolved to the
 * recorded K/N from the environment, which the report does not record; any other value must be the K/N itself.
 */
function shardAsGiven(given: readonly string[], shard: { index: number; count: number }): string {
  const text = given.at(-1);
  if (text === 'auto' || text === `auto/${shard.count}`) return text;
  return `${shard.index}/${shard.count}`;
}

function challengeProblems(report: Report): string[] {
  if (!report.challenge) return [];
  const challenge = readChallenge(report.challenge);
  if (typeof challenge === 'string') return [`the challenge the report carries is not one: ${challenge}`];
  const problems: string[] = [];
  if (challenge.seed !== report.selection.seed) problems.push(`the report answers challenge seed ${challenge.seed}, but ran seed ${JSON.stringify(report.selection.seed ?? null)}`);
  if (Date.parse(report.startedAt) < Date.parse(challenge.issuedAt)) problems.push(`the run started (${report.startedAt}) before its challenge was issued (${challenge.issuedAt})`);
  return problems;
}

/**
 * A judged result of an op or model carries the digest of its outputs, and a deterministic op's the digest of its
 * repeated run: without them nothing ties the status to bytes, and `audit` has nothing to compare.
 */
function digestProblems(report: Report, shipped: ReadonlyMap<string, KnownCase>): string[] {
  const problems: string[] = [];
  for (const r of report.results) {
    if (r.kind === 'bench' || (r.status !== 'pass' && r.status !== 'fail' && r.status !== 'waived') || r.outputs.length === 0) continue;
    if (r.outputDigest == null) problems.push(`${r.id} is ${r.status} but records no outputDigest`);
    else if (r.kind === 'op' && r.repeatDigest == null && shipped.get(r.id)?.nondeterministic === false && !r.outputs.some((o) => isRandomRuleLabel(o.rule))) {
      problems.push(`${r.id} is ${r.status} but records no repeatDigest, and its op is deterministic (every such case runs twice)`);
    }
  }
  return problems;
}
