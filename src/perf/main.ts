import { benchFidelity } from './fidelity.bench.js';
import { benchHarness } from './harness.bench.js';
import { benchHtml } from './html.bench.js';
import { benchOracle } from './oracle.bench.js';
import { benchStability } from './stability.bench.js';
import { benchTransport } from './transport.bench.js';
import { benchVerify } from './verify.bench.js';

/**
 * `npm run bench`: every benchmark, one section each, printed as plain lines; `npm run bench -- NAME…` runs only the
 * sections named (e.g. `fidelity stability`, the device benchmarks' checks on the pytorch CPU driver).
 */
const sections: [string, () => Promise<string[]>][] = [
  ['harness', benchHarness],
  ['oracle', benchOracle],
  ['transport', benchTransport],
  ['verify', benchVerify],
  ['fidelity', benchFidelity],
  ['stability', benchStability],
  ['html', benchHtml],
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !sections.some(([name]) => name === w));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark section ${unknown.join(', ')}; sections: ${sections.map(([name]) => name).join(', ')}\n`);
  process.exit(2);
}
for (const [name, run] of sections.filter(([n]) => wanted.length === 0 || wanted.includes(n))) {
  process.stdout.write(`## ${name}\n`);
  for (const line of await run()) process.stdout.write(`${line}\n`);
  process.stdout.write('\n');
}
