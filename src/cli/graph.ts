import type { RegisterCommand } from './command.js';
import { captureGraph } from '../drivers/pytorch/capture.js';
import { printJson } from './output.js';

export const registerGraph: RegisterCommand = (program) => {
  const graph = program.command('graph').description('bring your own model: capture a PyTorch module as an accelcert graph file (see docs/graphs.md)');
  graph
    .command('capture')
    .description('trace a PyTorch module to an ATen graph file that `accelcert run --graph FILE` certifies')
    .argument('<script>', 'a .py file defining model() (returns an nn.Module) and example_inputs() (returns a tuple of tensors)')
    .requiredOption('--out <file>', 'the graph file to write (JSON)')
    .option('--python <path>', 'python interpreter with PyTorch (default: $ACCELCERT_PYTHON, then /usr/bin/python3, python3)')
    .option('--keep-weights', "keep the module's parameters, buffers and constants as literal values (default: seeded values of the same shape and scale)")
    .option('--name <name>', "the model's name in case ids (default: the module's class name in kebab case)")
    .option('--dtype <dtype>', "convert the module's floating weights and inputs to this dtype before tracing (default: as they are)")
    .option('--json', 'machine-readable output on stdout')
    .addHelpText(
      'after',
      [
        '',
        'The module is put in eval mode and traced at the ATen level (torch.export on PyTorch 2.2+, else make_fx),',
        'with its parameters and buffers as graph inputs. The file is checked as `run --graph` checks it.',
        '',
        'Exit codes: 0 written; 2 a problem with the script, the module or the options; 3 no Python with PyTorch.',
      ].join('\n'),
    )
    .action(async (script: string, opts: { out: string; python?: string; keepWeights?: boolean; name?: string; dtype?: string; json?: boolean }) => {
      const { file, digest } = await captureGraph({ script, out: opts.out, python: opts.python, keepWeights: opts.keepWeights === true, name: opts.name, dtype: opts.dtype });
      const placeholders = file.graph.placeholders;
      const parameters = placeholders.filter((p) => p.kind === 'parameter').length;
      if (opts.json) {
        printJson({ file: opts.out, sha256: digest, name: file.name, dtype: file.dtype, nodes: file.graph.nodes.length, placeholders: placeholders.length, parameters, source: file.source });
        return;
      }
      process.stdout.write(`captured ${file.name}: ${file.graph.nodes.length} nodes, ${placeholders.length} placeholders (${parameters} parameters) → ${opts.out}\n`);
    });
};
