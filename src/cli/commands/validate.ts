import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { checkFloors, formatValidationText, loadThresholds, renderValidationHtml, runValidation, THRESHOLDS_FILE } from '../../analysis/validate/index.js';
import type { Engine } from '../../trial-dsl/spec.js';
import { withPool } from '../../rollout/pool.js';
import { runTrialWith } from '../../rollout/run.js';

function parseEngine(v: string): Engine {
  if (v !== 'model' && v !== 'reference') throw new InvalidArgumentError(`expected 'model' or 'reference', got '${v}'`);
  return v;
}

function parseWorkers(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--workers must be a positive integer, got '${v}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('Run a folder of trial files that mirror published trials and score the predictions against the published effects')
    .argument('<folder>', 'folder of trial files, each with a published: block (thresholds.yaml in it holds the floors)')
    .option('--engine <engine>', "simulator: 'model' (default) or 'reference'", parseEngine)
    .option('--json', 'print the comparisons and summary as JSON on stdout')
    .option('--html <file>', 'write an HTML report (forest plot, predicted-vs-published scatter, table)')
    .option('--model <dir>', "twin-model checkpoint folder for the model engine, instead of each file's `model:` (to regress your own model)")
    .option('--workers <n>', 'worker threads per trial (default: one per core)', parseWorkers)
    .addHelpText(
      'after',
      [
        '',
        'Scoring: direction is scored only where the published 95% CI excludes zero; inside-CI always;',
        'errors are also given in units of the published CI half-width.',
        `Exit status: 0; 1 when a count falls below its floor in <folder>/${THRESHOLDS_FILE} for the engine`,
        '(the failing floors are printed) or when a simulation fails; 2 for a folder or file that cannot be read.',
        'A file that does not pass `vtrial check` is scored as a miss (its published block is still read).',
        'Examples:',
        '  vtrial validate validation/<suite>',
        '  vtrial validate validation/<suite> --engine reference --json > reference.json',
        '  vtrial validate validation/<suite> --html validation.html',
        '  vtrial validate validation/<suite> --model models/mine',
      ].join('\n'),
    )
    .action(async (folder: string, opts: { engine?: Engine; json?: boolean; html?: string; workers?: number; model?: string }) => {
      const engine = opts.engine ?? 'model';
      const model = opts.model ? resolve(opts.model) : undefined;
      const thresholds = await loadThresholds(join(folder, THRESHOLDS_FILE));
      // one warm pool for every trial of the folder (threads and simulator load once)
      const report = await withPool({ workers: opts.workers }, (pool) =>
        runValidation(folder, {
          engine,
          workers: pool.threads,
          runner: (spec, o) => runTrialWith(pool, model ? { ...spec, model } : spec, { engine: o.engine }),
          progress: (e) => {
            if (e.done) process.stderr.write(`[${e.index + 1}/${e.total}] ${e.id}${e.failure ? ': ' + e.failure : ''}${e.wallMs !== undefined ? ` (${(e.wallMs / 1000).toFixed(1)} s)` : ''}\n`);
          },
        }),
      );
      const floors = thresholds?.[engine];
      const failures = checkFloors(report.summary, floors);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...report, model: engine === 'model' ? (model ?? null) : null, floors: floors ?? null, floor_failures: failures }, null, 2) + '\n');
      } else {
        if (engine === 'model' && model) process.stdout.write(`Model checkpoint: ${model}\n`);
        process.stdout.write(formatValidationText(report));
        process.stdout.write('\n');
        if (!floors) process.stdout.write(`No floors for the ${engine} engine in ${join(folder, THRESHOLDS_FILE)}: the run is reported, not gated.\n`);
        else if (failures.length === 0) process.stdout.write(`All floors for the ${engine} engine are met.\n`);
      }
      if (opts.html) {
        await writeFile(opts.html, await renderValidationHtml(report));
        if (!opts.json) process.stdout.write(`HTML report written to ${opts.html}\n`);
      }
      for (const f of failures) process.stderr.write(`vtrial: below floor (${engine} engine): ${f}\n`);
      // a simulation that crashed is a fault of the engine, not a scored miss: always exit 1
      const crashed = report.comparisons.filter((c) => c.failure?.startsWith('run failed'));
      for (const c of crashed) process.stderr.write(`vtrial: ${c.id}: ${c.failure}\n`);
      process.exitCode = failures.length > 0 || crashed.length > 0 ? 1 : 0;
    });
}
