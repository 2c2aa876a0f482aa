/**
 * Run a trial: draw twins, randomise, split into fixed-size shards, roll out every twin under
 * every arm on a worker pool, and merge the shards in order into the data the analysis reads.
 *
 * Reproducibility: every random draw is keyed by (seed, twin id, purpose), the allocation is
 * made once for all twins before sharding, the shard size does not depend on the number of
 * workers, and shards are merged in index order from their bit-exact stored form. So the same
 * trial and seed give byte-identical endpoint values with 1 or 16 workers, in one process or as
 * N separate parts merged later, and after an interrupted run is resumed.
 *
 * Faults: a shard whose worker throws or dies is retried (a bounded number of times); then the
 * run fails naming the shard and the cause, keeping the finished shards for --resume. Aborting
 * (SIGINT/SIGTERM in the CLI) stops the pool and keeps the finished shards likewise.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError, UsageError } from '../core/errors.js';
import { mixKey, Purpose } from '../core/rng.js';
import type { TwinBatch } from '../core/simulator.js';
import { ENGINE_VERSION, PACKAGE_ROOT } from '../core/version.js';
import type { Engine, PopulationSpec, TrialSpec } from '../trial-dsl/spec.js';
import { TrajectoryAccumulator, type TwinEndpointValues } from '../analysis/endpoints.js';
import type { TrialData } from '../analysis/trial.js';
import { drawTwins } from '../population/draw.js';
import { checkModelFolder } from '../model/folder.js';
import { parseExact, stringifyExact } from './pack.js';
import { createRunner, defaultWorkers, type RunPool } from './pool.js';
import { randomise } from './randomise.js';
import {
  finishedShards, readManifest, readShard, writeManifest, writeShard, writeShardTrajectories,
  RUN_FORMAT, RUN_FORMAT_VERSION, type RunManifest, type ShardResult,
} from './runfolder.js';
import { outputBuffers, type ShardOutput, type ShardTask, type TaskFault } from './task.js';
import { writeTrajectoriesFile } from './trajectories.js';
import { writeRunAdam, type AdamFormat } from './adam-export.js';

/** Twins per shard. Fixed (never derived from the worker count) so merges are order-stable. */
export const DEFAULT_SHARD_SIZE = 1000;
/** Attempts per shard before the run fails (1 try + 2 retries). */
export const DEFAULT_MAX_ATTEMPTS = 3;

export type RunPhase = 'draw' | 'randomise' | 'rollout' | 'merge' | 'done';

export interface ProgressEvent {
  readonly phase: RunPhase;
  readonly twinsDone: number;
  readonly twinsTotal: number;
  readonly shardsDone: number;
  readonly shardsTotal: number;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** Twins rolled out per second in this session (under every arm), NaN before the first shard. */
  readonly rate: number;
  /** Estimated milliseconds left, NaN when unknown. */
  readonly etaMs: number;
  readonly message?: string;
}

/**
 * Fault injection for tests and drills: make `shard` (or every shard, -1) fail `times` times
 * (Infinity = always) by throwing, exiting its worker thread, or waiting `delayMs` first.
 * Also read from the environment: VTRIAL_FAULT="shard=2,mode=throw,times=1" or
 * "shard=-1,mode=delay,delay=200".
 */
export interface FaultSpec {
  readonly shard: number;
  readonly mode: TaskFault['mode'];
  readonly times?: number;
  readonly delayMs?: number;
}

export interface RunOptions {
  /** Worker threads (default: one per core); 1 runs in the main thread with identical results. */
  workers?: number;
  /** Run only part i of count (0-based) and keep it in runDir; see runPart. */
  shard?: { index: number; count: number };
  engine?: Engine;
  /** Number of twins instead of the trial's population.n. */
  nOverride?: number;
  /** Trial seed instead of the file's. */
  seed?: number;
  /** Replicate trial index: 0 is the trial itself; r > 0 uses streams seeded by mixKey(seed, replicate, r). */
  replicate?: number;
  /** Write every twin's trajectories under every arm (CSV or Parquet by extension). */
  trajectoriesOut?: string;
  progress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Finish the run kept in this folder. */
  resumeDir?: string;
  /** Keep finished shards in this folder (default: a temporary folder, removed on success). */
  runDir?: string;
  /** Twins per shard (default 1000). Every part of a sharded run must use the same value. */
  shardSize?: number;
  /** Attempts per shard before failing (default 3). */
  maxAttempts?: number;
  /** Injected fault; undefined reads VTRIAL_FAULT, null disables. */
  fault?: FaultSpec | null;
  /** Use these twins instead of drawing them (their count overrides population.n). */
  twins?: TwinBatch;
  /** An ES module exporting createSimulator(), used instead of the engine (tests, plug-ins). */
  simulatorModule?: string;
  /**
   * An open pool (openPool / withPool) to run the shards on, kept open after the run; its thread
   * count replaces `workers`. Without it a run opens its own pool and closes it at the end.
   */
  pool?: RunPool;
  /** Write ADaM-shaped tables (ADSL and BDS) of every twin under every arm into this folder. */
  adamDir?: string;
  /** Format of the ADaM tables (default csv). */
  adamFormat?: AdamFormat;
}

/** Thrown when a run is aborted; the finished shards are kept in runDir. */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
  constructor(readonly runDir: string, readonly shardsDone: number, readonly shardsTotal: number) {
    super(`run interrupted: ${shardsDone} of ${shardsTotal} shards finished and kept in ${runDir}`);
  }
}

/** Thrown when a shard keeps failing; the finished shards are kept in runDir. */
export class ShardFailed extends Error {
  override name = 'ShardFailed';
  constructor(readonly shard: number, readonly start: number, readonly end: number, readonly attempts: number, override readonly cause: unknown, readonly runDir: string) {
    super(`shard ${shard} (twins ${start}-${end - 1}) failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** What runTrial returns beyond the analysis data. */
export interface RunInfo {
  readonly manifest: RunManifest;
  readonly fingerprint: string;
  readonly backend: string;
  readonly workers: number;
  readonly wallMs: number;
  /** Sum of the shards' compute time (ms). */
  readonly shardMs: number;
  readonly resumedShards: number;
  readonly runDir: string | null;
}

const runInfo = new WeakMap<TrialData, RunInfo>();

/** Run details (seeds, fingerprint, timing) of a TrialData returned by runTrial or mergeRunFolders. */
export function runInfoOf(data: TrialData): RunInfo | undefined {
  return runInfo.get(data);
}

export function parseFaultEnv(text: string | undefined): FaultSpec | null {
  if (!text) return null;
  const kv = Object.fromEntries(text.split(',').map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
  const mode = kv.mode as FaultSpec['mode'];
  if (!['throw', 'exit', 'delay'].includes(mode)) throw new UsageError(`VTRIAL_FAULT: mode must be throw, exit or delay, got '${kv.mode}'`);
  const times = kv.times === undefined || kv.times === 'always' ? Infinity : Number(kv.times);
  return { shard: kv.shard === undefined || kv.shard === '*' ? -1 : Number(kv.shard), mode, times, delayMs: kv.delay ? Number(kv.delay) : undefined };
}

/** Seed of the streams of replicate r (replicate 0 is the trial itself). */
export function replicateSeed(seed: number, replicate: number): number {
  return replicate ? mixKey([seed, Purpose.replicate, replicate]) : seed;
}

/** Shards [from, to) of part `index` of `count` (contiguous, balanced). */
export function partShards(nShards: number, index: number, count: number): [number, number] {
  return [Math.floor((index * nShards) / count), Math.floor(((index + 1) * nShards) / count)];
}

function checkpointPath(spec: TrialSpec): string {
  return isAbsolute(spec.model) ? spec.model : resolve(PACKAGE_ROOT, spec.model);
}

interface Plan {
  spec: TrialSpec;
  manifestBase: Omit<RunManifest, 'population' | 'allocationCounts' | 'n' | 'nShards' | 'shards' | 'part' | 'trajectories'>;
}

function effectiveSpec(spec: TrialSpec, opts: RunOptions): TrialSpec {
  const engine = opts.engine ?? spec.engine;
  const seed = opts.seed ?? spec.seed;
  const n = opts.twins ? opts.twins.ids.length : opts.nOverride ?? spec.population.n;
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`n must be a positive integer, got ${n}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`seed must be a non-negative integer, got ${seed}`);
  // round trip through the exact JSON form, so in-memory and merged-from-disk specs are identical
  return parseExact<TrialSpec>(stringifyExact({ ...spec, seed, engine, population: { ...spec.population, n } }));
}

function plan(spec0: TrialSpec, opts: RunOptions): Plan {
  const spec = effectiveSpec(spec0, opts);
  const replicate = opts.replicate ?? 0;
  if (!Number.isInteger(replicate) || replicate < 0) throw new UsageError(`replicate must be a non-negative integer, got ${replicate}`);
  const shardSize = opts.shardSize ?? DEFAULT_SHARD_SIZE;
  if (!Number.isInteger(shardSize) || shardSize < 1) throw new UsageError(`shard size must be a positive integer, got ${shardSize}`);
  let checkpoint: string | null = null;
  if (spec.engine === 'model' && !opts.simulatorModule) {
    checkpoint = checkpointPath(spec);
    if (!existsSync(checkpoint)) {
      throw new InputError(`model checkpoint not found: ${checkpoint} (the trial's \`model:\` field, or --model)`, [
        'train or install a checkpoint there, point `model:` at one, or run with --engine reference',
      ]);
    }
    checkModelFolder(checkpoint); // a broken checkpoint or ensemble is one clear error, before any worker loads it
  }
  return {
    spec,
    manifestBase: {
      format: RUN_FORMAT,
      formatVersion: RUN_FORMAT_VERSION,
      engineVersion: ENGINE_VERSION,
      spec,
      seed: spec.seed,
      replicate,
      streamSeed: replicateSeed(spec.seed, replicate),
      engine: spec.engine,
      checkpoint,
      shardSize,
    },
  };
}

/** Fields that must agree between a run folder and the run resuming or merging it. */
function identity(m: Pick<RunManifest, 'spec' | 'seed' | 'replicate' | 'engine' | 'checkpoint' | 'n' | 'shardSize' | 'engineVersion'>): Record<string, unknown> {
  return {
    'trial file (sha256)': m.spec.source.sha256,
    seed: m.seed,
    replicate: m.replicate,
    engine: m.engine,
    checkpoint: m.checkpoint,
    n: m.n,
    'shard size': m.shardSize,
    'vtrial version': m.engineVersion,
  };
}

export function compareIdentity(a: RunManifest, b: RunManifest, whatA: string, whatB: string): void {
  const ia = identity(a);
  const ib = identity(b);
  const diffs = Object.keys(ia).filter((k) => ia[k] !== ib[k]).map((k) => `${k}: ${JSON.stringify(ia[k])} in ${whatA}, ${JSON.stringify(ib[k])} in ${whatB}`);
  if (diffs.length) throw new InputError(`${whatB} and ${whatA} are not the same run`, diffs);
}

async function drawPopulation(spec: TrialSpec, streamSeed: number, opts: RunOptions): Promise<{ batch: TwinBatch; draws: number; method: string; warnings: string[] }> {
  if (opts.twins) return { batch: opts.twins, draws: opts.twins.ids.length, method: 'supplied', warnings: [] };
  return drawTwins(spec.population, { seed: streamSeed, baseDir: dirname(spec.source.file) });
}

function sliceColumns(columns: Readonly<Record<string, Float64Array>>, start: number, end: number, copy: boolean): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const k of Object.keys(columns)) out[k] = copy ? columns[k].slice(start, end) : columns[k].subarray(start, end);
  return out;
}

interface Session {
  manifest: RunManifest;
  runDir: string;
  results: Map<number, ShardResult>;
  fingerprint: string;
  workers: number;
  wallMs: number;
  resumedShards: number;
  batch: TwinBatch;
}

/**
 * Draw, randomise and run this session's shards into the run folder. The pool (when more than
 * one thread will be used) opens first, so its threads start and warm up while the main thread
 * draws the twins.
 */
async function execute(spec0: TrialSpec, opts: RunOptions, runDir: string, part: { index: number; count: number } | null): Promise<Session> {
  const t0 = performance.now();
  const planned = plan(spec0, opts);
  if (part && (!Number.isInteger(part.index) || !Number.isInteger(part.count) || part.count < 1 || part.index < 0 || part.index >= part.count)) {
    throw new UsageError(`--shard ${part.index}/${part.count}: expected i/N with 0 <= i < N`);
  }
  const expectedShards = Math.ceil(planned.spec.population.n / planned.manifestBase.shardSize);
  const [pFrom, pTo] = part ? partShards(expectedShards, part.index, part.count) : [0, expectedShards];
  const wanted = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), pTo - pFrom));
  if (opts.pool?.closed) throw new Error('RunOptions.pool is closed');
  const own = !opts.pool && wanted > 1 ? createRunner(wanted) : null;
  const pool = opts.pool ?? own;
  if (pool && !pool.inProcess) {
    const { spec, manifestBase } = planned;
    void pool.warm({ kind: 'warm', spec, seed: manifestBase.streamSeed, engine: spec.engine, checkpoint: manifestBase.checkpoint, simulatorModule: opts.simulatorModule, baseDir: dirname(spec.source.file) });
  }
  try {
    return await executePlanned(planned, opts, runDir, part, pool, t0);
  } finally {
    await own?.close();
  }
}

async function executePlanned(planned: Plan, opts: RunOptions, runDir: string, part: { index: number; count: number } | null, pool: RunPool | null, t0: number): Promise<Session> {
  const { manifestBase } = planned;
  const emit = (e: Omit<ProgressEvent, 'elapsedMs'>): void => opts.progress?.({ ...e, elapsedMs: performance.now() - t0 });
  const requested = planned.spec.population.n;
  emit({ phase: 'draw', twinsDone: 0, twinsTotal: requested, shardsDone: 0, shardsTotal: 0, rate: NaN, etaMs: NaN, message: `drawing ${requested} twins` });
  const drawn = await drawPopulation(planned.spec, manifestBase.streamSeed, opts);
  const batch = drawn.batch;
  const n = batch.ids.length;
  if (n === 0) throw new InputError('population: no twins to randomise', ['widen eligibility or check the participant file']);
  if (n !== requested && planned.spec.population.source !== 'file') {
    throw new InputError(`population: ${n} twins drawn, the trial asks for ${requested}`, ['lower population.n (or --n), or widen eligibility']);
  }
  // a participant file decides the number of twins
  const spec = n === requested ? planned.spec : parseExact<TrialSpec>(stringifyExact({ ...planned.spec, population: { ...planned.spec.population, n } }));
  const nShards = Math.ceil(n / manifestBase.shardSize);
  const [from, to] = part ? partShards(nShards, part.index, part.count) : [0, nShards];

  let previous: RunManifest | null = null;
  if (existsSync(join(runDir, 'manifest.json'))) {
    previous = readManifest(runDir);
    compareIdentity(previous, { ...manifestBase, spec, n, nShards, part, shards: [from, to], population: previous.population, allocationCounts: [], trajectories: false }, runDir, 'this run');
    if ((previous.part?.index ?? -1) !== (part?.index ?? -1) || (previous.part?.count ?? -1) !== (part?.count ?? -1)) {
      throw new InputError(`${runDir} holds part ${previous.part ? `${previous.part.index}/${previous.part.count}` : '(whole run)'}, not ${part ? `${part.index}/${part.count}` : 'the whole run'}`);
    }
  }

  emit({ phase: 'randomise', twinsDone: 0, twinsTotal: n, shardsDone: 0, shardsTotal: to - from, rate: NaN, etaMs: NaN });
  const alloc = randomise(spec.randomisation, spec.arms, batch, manifestBase.streamSeed);

  const manifest: RunManifest = {
    ...manifestBase,
    spec,
    n,
    nShards,
    part,
    shards: [from, to],
    population: { draws: drawn.draws, method: drawn.method, warnings: drawn.warnings },
    allocationCounts: alloc.counts,
    trajectories: !!opts.trajectoriesOut || !!opts.adamDir || (previous?.trajectories ?? false),
  };
  mkdirSync(runDir, { recursive: true });
  writeManifest(runDir, manifest);

  const results = new Map<number, ShardResult>();
  for (const i of finishedShards(runDir)) {
    if (i < from || i >= to) continue;
    const r = readShard(runDir, i);
    const start = i * manifest.shardSize;
    // a kept shard must be the same twins: a changed population would make a resumed run differ
    for (let k = 0; k < r.ids.length; k++) {
      if (r.ids[k] !== batch.ids[start + k] || r.allocation[k] !== alloc.arm[start + k]) {
        throw new InputError(`${runDir}: kept shard ${i} holds different twins than this run draws`, ['start a fresh run instead of --resume']);
      }
    }
    results.set(i, r);
  }
  const resumedShards = results.size;
  if ((opts.trajectoriesOut || opts.adamDir) && resumedShards > 0 && !previous?.trajectories) {
    const flag = opts.trajectoriesOut ? '--trajectories' : '--adam';
    throw new UsageError(`${flag}: the kept shards in ${runDir} were run without trajectories; resume without ${flag} or start a fresh run`);
  }

  const fault = opts.fault === undefined ? parseFaultEnv(process.env.VTRIAL_FAULT) : opts.fault;
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const todo: number[] = [];
  for (let i = from; i < to; i++) if (!results.has(i)) todo.push(i);
  const total = to - from;
  const twinsOf = (i: number): number => Math.min(n, (i + 1) * manifest.shardSize) - i * manifest.shardSize;
  let twinsDone = 0;
  for (const i of results.keys()) twinsDone += twinsOf(i);
  const twinsTotal = (() => {
    let s = 0;
    for (let i = from; i < to; i++) s += twinsOf(i);
    return s;
  })();

  const workers = Math.max(1, Math.min(pool?.threads ?? 1, todo.length));
  const tRoll = performance.now();
  let twinsThisSession = 0;
  const progress = (message?: string): void => {
    const secs = (performance.now() - tRoll) / 1000;
    const rate = twinsThisSession > 0 ? twinsThisSession / secs : NaN;
    emit({ phase: 'rollout', twinsDone, twinsTotal, shardsDone: results.size, shardsTotal: total, rate, etaMs: rate > 0 ? ((twinsTotal - twinsDone) / rate) * 1000 : NaN, message });
  };
  progress(resumedShards ? `resuming: ${resumedShards} of ${total} shards already finished` : undefined);

  const makeTask = (i: number, attempt: number): { task: ShardTask; transfer: ArrayBuffer[] } => {
    const start = i * manifest.shardSize;
    const end = Math.min(n, start + manifest.shardSize);
    const ids = batch.ids.slice(start, end);
    const columns = sliceColumns(batch.columns, start, end, true);
    const screening = batch.screening ? sliceColumns(batch.screening, start, end, true) : undefined;
    const allocation = alloc.arm.slice(start, end);
    const f = fault && (fault.shard === -1 || fault.shard === i) && attempt < (fault.times ?? Infinity) ? { mode: fault.mode, delayMs: fault.delayMs } : undefined;
    const task: ShardTask = {
      index: i, start, end, spec, seed: manifest.streamSeed, engine: spec.engine, checkpoint: manifest.checkpoint,
      simulatorModule: opts.simulatorModule, ids, columns, screening, allocation, keepTrajectories: manifest.trajectories, attempt, fault: f,
    };
    const buffers = [...Object.values(columns), ...Object.values(screening ?? {})].map((c) => c.buffer as ArrayBuffer);
    return { task, transfer: [ids.buffer, allocation.buffer, ...buffers] };
  };

  let fingerprint = results.size ? [...results.values()][0].fingerprint : '';
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let failure: unknown = null;
  const runner: RunPool = pool ?? createRunner(1);
  try {
    if (opts.signal?.aborted) throw new RunInterrupted(runDir, results.size, total);
    const queue = [...todo];
    const lane = async (): Promise<void> => {
      for (let i = queue.shift(); i !== undefined && !stop.signal.aborted; i = queue.shift()) {
        let out: ShardOutput | null = null;
        let lastError: unknown = null;
        for (let attempt = 0; attempt < maxAttempts && !out; attempt++) {
          if (stop.signal.aborted) return;
          const { task, transfer } = makeTask(i, attempt);
          try {
            out = await runner.run(task, transfer, stop.signal);
          } catch (e) {
            if (stop.signal.aborted) return;
            lastError = e;
            if (attempt + 1 < maxAttempts) progress(`shard ${i} failed (attempt ${attempt + 1} of ${maxAttempts}), retrying: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        if (!out) {
          const start = i * manifest.shardSize;
          failure ??= new ShardFailed(i, start, Math.min(n, start + manifest.shardSize), maxAttempts, lastError, runDir);
          stop.abort();
          return;
        }
        if (fingerprint && out.fingerprint !== fingerprint) {
          failure ??= new Error(`shard ${i} ran on simulator '${out.fingerprint}', other shards on '${fingerprint}'`);
          stop.abort();
          return;
        }
        fingerprint = out.fingerprint;
        const start = i * manifest.shardSize;
        const end = Math.min(n, start + manifest.shardSize);
        const r: ShardResult = {
          index: i, start, end, fingerprint: out.fingerprint, backend: out.backend, visitDays: out.visitDays, elapsedMs: out.elapsedMs,
          ids: batch.ids.subarray(start, end), allocation: alloc.arm.subarray(start, end),
          covariates: sliceColumns(batch.columns, start, end, false), endpoints: out.endpoints, accumulators: out.accumulators,
        };
        if (out.trajectories) writeShardTrajectories(runDir, i, out.visitDays, r.ids, out.trajectories);
        writeShard(runDir, r);
        results.set(i, r);
        twinsDone += end - start;
        twinsThisSession += end - start;
        progress();
      }
    };
    await Promise.all(Array.from({ length: Math.min(workers, todo.length) }, lane));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!pool) await runner.close();
  }
  if (failure) throw failure;
  if (results.size < total) throw new RunInterrupted(runDir, results.size, total);
  return { manifest, runDir, results, fingerprint, workers, wallMs: performance.now() - t0, resumedShards, batch };
}

function concatF64(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concatU8(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Merge shards (all of them, in index order) into the analysis data. */
export function mergeShards(spec: TrialSpec, shards: readonly ShardResult[]): TrialData {
  const sorted = [...shards].sort((a, b) => a.index - b.index);
  sorted.forEach((s, k) => {
    if (s.index !== k) throw new Error(`merge: shard ${k} is missing`);
  });
  const allocation = concatU8(sorted.map((s) => s.allocation));
  const covariates: Record<string, Float64Array> = {};
  for (const c of Object.keys(sorted[0]?.covariates ?? {})) covariates[c] = concatF64(sorted.map((s) => s.covariates[c]));
  const endpoints: Record<string, TwinEndpointValues[]> = {};
  for (const ep of spec.endpoints) {
    endpoints[ep.name] = spec.arms.map((_arm, a) => {
      const v: TwinEndpointValues = {
        y: concatF64(sorted.map((s) => s.endpoints[ep.name][a].y)),
        base: concatF64(sorted.map((s) => s.endpoints[ep.name][a].base)),
      };
      if (sorted.every((s) => s.endpoints[ep.name][a].time)) v.time = concatF64(sorted.map((s) => s.endpoints[ep.name][a].time!));
      if (sorted.every((s) => s.endpoints[ep.name][a].event)) v.event = concatU8(sorted.map((s) => s.endpoints[ep.name][a].event!));
      return v;
    });
  }
  const trajectories: Record<string, unknown> = {};
  for (const arm of spec.arms) {
    let acc: TrajectoryAccumulator | null = null;
    for (const s of sorted) {
      const part = TrajectoryAccumulator.fromJSON(s.accumulators[arm.id]);
      if (!acc) acc = new TrajectoryAccumulator(part.variables, part.visitDays);
      acc.merge(part);
    }
    trajectories[arm.id] = acc?.toJSON() ?? null;
  }
  return { spec, allocation, covariates, endpoints, trajectories };
}

function finish(session: Session, opts: RunOptions): TrialData {
  const shards = [...session.results.values()];
  const data = mergeShards(session.manifest.spec, shards);
  runInfo.set(data, {
    manifest: session.manifest,
    fingerprint: session.fingerprint,
    backend: shards[0]?.backend ?? 'js',
    workers: session.workers,
    wallMs: session.wallMs,
    shardMs: shards.reduce((s, r) => s + r.elapsedMs, 0),
    resumedShards: session.resumedShards,
    runDir: session.runDir,
  });
  void opts;
  return data;
}

/**
 * Run the whole trial and return the data the analysis reads. With opts.resumeDir, finishes the
 * run kept there (same result as an uninterrupted run).
 */
export async function runTrial(spec: TrialSpec, opts: RunOptions = {}): Promise<TrialData> {
  if (opts.shard) throw new UsageError('runTrial runs the whole trial; use runPart for --shard i/N');
  const own = !opts.resumeDir && !opts.runDir;
  const runDir = opts.resumeDir ?? opts.runDir ?? mkdtempSync(join(tmpdir(), 'vtrial-run-'));
  if (opts.resumeDir && !existsSync(join(opts.resumeDir, 'manifest.json'))) readManifest(opts.resumeDir); // throws a clear error
  const session = await execute(spec, opts, runDir, null);
  const data = finish(session, opts);
  const m = session.manifest;
  const writing = (what: string): void => opts.progress?.({ phase: 'merge', twinsDone: m.n, twinsTotal: m.n, shardsDone: m.nShards, shardsTotal: m.nShards, elapsedMs: session.wallMs, rate: NaN, etaMs: 0, message: `writing ${what}` });
  if (opts.trajectoriesOut) {
    writing(opts.trajectoriesOut);
    await writeTrajectoriesFile(opts.trajectoriesOut, [runDir], m);
  }
  if (opts.adamDir) {
    writing(`ADaM tables in ${opts.adamDir}`);
    await writeRunAdam({ dir: opts.adamDir, format: opts.adamFormat ?? 'csv' }, [runDir], m);
  }
  if (own) {
    rmSync(runDir, { recursive: true, force: true });
    const info = runInfo.get(data)!;
    runInfo.set(data, { ...info, runDir: null });
  }
  return data;
}

export interface PartResult {
  readonly manifest: RunManifest;
  readonly dir: string;
  readonly shardsRun: number;
  readonly resumedShards: number;
  readonly wallMs: number;
}

/** Run part opts.shard of a sharded run into `dir` (a folder `vtrial merge` combines). */
export async function runPart(spec: TrialSpec, dir: string, opts: RunOptions & { shard: { index: number; count: number } }): Promise<PartResult> {
  const session = await execute(spec, opts, dir, opts.shard);
  return { manifest: session.manifest, dir, shardsRun: session.results.size - session.resumedShards, resumedShards: session.resumedShards, wallMs: session.wallMs };
}

/**
 * Merge run folders (the parts of a sharded run, or a whole run folder) into the data of the
 * single-machine run. Every shard must be present exactly once, all from the same run.
 */
export async function mergeRunFolders(dirs: readonly string[], opts: { trajectoriesOut?: string; adamDir?: string; adamFormat?: AdamFormat } = {}): Promise<TrialData> {
  if (dirs.length === 0) throw new UsageError('merge: name at least one part folder');
  const t0 = performance.now();
  const manifests = dirs.map((d) => readManifest(d));
  const first = manifests[0];
  manifests.forEach((m, k) => {
    compareIdentity(first, m, dirs[0], dirs[k]);
    if (m.nShards !== first.nShards) throw new InputError(`${dirs[k]}: ${m.nShards} shards, ${dirs[0]}: ${first.nShards}`);
  });
  const owner = new Map<number, number>();
  manifests.forEach((_m, k) => {
    for (const i of finishedShards(dirs[k])) {
      if (owner.has(i)) throw new InputError(`merge: shard ${i} is in both ${dirs[owner.get(i)!]} and ${dirs[k]}`, ['name each part folder once']);
      owner.set(i, k);
    }
  });
  const missing: number[] = [];
  for (let i = 0; i < first.nShards; i++) if (!owner.has(i)) missing.push(i);
  if (missing.length) {
    const parts = [...new Set(manifests.map((m) => (m.part ? `${m.part.index}/${m.part.count}` : 'whole')))].join(', ');
    throw new InputError(`merge: ${missing.length} of ${first.nShards} shards are missing (shards ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''})`, [
      `parts given: ${parts}; run the missing parts (or resume the interrupted ones with --resume) and merge again`,
    ]);
  }
  const shards: ShardResult[] = [];
  for (let i = 0; i < first.nShards; i++) shards.push(readShard(dirs[owner.get(i)!], i));
  const fps = new Set(shards.map((s) => s.fingerprint));
  if (fps.size > 1) throw new InputError(`merge: parts ran on different simulators (${[...fps].join(', ')})`);
  const data = mergeShards(first.spec, shards);
  const allocationCounts = first.spec.arms.map((_a, k) => data.allocation.reduce((s, x) => s + (x === k ? 1 : 0), 0));
  const manifest: RunManifest = { ...first, part: null, shards: [0, first.nShards], allocationCounts };
  runInfo.set(data, {
    manifest,
    fingerprint: shards[0]?.fingerprint ?? '',
    backend: shards[0]?.backend ?? 'js',
    workers: 0,
    wallMs: performance.now() - t0,
    shardMs: shards.reduce((s, r) => s + r.elapsedMs, 0),
    resumedShards: 0,
    runDir: null,
  });
  const byShard = shards.map((s) => dirs[owner.get(s.index)!]);
  if ((opts.trajectoriesOut || opts.adamDir) && !manifests.every((m) => m.trajectories)) {
    throw new InputError(`merge: ${opts.trajectoriesOut ? '--trajectories' : '--adam'} needs every part run with --trajectories or --adam`, [
      `parts without trajectories: ${dirs.filter((_d, k) => !manifests[k].trajectories).join(', ')}`,
    ]);
  }
  if (opts.trajectoriesOut) await writeTrajectoriesFile(opts.trajectoriesOut, byShard, manifest);
  if (opts.adamDir) await writeRunAdam({ dir: opts.adamDir, format: opts.adamFormat ?? 'csv' }, byShard, manifest);
  return data;
}

/** A whole trial, draw to merge, as one pool task (see runTrialWith). */
export interface TrialTask {
  readonly kind: 'trial';
  readonly spec: TrialSpec;
  /** Run options that cross threads (no callbacks, signal or pool). */
  readonly opts: Omit<RunOptions, 'progress' | 'signal' | 'pool' | 'workers' | 'shard'>;
}

interface ErrorForm {
  readonly name: string;
  readonly message: string;
  readonly details?: readonly string[];
  readonly fields?: readonly unknown[];
}

export interface TrialTaskResult {
  readonly data?: TrialData;
  readonly info?: RunInfo;
  readonly error?: ErrorForm;
}

function errorForm(e: unknown): ErrorForm {
  if (e instanceof RunInterrupted) return { name: e.name, message: e.message, fields: [e.runDir, e.shardsDone, e.shardsTotal] };
  if (e instanceof ShardFailed) return { name: e.name, message: e.message, fields: [e.shard, e.start, e.end, e.attempts, errorForm(e.cause), e.runDir] };
  if (e instanceof InputError) return { name: e.name, message: e.message, details: e.details };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

function errorFrom(f: ErrorForm): Error {
  const x = f.fields ?? [];
  if (f.name === 'RunInterrupted') return new RunInterrupted(x[0] as string, x[1] as number, x[2] as number);
  if (f.name === 'ShardFailed') return new ShardFailed(x[0] as number, x[1] as number, x[2] as number, x[3] as number, errorFrom(x[4] as ErrorForm), x[5] as string);
  if (f.name === 'InputError') return new InputError(f.message, f.details ?? []);
  if (f.name === 'UsageError') return new UsageError(f.message);
  return new Error(f.message);
}

/** Run a trial task in this thread (worker.ts); errors come back as data, rebuilt by runTrialWith. */
export async function runTrialTask(task: TrialTask): Promise<TrialTaskResult> {
  try {
    const data = await runTrial(task.spec, { ...task.opts, workers: 1 });
    return { data, info: runInfo.get(data) };
  } catch (e) {
    return { error: errorForm(e) };
  }
}

/** The typed arrays of a trial task's result (transferred, not copied). */
export function trialTaskBuffers(r: TrialTaskResult): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | undefined): void => {
    if (a && a.buffer instanceof ArrayBuffer) seen.add(a.buffer);
  };
  if (!r.data) return [];
  add(r.data.allocation);
  for (const c of Object.values(r.data.covariates)) add(c);
  for (const list of Object.values(r.data.endpoints)) for (const v of list) [v.y, v.base, v.time, v.event].forEach(add);
  return [...seen];
}

/**
 * Run a trial on an open pool (openPool / withPool). A trial of at most one shard runs whole
 * (draw, randomise, rollout, merge) on one thread, so several such trials (replicates) can run
 * side by side, one per thread; a larger trial spreads its shards over the pool. Either way the
 * data are those of runTrial(spec, opts): the same code and keyed streams run, wherever.
 * Progress events are not reported for a trial that runs whole on a thread.
 */
export async function runTrialWith(pool: RunPool, spec: TrialSpec, opts: RunOptions = {}): Promise<TrialData> {
  const n = opts.twins ? opts.twins.ids.length : opts.nOverride ?? spec.population.n;
  const shardSize = opts.shardSize ?? DEFAULT_SHARD_SIZE;
  if (pool.inProcess || n > shardSize || opts.resumeDir || opts.shard) return runTrial(spec, { ...opts, pool });
  const { progress: _p, signal, pool: _pool, workers: _w, shard: _s, ...rest } = opts;
  // the environment's fault drill is read here, once, like a run in this thread would
  const fault = rest.fault === undefined ? parseFaultEnv(process.env.VTRIAL_FAULT) : rest.fault;
  const task: TrialTask = { kind: 'trial', spec, opts: { ...rest, fault } };
  let out: TrialTaskResult;
  try {
    out = await pool.runTask<TrialTaskResult>(task, signal);
  } catch (e) {
    if (signal?.aborted) throw new RunInterrupted(opts.runDir ?? '(temporary folder)', 0, 1);
    throw e;
  }
  if (out.error) throw errorFrom(out.error);
  const data = out.data!;
  runInfo.set(data, out.info!);
  return data;
}
