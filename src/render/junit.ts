import type { CaseResult } from '../runner/result.js';
import type { Report } from '../report/schema.js';
import { formatMargin } from '../judge/describe.js';
import { failureText, rerunCommand, worstMargin } from './format.js';

// XML 1.0 forbids most control characters even when escaped
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function esc(s: string): string {
  return s
    .replace(INVALID_XML, '\uFFFD')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** Ant's schema wants a timestamp without a zone; ours are UTC. */
function antTimestamp(iso: string): string {
  return iso.slice(0, 19);
}

const seconds = (ms: number): string => (ms / 1000).toFixed(6);

/**
 * junit.xml in the strict Ant schema (properties, system-out and system-err required; no zone in timestamps):
 * one testsuite per suite, one testcase per case, classname = `family/subject`, the numbers in the failure text.
 */
export function renderJunit(report: Report): string {
  const bySuite = new Map<string, CaseResult[]>();
  for (const r of report.results) {
    const suite = r.id.split('/')[0] ?? r.id;
    const list = bySuite.get(suite);
    if (list) list.push(r);
    else bySuite.set(suite, [r]);
  }
  const fp = report.target.fingerprint;
  const properties: [string, string][] = [
    ['accelcert.version', report.harness.version],
    ['profile', report.profile.name],
    ['verdict', report.verdict.status],
    ['driver', report.target.driver],
    ['device', report.target.device],
    ['device.vendor', fp.vendor],
    ['device.model', fp.model],
    ['device.driverVersion', fp.driverVersion ?? ''],
    ['device.framework', fp.framework ? `${fp.framework.name} ${fp.framework.version}` : ''],
  ];
  const verdictText = [`${report.verdict.status} (profile ${report.verdict.profile})`, ...report.verdict.reasons.map((r) => `- ${r}`)].join('\n');
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  let id = 0;
  for (const [suite, results] of bySuite) {
    const count = (pred: (r: CaseResult) => boolean): number => results.filter(pred).length;
    const failures = count((r) => r.status === 'fail' || r.status === 'unsupported');
    const errors = count((r) => r.status === 'error' || r.status === 'crash' || r.status === 'timeout');
    const skipped = count((r) => r.status === 'skip' || r.status === 'waived');
    const time = results.reduce((t, r) => t + r.timings.execMs, 0);
    lines.push(
      `  <testsuite name="${esc(suite)}" package="accelcert.${esc(suite)}" id="${id++}" tests="${results.length}" ` +
        `failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(time)}" ` +
        `timestamp="${antTimestamp(report.startedAt)}" hostname="${esc(report.host.hostname || 'unknown')}">`,
    );
    lines.push('    <properties>');
    for (const [name, value] of properties) lines.push(`      <property name="${esc(name)}" value="${esc(value)}"/>`);
    lines.push('    </properties>');
    for (const r of results) lines.push(...testcase(report, r));
    lines.push(`    <system-out>${esc(verdictText)}</system-out>`);
    lines.push('    <system-err></system-err>');
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

function testcase(report: Report, r: CaseResult): string[] {
  const open = `    <testcase classname="${esc(`${r.family}/${r.subject}`)}" name="${esc(r.id)}" time="${seconds(r.timings.execMs)}"`;
  const rerun = rerunCommand(report, r.id);
  switch (r.status) {
    case 'pass':
      return [`${open}/>`];
    case 'skip':
      return [`${open}>`, `      <skipped message="${esc(r.message ?? 'skipped')}"/>`, '    </testcase>'];
    case 'waived':
      return [
        `${open}>`,
        `      <skipped message="${esc(`waived by ${r.waiver ?? '?'}, margin ${formatMargin(worstMargin(r))}: ${r.message ?? ''}`)}"/>`,
        '    </testcase>',
      ];
    case 'fail':
    case 'unsupported': {
      const message = r.status === 'fail' ? `margin ${formatMargin(worstMargin(r))}` : (r.message ?? 'unsupported');
      return [
        `${open}>`,
        `      <failure type="${r.status}" message="${esc(message)}">${esc(`${failureText(r)}\nrerun: ${rerun}`)}</failure>`,
        '    </testcase>',
      ];
    }
    default:
      return [
        `${open}>`,
        `      <error type="${r.status}" message="${esc(r.message ?? r.status)}">${esc(`${failureText(r)}\nrerun: ${rerun}`)}</error>`,
        '    </testcase>',
      ];
  }
}
