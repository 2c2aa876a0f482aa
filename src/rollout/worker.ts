/**
 * The piscina worker: runs one shard per task (see task.ts) and moves the result's typed
 * arrays back to the main thread instead of copying them. The simulator is cached per thread,
 * so model weights load once per worker, not once per task.
 */
import { Piscina } from 'piscina';
import { outputBuffers, runShardTask, type ShardTask } from './task.js';

export default async function runShard(task: ShardTask): Promise<unknown> {
  const out = await runShardTask(task, true);
  return Piscina.move({ [Piscina.transferableSymbol]: outputBuffers(out), [Piscina.valueSymbol]: out } as never);
}
