#!/usr/bin/env node
// The anharm command line. Each stage of the toolkit gets a subcommand; for now the kernels'
// demonstration. User mistakes end with a one-line message and a non-zero exit, no stack trace.
import { Command, CommanderError } from 'commander';
import { runDemo } from '../src/cli/demo.js';
import { UserError } from '../src/cli/errors.js';
import { registerConvert } from '../src/cli/convert.js';
import { registerRelax } from '../src/cli/relax.js';
import { registerPhonons } from '../src/cli/phonons.js';
import { registerSscha } from '../src/cli/sscha.js';
import { registerServe } from '../src/cli/serve.js';
import { registerSearch } from '../src/cli/search.js';
import { registerWeb } from '../src/cli/web.js';
import { registerEngines } from '../src/cli/engines.js';
import { registerTrain } from '../src/cli/train.js';
import { registerEvaluate } from '../src/cli/evaluate.js';
import { registerRun } from '../src/cli/run.js';
// Each stage registers its own subcommand from src/cli/<stage>.ts (one import + one call here).

const program = new Command();
program
  .name('anharm')
  .description('Crystal structure prediction with anharmonic quantum lattice dynamics (SSCHA) in WebAssembly')
  .version('0.1.0')
  .exitOverride();

program
  .command('demo')
  .description('run the WebAssembly kernels on a fixed workload: digests (for cross-platform parity), timings, and a 1-D diatomic chain checked against its analytic phonons')
  .option('--size <n>', 'size of the symmetric eigenproblem', '384')
  .option('--seed <s>', 'seed of the random generator', '20250601')
  .option('--json', 'print one JSON object instead of text')
  .action(async (opts: { size: string; seed: string; json?: boolean }) => {
    await runDemo(opts);
  });

// -- subcommands registered by stage modules --
registerRun(program);
registerTrain(program);
registerEvaluate(program);
registerConvert(program);
registerRelax(program);
registerPhonons(program);
registerSscha(program);
registerServe(program);
registerSearch(program);
registerWeb(program);
registerEngines(program);

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof UserError) {
      process.stderr.write(`anharm: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

await main();
