import { benchHarness } from './harness.bench.js';
import { benchOracle } from './oracle.bench.js';
import { benchTransport } from './transport.bench.js';
import { benchVerify } from './verify.bench.js';

/** `npm run bench`: every benchmark, one section each, printed as plain lines. */
const sections: [string, () => Promise<string[]>][] = [
  ['harness', benchHarness],
  ['oracle', benchOracle],
  ['transport', benchTransport],
  ['verify', benchVerify],
];

for (const [name, run] of sections) {
  process.stdout.write(`## ${name}\n`);
  for (const line of await run()) process.stdout.write(`${line}\n`);
  process.stdout.write('\n');
}
