/**
 * The piscina worker. Tasks:
 * - a shard (task.ts): roll it out and move the result's typed arrays back to the main thread
 *   instead of copying them;
 * - { kind: 'ping' }: nothing; answers once the thread has loaded this module (pool.ts, close);
 * - { kind: 'warm' }: load the simulator and warm the thread up (pool.ts);
 * - { kind: 'trial' }: a whole small trial from draw to merge (run.ts, runTrialTask), so that
 *   replicate trials of a power calculation run side by side.
 * The simulator is cached per thread, so model weights load once per worker, not once per task.
 */
import { Piscina } from 'piscina';
import { outputBuffers, runShardTask, warmUp, type ShardTask, type WarmTask } from './task.js';

// held in a variable: run.js (and the population code) load only when a trial task comes
const RUN_MODULE = './run.js';

export default async function runTask(task: ShardTask | WarmTask | { kind: 'trial' } | { kind: 'ping' }): Promise<unknown> {
  if ('kind' in task && task.kind === 'ping') return 'pong';
  if ('kind' in task && task.kind === 'warm') return warmUp(task);
  if ('kind' in task && task.kind === 'trial') {
    const mod = (await import(RUN_MODULE)) as typeof import('./run.js');
    const out = await mod.runTrialTask(task as import('./run.js').TrialTask);
    return Piscina.move({ [Piscina.transferableSymbol]: mod.trialTaskBuffers(out), [Piscina.valueSymbol]: out } as never);
  }
  const out = await runShardTask(task as ShardTask, true);
  return Piscina.move({ [Piscina.transferableSymbol]: outputBuffers(out), [Piscina.valueSymbol]: out } as never);
}
