import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { renderHtml } from '../../analysis/html.js';
import { identicalArmsSpec, nullCheck, powerCurve, powerEndpoint, renderPowerSummary, type PowerCurve } from '../../analysis/power.js';
import { buildReport } from '../../analysis/report.js';
import { analyseTrial, type TrialAnalysis, type TrialData } from '../../analysis/trial.js';
import { UsageError } from '../../core/errors.js';
import { runAhead } from '../../rollout/ahead.js';
import { withPool } from '../../rollout/pool.js';
import { runInfoOf, runTrialWith } from '../../rollout/run.js';
import { loadTrial } from '../../trial-dsl/index.js';
import type { Engine } from '../../trial-dsl/spec.js';

function sizes(v: string): number[] {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (!out.length || out.some((n) => !Number.isInteger(n) || n < 4)) throw new InvalidArgumentError(`expected comma-separated sizes of at least 4 twins, e.g. 100,200,400; got '${v}'`);
  return out;
}
function probability(v: string): number {
  const p = Number(v);
  if (!(p > 0 && p < 1)) throw new InvalidArgumentError(`expected a power strictly between 0 and 1, e.g. 0.9; got '${v}'`);
  return p;
}
function count(what: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be an integer of at least ${min}, got '${v}'`);
    return n;
  };
}

interface PowerCliOptions {
  sizes: number[];
  target: number;
  replicates?: number;
  endpoint?: string;
  engine?: Engine;
  workers?: number;
  nullCheck: boolean;
  json?: boolean;
  out?: string;
  html?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('power')
    .description('Power curve by simulation: replicate trials at several sizes, the share significant, the smallest size reaching a target')
    .argument('<file>', 'trial YAML file')
    .requiredOption('--sizes <list>', 'twins randomised per trial, comma-separated (e.g. 100,200,400,800)', sizes)
    .option('--target <power>', 'target power', probability, 0.9)
    .option('--replicates <n>', "replicate trials per size (default: the file's analysis.replicates if above 1, else 100)", count('--replicates', 2))
    .option('--endpoint <name>', 'endpoint (default: the primary endpoint)')
    .option('--engine <engine>', "simulator: 'model' or 'reference' (default: the file's)", (v: string): Engine => {
      if (v !== 'model' && v !== 'reference') throw new InvalidArgumentError(`expected 'model' or 'reference', got '${v}'`);
      return v;
    })
    .option('--workers <n>', 'worker threads', count('--workers', 1))
    .option('--no-null-check', 'skip the type-I error check with identical arms')
    .option('--json', 'print the power curve as JSON on stdout')
    .option('--out <file>', 'write the power curve as JSON')
    .option('--html <file>', 'write an HTML report: the largest size fully analysed, with the power curve')
    .option('-q, --quiet', 'no progress output')
    .addHelpText('after', '\nExample:\n  vtrial power trials/dash-sodium.yaml --sizes 100,200,400,800 --target 0.9 --replicates 200 --engine reference')
    .action(async (file: string, opts: PowerCliOptions) => {
      const spec = await loadTrial(file);
      const replicates = opts.replicates ?? (spec.analysis.replicates > 1 ? spec.analysis.replicates : 100);
      const log = (s: string): void => {
        if (!opts.quiet) process.stderr.write(s);
      };
      const endpointName = opts.endpoint;
      if (endpointName && !spec.endpoints.some((e) => e.name === endpointName)) {
        throw new UsageError(`--endpoint ${endpointName}: not an endpoint of ${file} (endpoints: ${spec.endpoints.map((e) => e.name).join(', ')})`);
      }
      const largest = Math.max(...opts.sizes);
      let keep: TrialData | null = null;
      const started = new Date();
      const t0 = performance.now();
      const sorted = [...opts.sizes].sort((a, b) => a - b);
      const key = (n: number, r: number): string => `${n}/${r}`;
      // one warm pool for every replicate trial; up to one trial per thread runs ahead of the
      // analysis, in the order the power curve asks for them (results do not depend on it)
      const result: PowerCurve = await withPool({ workers: opts.workers }, async (pool) => {
        const run = async (s: typeof spec, n: number, r: number): Promise<TrialAnalysis> => {
          const data = await runTrialWith(pool, s, { engine: opts.engine, nOverride: n, replicate: r });
          if (s === spec && n === largest && r === 0) keep = data;
          return analyseTrial(data, { individual: false });
        };
        const jobs = sorted.flatMap((n) => Array.from({ length: replicates }, (_x, r) => key(n, r)));
        const ahead = runAhead(jobs, (k) => run(spec, Number(k.split('/')[0]), Number(k.split('/')[1])), pool.threads);
        const curve: PowerCurve = await powerCurve((n, r) => ahead.get(key(n, r)), {
          sizes: opts.sizes,
          replicates,
          target: opts.target,
          endpoint: endpointName,
          onReplicate: (n, r) => log(`\rsize ${n}: replicate ${r + 1}/${replicates}${r + 1 === replicates ? '\n' : ''}`),
        });
        if (!opts.nullCheck) return curve;
        const nullSpec = identicalArmsSpec(spec, curve.endpoint);
        const n = Math.min(...opts.sizes);
        const keys = Array.from({ length: replicates }, (_x, r) => String(r));
        const nulls = runAhead(keys, (k) => run(nullSpec, n, Number(k)), pool.threads);
        const analyses: TrialAnalysis[] = [];
        for (let r = 0; r < replicates; r++) {
          analyses.push(await nulls.get(String(r)));
          log(`\rnull check (identical arms, ${n} twins): replicate ${r + 1}/${replicates}${r + 1 === replicates ? '\n' : ''}`);
        }
        return { ...curve, nullCheck: nullCheck(analyses, powerEndpoint(analyses[0], curve.endpoint)) };
      });
      process.stdout.write(opts.json ? JSON.stringify(result, null, 2) + '\n' : renderPowerSummary(result) + '\n');
      if (opts.out) {
        mkdirSync(dirname(opts.out), { recursive: true });
        writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
      }
      if (opts.html && keep) {
        const data: TrialData = keep;
        const info = runInfoOf(data);
        const report = buildReport(analyseTrial(data), {
          seed: spec.seed,
          engine: info?.manifest.engine ?? opts.engine ?? spec.engine,
          simulatorFingerprint: info?.fingerprint ?? 'unknown',
          backend: info?.backend ?? 'unknown',
          trialFile: spec.source.file,
          trialSha256: spec.source.sha256,
          startedAt: started.toISOString(),
          wallSeconds: (performance.now() - t0) / 1000,
          workers: info?.workers ?? 1,
        });
        mkdirSync(dirname(opts.html), { recursive: true });
        writeFileSync(opts.html, await renderHtml(report, { power: result }));
      }
    });
}
