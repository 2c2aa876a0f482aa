import type { Command } from 'commander';
import { chooseProgressMode, createProgress } from '../../rollout/progress.js';
import { mergeTrialReport } from '../../rollout/report-run.js';
import { trajectoriesFormat } from '../../rollout/trajectories.js';
import { emitReport } from './run.js';

interface MergeCliOptions {
  out?: string;
  json?: boolean;
  html?: string;
  trajectories?: string;
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
    .option('-q, --quiet', 'no progress output')
    .option('--log-json', 'progress as JSON lines on stderr')
    .addHelpText(
      'after',
      [
        '',
        'Every shard must be present exactly once, all parts from the same trial file, seed, n and vtrial version.',
        'Example:',
        '  for i in 0 1 2; do vtrial run trials/dash-sodium.yaml --shard $i/3 --out part-$i & done; wait',
        '  vtrial merge part-0 part-1 part-2 --out report',
      ].join('\n'),
    )
    .action(async (parts: string[], opts: MergeCliOptions) => {
      if (opts.trajectories) trajectoriesFormat(opts.trajectories);
      const progress = createProgress(chooseProgressMode({ quiet: opts.quiet, logJson: opts.logJson, isTTY: process.stderr.isTTY }));
      const outcome = await mergeTrialReport(parts, { trajectoriesOut: opts.trajectories });
      progress.done(`merged ${parts.length} part${parts.length === 1 ? '' : 's'}: ${outcome.info.manifest.nShards} shards, ${outcome.info.manifest.n} twins`);
      await emitReport(outcome.report, opts);
    });
}
