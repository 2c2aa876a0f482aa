/**
 * The `vtrial` command: thin wrappers over the library. Each subcommand lives in
 * src/cli/commands/<name>.ts and exports `register(program)`; no logic a library user would
 * need lives here.
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 invalid input (usage or trial file).
 */
import { Command, CommanderError } from 'commander';
import { ENGINE_VERSION } from '../core/version.js';
import { UsageError, InputError, exitCodeFor, formatError } from '../core/errors.js';
import { register as registerCheck } from './commands/check.js';
import { register as registerCatalog } from './commands/catalog.js';
import { register as registerTrain } from './commands/train.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerExplain } from './commands/explain.js';
import { register as registerRun } from './commands/run.js';
import { register as registerMerge } from './commands/merge.js';
import { register as registerValidate } from './commands/validate.js';
import { register as registerPower } from './commands/power.js';
import { register as registerAnalyze } from './commands/analyze.js';
import { register as registerPopulation } from './commands/population.js';
import { register as registerCohort } from './commands/cohort.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('vtrial')
    .description('Virtual clinical trials: trial YAML in, digital twins rolled out, effect sizes with confidence intervals out')
    .version(ENGINE_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  registerCheck(program);
  registerCatalog(program);
  registerTrain(program);
  registerDoctor(program);
  registerExplain(program);
  registerRun(program);
  registerMerge(program);
  registerValidate(program);
  registerPower(program);
  registerAnalyze(program);
  registerPopulation(program);
  registerCohort(program);
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander already printed the usage error
    }
    process.stderr.write(formatError(e) + '\n');
    return exitCodeFor(e);
  }
}

export { UsageError, InputError };
