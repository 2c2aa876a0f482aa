import type { Command } from 'commander';
import { chooseProgressMode, createProgress } from '../../rollout/progress.js';
import { mergeTrialReport } from '../../rollout/report-run.js';
import { trajectoriesFormat } from '../../rollout/trajectories.js';
import { adamFormat, type AdamFormat } from '../../rollout/adam-export.js';
import { UsageError } from '../../core/errors.js';
import { emitReport } from './run.js';

interface MergeCliOptions {
  out?: string;
  json?: boolean;
  html?: string;
  trajectories?: string;
  adam?: string;
  adamFormat?: AdamFormat;
  quiet?: boolean;
  logJson?: boolean;
}

export function register(program: Command): void {
  program
    .command('merge')
    .description('Combine the parts of a sharded run (vtrial run --shard i/N --out part-i) into the single-machine report')
    .argument('<parts...>', 'part folders written by `vtrial run --shard`')
    .option('--out <path>', 'write the report: a folder (DIR/report.json) or FILE.json')
    .option('--json', 'print the report as JSON on stdout (the summary goes to stderr)')
    .option('--html <file>', 'write the HTML report')
    .option('--trajectories <file>', 'write every twin\'s trajectories (.csv or .parquet); the parts must have been run with --trajectories')
    .option('--adam <dir>', 'write ADaM-shaped tables (adsl, adbds) into DIR; the parts must have been run with --adam or --trajectories')
    .option('--adam-format <format>', "format of the --adam tables: 'csv' (default) or 'parquet'", adamFormat)
    .option('-q, --quiet', 'no progress output')
    .option('--log-json', 'progress as JSON lines on stderr')
    .addHelpText(
      'after',
      [
        '',
        'Every shard must be present exactly once, all parts from the same trial file, seed, n and vtrial version.',
        'Example:',
        '  for i in 1 2 3; do vtrial run trials/dash-sodium.yaml --shard $i/3 --out part-$i & done; wait',
        '  vtrial merge part-1 part-2 part-3 --out report',
      ].join('\n'),
    )
    .action(async (parts: string[], opts: MergeCliOptions) => {
      if (opts.trajectories) trajectoriesFormat(opts.trajectories);
      if (opts.adamFormat && !opts.adam) throw new UsageError('--adam-format needs --adam DIR');
      const progress = createProgress(chooseProgressMode({ quiet: opts.quiet, logJson: opts.logJson, isTTY: process.stderr.isTTY }));
      const outcome = await mergeTrialReport(parts, { trajectoriesOut: opts.trajectories, adamDir: opts.adam, adamFormat: opts.adamFormat });
      progress.done(`merged ${parts.length} part${parts.length === 1 ? '' : 's'}: ${outcome.info.manifest.nShards} shards, ${outcome.info.manifest.n} twins`);
      await emitReport(outcome.report, opts);
    });
}
