/**
 * Where shards run: a piscina pool of worker threads (one per core by default), or the main
 * thread when one worker is asked for. Both run the same function (task.ts), so the choice never
 * changes a result. Typed arrays travel by transfer (ownership moves), not by structured clone.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { PACKAGE_ROOT } from '../core/version.js';
import { runShardTask, type ShardOutput, type ShardTask } from './task.js';

export interface ShardRunner {
  readonly threads: number;
  readonly inProcess: boolean;
  run(task: ShardTask, transfer: ArrayBuffer[], signal: AbortSignal): Promise<ShardOutput>;
  close(): Promise<void>;
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

class InProcessRunner implements ShardRunner {
  readonly threads = 1;
  readonly inProcess = true;
  async run(task: ShardTask, _transfer: ArrayBuffer[], signal: AbortSignal): Promise<ShardOutput> {
    signal.throwIfAborted();
    return runShardTask(task, false);
  }
  async close(): Promise<void> {}
}

class PoolRunner implements ShardRunner {
  readonly inProcess = false;
  private readonly pool: Piscina;
  constructor(readonly threads: number) {
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
  }
  run(task: ShardTask, transfer: ArrayBuffer[], signal: AbortSignal): Promise<ShardOutput> {
    return this.pool.run(task, { transferList: transfer, signal }) as Promise<ShardOutput>;
  }
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** A runner for the given worker count (1 = the main thread, no pool). */
export function createRunner(workers: number): ShardRunner {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  return workers === 1 ? new InProcessRunner() : new PoolRunner(workers);
}
