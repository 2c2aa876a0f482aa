import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { renderHtml } from '../../analysis/html.js';
import { participantOutcomes, procova, prognosticScore, renderProcovaSummary } from '../../analysis/prognostic.js';
import { buildReport } from '../../analysis/report.js';
import { readTable, trialDataFromTrajectories } from '../../analysis/saved_run.js';
import { renderSummary } from '../../analysis/summary.js';
import { analyseTrial } from '../../analysis/trial.js';
import { InputError, UsageError } from '../../core/errors.js';
import { readParticipants } from '../../population/participants.js';
import { runTrial } from '../../rollout/run.js';
import { loadTrial } from '../../trial-dsl/index.js';
import type { AnalysisKind, Engine, TrialSpec } from '../../trial-dsl/spec.js';

const KINDS: readonly AnalysisKind[] = ['difference', 'ancova', 'risk_difference', 'risk_ratio', 'odds_ratio', 'hazard_ratio'];

interface AnalyzeCliOptions {
  trial: string;
  endpoint?: string;
  analysis?: AnalysisKind;
  covariates?: string[];
  ci?: 't' | 'bootstrap';
  prognostic?: string;
  draws: number;
  workers?: number;
  json?: boolean;
  out?: string;
  html?: string;
}

/** The trial with the endpoints, analysis and covariates the command line asks for. */
function editedSpec(spec: TrialSpec, opts: AnalyzeCliOptions): TrialSpec {
  let endpoints = spec.endpoints;
  if (opts.endpoint) {
    endpoints = endpoints.filter((e) => e.name === opts.endpoint);
    if (!endpoints.length) throw new UsageError(`--endpoint ${opts.endpoint}: not an endpoint of ${opts.trial} (endpoints: ${spec.endpoints.map((e) => e.name).join(', ')})`);
  }
  endpoints = endpoints.map((e) => ({ ...e, ...(opts.analysis ? { analysis: opts.analysis } : {}), ...(opts.covariates ? { covariates: opts.covariates } : {}) }));
  return { ...spec, endpoints, analysis: { ...spec.analysis, ...(opts.ci ? { ci: opts.ci } : {}) } };
}

function write(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

export function register(program: Command): void {
  program
    .command('analyze')
    .description('Re-analyse a saved run, or analyse a real trial with a prognostic covariate from digital twins (PROCOVA)')
    .argument('<data>', 'trajectories saved by `vtrial run --trajectories` (CSV/Parquet), or with --prognostic a participant table (one row per participant)')
    .requiredOption('--trial <file>', 'the trial YAML file (arms, endpoints, schedule)')
    .option('--endpoint <name>', 'analyse only this endpoint (with --prognostic: default the primary endpoint)')
    .option('--analysis <kind>', `estimator for every endpoint analysed: ${KINDS.join(', ')}`, (v: string): AnalysisKind => {
      if (!KINDS.includes(v as AnalysisKind)) throw new InvalidArgumentError(`expected one of ${KINDS.join(', ')}, got '${v}'`);
      return v as AnalysisKind;
    })
    .option('--covariates <list>', 'ANCOVA covariates (baseline catalog ids, comma-separated) instead of the trial file\'s', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--ci <method>', "interval method: 't' or 'bootstrap'", (v: string): 't' | 'bootstrap' => {
      if (v !== 't' && v !== 'bootstrap') throw new InvalidArgumentError(`expected 't' or 'bootstrap', got '${v}'`);
      return v;
    })
    .option('--prognostic <model>', "add each participant's predicted control outcome as an ANCOVA covariate: a model checkpoint folder, or 'reference' for the reference world")
    .option('--draws <n>', 'rollouts averaged per participant for the prognostic score', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--draws must be a positive integer, got '${v}'`);
      return n;
    }, 20)
    .option('--workers <n>', 'worker threads for the prognostic rollouts', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--workers must be a positive integer, got '${v}'`);
      return n;
    })
    .option('--json', 'print the result as JSON on stdout')
    .option('--out <file>', 'write the result as JSON')
    .option('--html <file>', 'write the HTML report (re-analysis only)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  vtrial run trials/dash-sodium.yaml --trajectories run.csv',
        '  vtrial analyze run.csv --trial trials/dash-sodium.yaml --analysis difference --covariates age',
        '  vtrial analyze participants.csv --trial trials/dash-sodium.yaml --prognostic reference',
        '',
        'With --prognostic, the participant table needs: arm (arm ids), a column named after the endpoint',
        '(its value per participant, e.g. sbp_change_12w), the endpoint variable at baseline (e.g. sbp),',
        'age, sex and any other baseline variables (catalog ids or aliases; missing ones are imputed).',
      ].join('\n'),
    )
    .action(async (data: string, opts: AnalyzeCliOptions) => {
      const original = await loadTrial(opts.trial);
      if (opts.prognostic) {
        if (opts.html) throw new UsageError('--html is for re-analysing a saved run; with --prognostic use --json or --out');
        const name = opts.endpoint ?? (original.endpoints.find((e) => e.primary) ?? original.endpoints[0]).name;
        const spec = editedSpec(original, { ...opts, endpoint: name });
        const ep = spec.endpoints[0];
        const table = await readTable(resolve(data));
        let outcomes;
        try {
          outcomes = participantOutcomes(table, ep, data);
        } catch (e) {
          throw new InputError(e instanceof Error ? e.message : String(e), ['see `vtrial analyze --help` for the expected columns']);
        }
        const engine: Engine = opts.prognostic === 'reference' ? 'reference' : 'model';
        const simSpec: TrialSpec = {
          ...spec,
          engine,
          ...(engine === 'model' ? { model: resolve(opts.prognostic) } : {}),
          // the score is the expected outcome of a participant who stays in the trial
          schedule: { ...spec.schedule, dropout: 0 },
          arms: spec.arms.map((a) => ({ ...a, dropout: 0 })),
        };
        const drawn = await readParticipants(
          { source: 'file', path: resolve(data), n: outcomes.n, sex: 'any', eligibility: [], baseline: [] },
          { seed: spec.seed, baseDir: process.cwd() },
        );
        for (const w of drawn.warnings) if (!/unknown columns/.test(w)) process.stderr.write(`vtrial: ${w}\n`);
        const controlArm = spec.arms.findIndex((a) => a.id === ep.control);
        const score = await prognosticScore(
          opts.draws,
          (r) => runTrial(simSpec, { engine, twins: drawn.batch, replicate: r, workers: opts.workers }),
          ep.name,
          controlArm,
        );
        const res = procova(outcomes.y, outcomes.treated, outcomes.covariates, score, spec.analysis.alpha);
        const what = { endpoint: ep.name, comparison: `${ep.treatment} vs ${ep.control}`, file: basename(data), model: engine === 'reference' ? 'the reference world' : `model ${opts.prognostic}`, draws: opts.draws };
        const json = JSON.stringify({ ...what, ...res, score: Array.from(score) }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
        process.stdout.write(opts.json ? json : renderProcovaSummary(res, what) + '\n');
        if (opts.out) write(opts.out, json);
        return;
      }
      const spec = editedSpec(original, opts);
      const started = new Date();
      const t0 = performance.now();
      const trialData = await trialDataFromTrajectories(spec, data);
      const report = buildReport(analyseTrial(trialData), {
        seed: spec.seed,
        engine: 'saved run',
        simulatorFingerprint: `trajectories ${basename(data)} sha256:${createHash('sha256').update(readFileSync(data)).digest('hex').slice(0, 16)}`,
        backend: 'none (re-analysis)',
        trialFile: spec.source.file,
        trialSha256: spec.source.sha256,
        startedAt: started.toISOString(),
        wallSeconds: (performance.now() - t0) / 1000,
        workers: 1,
      });
      const summary = renderSummary(report);
      (opts.json ? process.stderr : process.stdout).write(summary + '\n');
      const text = JSON.stringify(report, null, 2) + '\n';
      if (opts.json) process.stdout.write(text);
      if (opts.out) write(opts.out, text);
      if (opts.html) write(opts.html, await renderHtml(report));
    });
}
