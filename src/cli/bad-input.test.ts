import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../testing/helpers.js';
import { PACKAGE_ROOT } from '../version.js';

/**
 * docs/bad-input.md is a table of every input a user can get wrong, the command that shows it, what accelcert says and
 * the exit code. This test runs every row, so the table cannot drift from what accelcert does.
 */
interface Row {
  what: string;
  args: string[];
  says: string[];
  exit: number;
}

/** Splits a command line as a shell would for these rows: spaces, and double quotes around an argument. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

function tableRows(markdown: string): Row[] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| what') && !l.startsWith('| ---'))
    .map((l) => {
      const cells = l.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, '').trim());
      const [what, command, says, exit] = cells as [string, string, string, string];
      const words = shellWords(command.replace(/^`|`$/g, ''));
      if (words[0] !== 'accelcert') throw new Error(`row "${what}": the command must start with accelcert`);
      return { what, args: words.slice(1), says: says.split('…').map((s) => s.trim()).filter(Boolean), exit: Number(exit) };
    });
}

const rows = tableRows(readFileSync(join(PACKAGE_ROOT, 'docs', 'bad-input.md'), 'utf8'));

describe('docs/bad-input.md', () => {
  it('has a row for each kind of bad input', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
  });

  it.each(rows.map((r) => [r.what, r] as const))('%s: one sentence, the exit code of the table', async (_what, row) => {
    const r = await runMain(...row.args);
    expect(r.code, r.err).toBe(row.exit);
    const sentences = r.err.split('\n').filter((l) => l.startsWith('accelcert: '));
    expect(sentences, r.err).toHaveLength(1);
    // the table's words, in order (… stands for what depends on the machine)
    let from = 0;
    for (const part of row.says) {
      const at = r.err.indexOf(part, from);
      expect(at, `"${part}" in ${r.err}`).toBeGreaterThanOrEqual(0);
      from = at + part.length;
    }
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
