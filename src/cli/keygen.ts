import { Option } from 'commander';
import type { RegisterCommand } from './command.js';
import { KEY_ALGORITHMS, writeKeyPair, type KeyAlgorithm } from '../signing/keys.js';
import { printJson } from './output.js';

export const registerKeygen: RegisterCommand = (program) => {
  program
    .command('keygen')
    .description('create a signing key pair: PREFIX.key (private, mode 0600) and PREFIX.pub (give this one to reviewers)')
    .requiredOption('--out <prefix>', 'path prefix of the two files')
    .addOption(new Option('--algorithm <name>', 'signature algorithm').choices(KEY_ALGORITHMS).default('ed25519'))
    .option('--json', 'machine-readable output on stdout')
    .action((opts: { out: string; algorithm: KeyAlgorithm; json?: boolean }) => {
      const files = writeKeyPair(opts.out, opts.algorithm);
      if (opts.json) {
        printJson({ key: files.keyPath, pub: files.pubPath, algorithm: files.algorithm, fingerprint: files.fingerprint });
        return;
      }
      process.stdout.write(
        `wrote ${files.keyPath} (private, mode 0600) and ${files.pubPath} (${files.algorithm})\nfingerprint sha256:${files.fingerprint}\n`,
      );
    });
};
