/**
 * From a trial to its report, with replicates: what `vtrial run` and `vtrial merge` do, as a
 * library. Replicate 0 is the trial itself (fully analysed, individual effects included);
 * replicates 1..R-1 (analysis.replicates) are fresh trials with their own twins and streams,
 * summarised into power and Monte Carlo errors. Each replicate has its own run folder
 * (replicate r > 0 in the subfolder replicate-r), so sharding, merging and resuming work the
 * same for every replicate.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseTrial, type TrialAnalysis, type TrialData } from '../analysis/trial.js';
import { buildReport, type Report } from '../analysis/report.js';
import { summariseReplicates } from '../analysis/replicates.js';
import { InputError } from '../core/errors.js';
import type { TrialSpec } from '../trial-dsl/spec.js';
import { readManifest } from './runfolder.js';
import { mergeRunFolders, runInfoOf, runPart, runTrial, runTrialWith, type PartResult, type RunInfo, type RunOptions } from './run.js';
import { openPool, type RunPool } from './pool.js';
import { runAhead } from './ahead.js';
import type { AdamFormat } from './adam-export.js';

/** With several replicates, one pool serves them all (opened here unless the caller gave one). */
async function sharedPool<T>(opts: RunOptions, replicates: number, fn: (pool: RunPool | undefined) => Promise<T>): Promise<T> {
  if (opts.pool || replicates <= 1) return fn(opts.pool);
  const pool = openPool({ workers: opts.workers });
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

export interface TrialOutcome {
  readonly report: Report;
  readonly analysis: TrialAnalysis;
  readonly data: TrialData;
  readonly info: RunInfo;
}

export const replicateDir = (dir: string, r: number): string => (r === 0 ? dir : join(dir, `replicate-${r}`));

function meta(info: RunInfo, startedAt: Date, wallMs: number, workers: number, replicates?: ReturnType<typeof summariseReplicates>) {
  const m = info.manifest;
  return {
    seed: m.seed,
    engine: m.engine,
    simulatorFingerprint: info.fingerprint,
    backend: info.backend,
    trialFile: m.spec.source.file,
    trialSha256: m.spec.source.sha256,
    startedAt: startedAt.toISOString(),
    wallSeconds: wallMs / 1000,
    workers,
    population: m.population,
    ...(replicates ? { replicates } : {}),
  };
}

/**
 * Run a trial (and its replicates) and build the report. Finished shards live in
 * opts.resumeDir / opts.runDir when given (kept), else in a temporary folder removed on success.
 */
export async function runTrialReport(spec: TrialSpec, opts: RunOptions = {}): Promise<TrialOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  if (opts.resumeDir) {
    // settings not repeated on the command line come from the kept run
    const m = readManifest(opts.resumeDir);
    opts = { ...opts, nOverride: opts.nOverride ?? m.n, seed: opts.seed ?? m.seed, engine: opts.engine ?? m.engine, shardSize: opts.shardSize ?? m.shardSize };
  }
  const given = opts.resumeDir ?? opts.runDir;
  const base = given ?? mkdtempSync(join(tmpdir(), 'vtrial-run-'));
  const R = Math.max(1, spec.analysis.replicates);
  const { resumeDir: _r, runDir: _d, ...rest } = opts;
  const { data, analysis, replicates } = await sharedPool(opts, R, async (pool) => {
    const data = await runTrial(spec, { ...rest, pool, runDir: base, replicate: 0 });
    const analysis = analyseTrial(data);
    if (R <= 1) return { data, analysis, replicates: undefined };
    const analyses: TrialAnalysis[] = [analysis];
    // replicates r > 0 run side by side on the pool (one small trial per thread), analysed in order
    const later = { ...rest, pool: undefined, trajectoriesOut: undefined, adamDir: undefined };
    const keys = Array.from({ length: R - 1 }, (_x, k) => String(k + 1));
    const run = (key: string): Promise<TrialData> => {
      const r = Number(key);
      const o = { ...later, runDir: replicateDir(base, r), replicate: r };
      return pool ? runTrialWith(pool, spec, o) : runTrial(spec, o);
    };
    const ahead = runAhead(keys, run, pool?.threads ?? 1);
    for (const key of keys) analyses.push(analyseTrial(await ahead.get(key), { individual: false }));
    return { data, analysis, replicates: summariseReplicates(analyses) };
  });
  const info = runInfoOf(data)!;
  if (!given) rmSync(base, { recursive: true, force: true });
  const report = buildReport(analysis, meta(info, startedAt, performance.now() - t0, info.workers, replicates));
  return { report, analysis, data, info: given ? info : { ...info, runDir: null } };
}

/** Run part `opts.shard` of a sharded trial (every replicate) into `dir`. */
export async function runTrialPart(spec: TrialSpec, dir: string, opts: RunOptions & { shard: { index: number; count: number } }): Promise<PartResult[]> {
  const R = Math.max(1, spec.analysis.replicates);
  return sharedPool(opts, R, async (pool) => {
    const out: PartResult[] = [];
    for (let r = 0; r < R; r++) {
      out.push(await runPart(spec, replicateDir(dir, r), { ...opts, pool, resumeDir: undefined, replicate: r, trajectoriesOut: r === 0 ? opts.trajectoriesOut : undefined, adamDir: r === 0 ? opts.adamDir : undefined }));
    }
    return out;
  });
}

/** Merge the parts of a sharded run into exactly the report of a single-machine run. */
export async function mergeTrialReport(dirs: readonly string[], opts: { trajectoriesOut?: string; adamDir?: string; adamFormat?: AdamFormat } = {}): Promise<TrialOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  const data = await mergeRunFolders(dirs, opts);
  const info = runInfoOf(data)!;
  const analysis = analyseTrial(data);
  const R = Math.max(1, info.manifest.spec.analysis.replicates);
  let replicates: ReturnType<typeof summariseReplicates> | undefined;
  if (R > 1) {
    const analyses: TrialAnalysis[] = [analysis];
    for (let r = 1; r < R; r++) {
      const sub = dirs.map((d) => replicateDir(d, r));
      const missing = sub.filter((d) => !existsSync(join(d, 'manifest.json')));
      if (missing.length) throw new InputError(`merge: replicate ${r} of ${R} is missing from ${missing.join(', ')}`, ['run every part to completion before merging']);
      analyses.push(analyseTrial(await mergeRunFolders(sub), { individual: false }));
    }
    replicates = summariseReplicates(analyses);
  }
  // "workers" of a merged run: the number of parts merged
  const report = buildReport(analysis, meta(info, startedAt, performance.now() - t0, dirs.length, replicates));
  return { report, analysis, data, info };
}
