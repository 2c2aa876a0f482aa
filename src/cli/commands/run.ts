import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { renderHtml } from '../../analysis/html.js';
import { renderSummary } from '../../analysis/summary.js';
import type { Report } from '../../analysis/report.js';
import { UsageError } from '../../core/errors.js';
import { loadTrial } from '../../trial-dsl/index.js';
import type { Engine } from '../../trial-dsl/spec.js';
import { chooseProgressMode, createProgress } from '../../rollout/progress.js';
import { runTrialPart, runTrialReport } from '../../rollout/report-run.js';
import { RunInterrupted, ShardFailed } from '../../rollout/run.js';
import { trajectoriesFormat } from '../../rollout/trajectories.js';
import { adamFormat, type AdamFormat } from '../../rollout/adam-export.js';

export function positiveInt(what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got '${v}'`);
    return n;
  };
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return n;
}

function parseShard(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new InvalidArgumentError(`expected i/N with 1 <= i <= N (e.g. 1/4 for the first of four parts), got '${v}'`);
  }
  // parts are numbered from 1 on the command line (part 1 of 4), from 0 inside the library
  return { index: index - 1, count };
}

function parseEngine(v: string): Engine {
  if (v !== 'model' && v !== 'reference') throw new InvalidArgumentError(`expected 'model' or 'reference', got '${v}'`);
  return v;
}

/** Where --out puts the report: FILE.json as is, anything else is a folder holding report.json. */
export function reportPath(out: string): string {
  return out.toLowerCase().endsWith('.json') ? out : join(out, 'report.json');
}

/** Print and write a report the way `run` and `merge` both do. */
export async function emitReport(report: Report, opts: { json?: boolean; out?: string; html?: string }): Promise<void> {
  const summary = renderSummary(report);
  (opts.json ? process.stderr : process.stdout).write(summary.endsWith('\n') ? summary : summary + '\n');
  const text = JSON.stringify(report, null, 2) + '\n';
  if (opts.json) process.stdout.write(text);
  if (opts.out) {
    const path = reportPath(opts.out);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  if (opts.html) {
    mkdirSync(dirname(opts.html), { recursive: true });
    writeFileSync(opts.html, await renderHtml(report));
  }
}

/** SIGINT/SIGTERM abort the run (finished shards are kept); a second signal exits at once. */
export function trapSignals(): { signal: AbortSignal; received: () => NodeJS.Signals | null; release: () => void } {
  const ac = new AbortController();
  let got: NodeJS.Signals | null = null;
  const handler = (sig: NodeJS.Signals): void => {
    if (got) process.exit(sig === 'SIGINT' ? 130 : 143);
    got = sig;
    process.stderr.write(`\n${sig}: stopping after keeping the finished shards (send again to quit at once)\n`);
    ac.abort(new Error(sig));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    received: () => got,
    release: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

interface RunCliOptions {
  engine?: Engine;
  model?: string;
  workers?: number;
  json?: boolean;
  out?: string;
  html?: string;
  trajectories?: string;
  adam?: string;
  adamFormat?: AdamFormat;
  shard?: { index: number; count: number };
  resume?: string;
  quiet?: boolean;
  logJson?: boolean;
  n?: number;
  seed?: number;
  shardSize?: number;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Run a trial: draw twins, randomise, roll every twin out under every arm, analyse, report')
    .argument('<file>', 'trial YAML file')
    .option('--engine <engine>', "simulator: 'model' (transformer) or 'reference' (physiology world); default: the file's engine", parseEngine)
    .option('--model <dir>', "twin-model checkpoint folder for the model engine, instead of the file's `model:`")
    .option('--workers <n>', 'worker threads (default: one per core; 1 runs in the main thread)', positiveInt('--workers'))
    .option('--json', 'print the report as JSON on stdout (the summary goes to stderr)')
    .option('--out <path>', 'write the report: FILE.json, or a folder (DIR/report.json); with --shard, the part folder')
    .option('--html <file>', 'write the HTML report')
    .option('--trajectories <file>', "write every twin's trajectory under every arm (.csv or .parquet), with age and sex")
    .option('--adam <dir>', 'write ADaM-shaped tables into DIR: adsl (one row per twin and arm) and adbds (one row per twin, arm, variable and visit); with --shard, keep what `vtrial merge --adam` needs')
    .option('--adam-format <format>', "format of the --adam tables: 'csv' (default) or 'parquet'", adamFormat)
    .option('--shard <i/N>', 'run only part i of N (numbered from 1) into --out DIR; combine the parts with `vtrial merge`', parseShard)
    .option('--resume <dir>', 'finish an interrupted run kept in DIR (same report as an uninterrupted run)')
    .option('--n <n>', 'number of twins instead of population.n', positiveInt('--n'))
    .option('--seed <seed>', "seed instead of the file's", nonNegativeInt)
    .option('--shard-size <n>', 'twins per task (default 1000); every part of a sharded run must use the same', positiveInt('--shard-size'))
    .option('-q, --quiet', 'no progress output')
    .option('--log-json', 'progress as JSON lines on stderr (for pipelines)')
    .addHelpText(
      'after',
      [
        '',
        'Exit status: 0 ok, 1 runtime failure, 2 invalid input, 130/143 interrupted (finished shards kept; see --resume).',
        'Examples:',
        '  vtrial run trials/dash-sodium.yaml --engine reference',
        '  vtrial run trials/dash-sodium.yaml --json --out results/ > report.json',
        '  vtrial run trials/dash-sodium.yaml --shard 1/4 --out part-1    # then: vtrial merge part-* --out report',
      ].join('\n'),
    )
    .action(async (file: string, opts: RunCliOptions) => {
      if (opts.shard && !opts.out) throw new UsageError('--shard needs --out DIR (the part folder `vtrial merge` reads)');
      if (opts.shard && (opts.json || opts.html)) throw new UsageError('--shard writes a part folder; --json and --html belong to `vtrial merge`');
      if (opts.trajectories) trajectoriesFormat(opts.trajectories);
      if (opts.adamFormat && !opts.adam) throw new UsageError('--adam-format needs --adam DIR');
      const loaded = await loadTrial(file);
      const spec = opts.model ? { ...loaded, model: resolvePath(opts.model) } : loaded;
      const mode = chooseProgressMode({ quiet: opts.quiet, logJson: opts.logJson, isTTY: process.stderr.isTTY });
      const progress = createProgress(mode, process.stderr, 5000, opts.shard ? `part ${opts.shard.index + 1}/${opts.shard.count}` : '');
      const signals = trapSignals();
      const common = {
        engine: opts.engine,
        workers: opts.workers,
        nOverride: opts.n,
        seed: opts.seed,
        shardSize: opts.shardSize,
        trajectoriesOut: opts.trajectories,
        adamDir: opts.adam,
        adamFormat: opts.adamFormat,
        progress: progress.onEvent,
        signal: signals.signal,
      };
      try {
        if (opts.shard) {
          const parts = await runTrialPart(spec, opts.out!, { ...common, shard: opts.shard });
          const m = parts[0].manifest;
          const twins = Math.max(0, Math.min(m.n, m.shards[1] * m.shardSize) - m.shards[0] * m.shardSize);
          progress.done(`part ${opts.shard.index + 1}/${opts.shard.count}: shards ${m.shards[0]}-${m.shards[1] - 1} of ${m.nShards} (${twins} twins${parts.length > 1 ? ` x ${parts.length} replicates` : ''}) kept in ${opts.out}`);
          return;
        }
        const outcome = await runTrialReport(spec, { ...common, resumeDir: opts.resume });
        progress.done();
        await emitReport(outcome.report, opts);
      } catch (e) {
        progress.done();
        // replicate r > 0 lives in DIR/replicate-r: resume the whole run folder
        const keptIn = (dir: string): string => dir.replace(/[\\/]replicate-\d+$/, '');
        if (e instanceof RunInterrupted) {
          const sig = signals.received();
          const again = opts.shard
            ? `vtrial run ${file} --shard ${opts.shard.index + 1}/${opts.shard.count} --out ${opts.out}${opts.n ? ` --n ${opts.n}` : ''}${opts.seed !== undefined ? ` --seed ${opts.seed}` : ''}${opts.engine ? ` --engine ${opts.engine}` : ''}${opts.model ? ` --model ${opts.model}` : ''}${opts.shardSize ? ` --shard-size ${opts.shardSize}` : ''}`
            : `vtrial run ${file} --resume ${keptIn(e.runDir)}`;
          process.stderr.write(`vtrial: run interrupted: ${e.shardsDone} of ${e.shardsTotal} shards finished and kept in ${keptIn(e.runDir)}\nfinish it with: ${again}\n`);
          process.exitCode = sig === 'SIGTERM' ? 143 : 130;
          return;
        }
        if (e instanceof ShardFailed) {
          process.stderr.write(`vtrial: ${e.message}\nfinished shards are kept in ${keptIn(e.runDir)}; after fixing the cause, finish with: vtrial run ${file} ${opts.shard ? `--shard ${opts.shard.index + 1}/${opts.shard.count} --out ${opts.out}` : `--resume ${keptIn(e.runDir)}`}\n`);
          process.exitCode = 1;
          return;
        }
        throw e;
      } finally {
        signals.release();
      }
    });
}
