/**
 * `--adam DIR`: a run's (or merged parts') trajectories as ADaM-shaped tables (ADSL and BDS,
 * src/analysis/adam.ts), written from the run folder shard by shard, in shard order, so memory
 * holds one shard at a time whatever the number of twins.
 */
import { UsageError } from '../core/errors.js';
import type { Trajectories } from '../core/simulator.js';
import { AdamWriter, type AdamResult } from '../analysis/adam.js';
import { readShard, readShardTrajectories, type RunManifest } from './runfolder.js';

export type AdamFormat = 'csv' | 'parquet';

export function adamFormat(v: string): AdamFormat {
  if (v !== 'csv' && v !== 'parquet') throw new UsageError(`--adam-format: expected 'csv' or 'parquet', got '${v}'`);
  return v;
}

/**
 * Write ADSL (one row per twin and arm, baseline covariates) and BDS (one row per twin, arm,
 * variable and visit measured) for every shard of a run. `dirs` is one folder holding every
 * shard, or one folder per shard in shard order (merged parts).
 */
export async function writeRunAdam(out: { dir: string; format: AdamFormat }, dirs: readonly string[], manifest: RunManifest): Promise<AdamResult> {
  const dirOf = (i: number): string => (dirs.length === 1 ? dirs[0] : dirs[i]);
  let writer: AdamWriter | null = null;
  try {
    for (let i = 0; i < manifest.nShards; i++) {
      const shard = readShard(dirOf(i), i);
      const t = readShardTrajectories(dirOf(i), i);
      const n = t.ids.length;
      const arms: Trajectories[] = t.arms.map((a) => ({ n, visitDays: t.visitDays, values: a.values, dropoutDay: a.dropoutDay }));
      writer ??= await AdamWriter.open({ dir: out.dir, format: out.format, spec: manifest.spec }, Object.keys(shard.covariates), t.variables);
      await writer.append({ ids: shard.ids, allocation: shard.allocation, covariates: shard.covariates, arms });
    }
    writer ??= await AdamWriter.open({ dir: out.dir, format: out.format, spec: manifest.spec }, [], []);
    const w = writer;
    writer = null;
    return await w.close();
  } finally {
    if (writer) await writer.close().catch(() => undefined);
  }
}
