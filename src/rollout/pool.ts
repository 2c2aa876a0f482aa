/**
 * Where shards run: a piscina pool of worker threads (one per core by default), or the main
 * thread when one worker is asked for. Both run the same function (task.ts), so the choice never
 * changes a result. Typed arrays travel by transfer (ownership moves), not by structured clone.
 *
 * A pool can outlive one run: `withPool(opts, fn)` opens one warm pool for many runs (replicate
 * trials of `vtrial power`, the trial files of `vtrial validate`), passed to each run as
 * RunOptions.pool, so threads start, load their simulator and warm up once.
 *
 * Warm-up: right after a pool opens, each thread loads the simulator and rolls out a few
 * throw-away twins (so the engine's code is compiled before the first real shard), while the
 * main thread draws and randomises the trial's twins. The warm-up twins are never part of a
 * result; simulators are pure in their inputs, so a warmed thread gives the same output.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { PACKAGE_ROOT } from '../core/version.js';
import { runShardTask, type ShardOutput, type ShardTask, type WarmTask } from './task.js';

export interface ShardRunner {
  readonly threads: number;
  readonly inProcess: boolean;
  run(task: ShardTask, transfer: ArrayBuffer[], signal: AbortSignal): Promise<ShardOutput>;
  close(): Promise<void>;
}

/**
 * A pool of rollout threads that can serve many runs. `threads === 1` is the main thread (no
 * worker threads at all). Close it when done (withPool does).
 */
export interface RunPool extends ShardRunner {
  /** Load the simulator and warm each thread up, once per (engine, checkpoint, module); never throws. */
  warm(task: WarmTask): Promise<void>;
  /** Run a whole task of another kind (see worker.ts), e.g. a small trial from draw to merge. */
  runTask<T>(task: unknown, signal?: AbortSignal): Promise<T>;
  /** Seconds from opening until every thread had loaded its simulator and warmed up (NaN before). */
  readonly readyMs: number;
  readonly closed: boolean;
}

/** The compiled worker module: next to this file when running from dist, else the package's dist. */
export function workerFile(): string {
  const sibling = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  const built = join(PACKAGE_ROOT, 'dist', 'rollout', 'worker.js');
  if (existsSync(built)) return built;
  throw new Error('the rollout worker (dist/rollout/worker.js) is missing: build the package first (npm run build)');
}

/** Default worker count: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

const warmKey = (t: WarmTask): string => `${t.engine}\u0000${t.checkpoint ?? ''}\u0000${t.simulatorModule ?? ''}`;

class InProcessRunner implements RunPool {
  readonly threads = 1;
  readonly inProcess = true;
  closed = false;
  readyMs = 0;
  async run(task: ShardTask, _transfer: ArrayBuffer[], signal: AbortSignal): Promise<ShardOutput> {
    signal.throwIfAborted();
    return runShardTask(task, false);
  }
  // the main thread warms itself on its first shard: nothing to overlap with
  async warm(_task: WarmTask): Promise<void> {}
  async runTask<T>(): Promise<T> {
    throw new Error('an in-process runner runs shards only');
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

class PoolRunner implements RunPool {
  readonly inProcess = false;
  closed = false;
  readyMs = NaN;
  private readonly pool: Piscina;
  private readonly opened = performance.now();
  private readonly warming = new Map<string, Promise<void>>();
  constructor(readonly threads: number) {
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
  }
  warm(task: WarmTask): Promise<void> {
    const key = warmKey(task);
    let w = this.warming.get(key);
    if (!w) {
      // one warm-up task per thread, all at once: each busy thread takes the next one
      w = Promise.all(Array.from({ length: this.threads }, () => this.pool.run(task).catch(() => undefined))).then(() => {
        if (Number.isNaN(this.readyMs)) this.readyMs = performance.now() - this.opened;
      });
      this.warming.set(key, w);
    }
    return w;
  }
  run(task: ShardTask, transfer: ArrayBuffer[], signal: AbortSignal): Promise<ShardOutput> {
    return this.pool.run(task, { transferList: transfer, signal }) as Promise<ShardOutput>;
  }
  runTask<T>(task: unknown, signal?: AbortSignal): Promise<T> {
    return this.pool.run(task, signal ? { signal } : {}) as Promise<T>;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Terminating a thread while it is still loading its module aborts the whole process on
    // Node 20 ("FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal" in loadESMFromCJS). Threads
    // start loading when the pool opens and again whenever an aborted task's thread is replaced
    // (an interrupted run), so wait until every thread answers a no-op (bounded) before destroying.
    const settled = Promise.all(Array.from({ length: this.threads }, () => this.pool.run({ kind: 'ping' }).catch(() => undefined)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise<void>((res) => { timer = setTimeout(res, CLOSE_WAIT_MS); })]);
    clearTimeout(timer);
    await this.pool.destroy();
  }
}

/** Longest wait in close() for starting threads to finish loading before they are destroyed. */
const CLOSE_WAIT_MS = 10_000;

/** A runner for the given worker count (1 = the main thread, no pool). */
export function createRunner(workers: number): RunPool {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  return workers === 1 ? new InProcessRunner() : new PoolRunner(workers);
}

/** Open a pool for several runs (workers: default one per core; 1 = the main thread). Close it when done. */
export function openPool(opts: { workers?: number } = {}): RunPool {
  return createRunner(opts.workers ?? defaultWorkers());
}

/**
 * Run `fn` with one pool open for all its runs (pass it as RunOptions.pool), and close it
 * afterwards, also when fn throws.
 */
export async function withPool<T>(opts: { workers?: number }, fn: (pool: RunPool) => Promise<T>): Promise<T> {
  const pool = openPool(opts);
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}
