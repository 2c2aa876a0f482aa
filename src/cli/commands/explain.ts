import type { Command } from 'commander';
import { explainTrial } from '../../trial-dsl/explain.js';
import { loadTrial } from '../../trial-dsl/index.js';

export function register(program: Command): void {
  program
    .command('explain')
    .description('Check a trial file and describe the design in plain words: population, arms, schedule of assessments, endpoints')
    .argument('<file>', 'trial YAML file')
    .option('--json', 'print the normalised trial (TrialSpec: times in days, defaults filled) as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const spec = await loadTrial(file);
      process.stdout.write((opts.json ? JSON.stringify(spec, null, 2) : explainTrial(spec)) + '\n');
    });
}
