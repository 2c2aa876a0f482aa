/**
 * --trajectories FILE: every twin's measured trajectory under every arm, in long form (one row
 * per twin, arm and visit), CSV or Parquet by the file's extension, readable as is by pandas,
 * R and DuckDB:
 *
 *   twin_id, arm, allocated (1 = the arm the twin was randomised to), day, dropout_day
 *   (empty/null if the twin completed), age and sex (0 = male, 1 = female; baseline, the same
 *   on every row of a twin, so a saved run can be re-analysed with covariates and subgroups),
 *   then one column per measured variable (catalog ids; empty/null = not measured at that
 *   visit, or after dropout).
 *
 * CSV is streamed shard by shard; Parquet is assembled in memory (hyparquet-writer writes
 * whole files), so prefer CSV for very large runs.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { extname } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { RunManifest } from './runfolder.js';
import { readShard, readShardTrajectories } from './runfolder.js';

export function trajectoriesFormat(file: string): 'csv' | 'parquet' {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  throw new UsageError(`--trajectories ${file}: expected a .csv or .parquet file name`);
}

const csvNum = (x: number): string => (Number.isFinite(x) ? String(x) : '');
const csvText = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * Write the trajectories of every shard of a run. `dirs` is either one folder holding every
 * shard, or one folder per shard (in shard order).
 */
export async function writeTrajectoriesFile(file: string, dirs: readonly string[], manifest: RunManifest): Promise<void> {
  const format = trajectoriesFormat(file);
  const dirOf = (i: number): string => (dirs.length === 1 ? dirs[0] : dirs[i]);
  const armIds = manifest.spec.arms.map((a) => a.id);
  /** One shard's trajectories with the per-twin columns written beside them. */
  const shardRows = (i: number) => {
    const shard = readShard(dirOf(i), i);
    return { t: readShardTrajectories(dirOf(i), i), alloc: shard.allocation, age: shard.covariates.age, sex: shard.covariates.sex };
  };
  if (format === 'csv') {
    const out = createWriteStream(file);
    const write = async (s: string): Promise<void> => {
      if (!out.write(s)) await once(out, 'drain');
    };
    let header = false;
    for (let i = 0; i < manifest.nShards; i++) {
      const { t, alloc, age, sex } = shardRows(i);
      if (!header) {
        await write(['twin_id', 'arm', 'allocated', 'day', 'dropout_day', 'age', 'sex', ...t.variables].map(csvText).join(',') + '\n');
        header = true;
      }
      const nV = t.visitDays.length;
      let chunk = '';
      for (let k = 0; k < t.ids.length; k++) {
        for (let a = 0; a < t.arms.length; a++) {
          const arm = t.arms[a];
          for (let v = 0; v < nV; v++) {
            chunk += `${t.ids[k]},${csvText(armIds[a])},${alloc[k] === a ? 1 : 0},${t.visitDays[v]},${csvNum(arm.dropoutDay[k])},${age ? csvNum(age[k]) : ''},${sex ? csvNum(sex[k]) : ''}`;
            for (const name of t.variables) chunk += ',' + csvNum(arm.values[name][k * nV + v]);
            chunk += '\n';
          }
        }
        if (chunk.length > 1 << 20) {
          await write(chunk);
          chunk = '';
        }
      }
      await write(chunk);
    }
    out.end();
    await once(out, 'finish');
    return;
  }
  // Parquet: whole columns in memory
  const twin: number[] = [];
  const arm: string[] = [];
  const allocated: number[] = [];
  const day: number[] = [];
  const dropout: (number | null)[] = [];
  const ageCol: (number | null)[] = [];
  const sexCol: (number | null)[] = [];
  let variables: string[] = [];
  const cols: Record<string, (number | null)[]> = {};
  for (let i = 0; i < manifest.nShards; i++) {
    const { t, alloc, age, sex } = shardRows(i);
    if (i === 0) {
      variables = t.variables;
      for (const v of variables) cols[v] = [];
    }
    const nV = t.visitDays.length;
    for (let k = 0; k < t.ids.length; k++) {
      for (let a = 0; a < t.arms.length; a++) {
        const tr = t.arms[a];
        for (let v = 0; v < nV; v++) {
          twin.push(t.ids[k]);
          arm.push(armIds[a]);
          allocated.push(alloc[k] === a ? 1 : 0);
          day.push(t.visitDays[v]);
          dropout.push(Number.isFinite(tr.dropoutDay[k]) ? tr.dropoutDay[k] : null);
          ageCol.push(age && Number.isFinite(age[k]) ? age[k] : null);
          sexCol.push(sex && Number.isFinite(sex[k]) ? sex[k] : null);
          for (const name of variables) {
            const x = tr.values[name][k * nV + v];
            cols[name].push(Number.isFinite(x) ? x : null);
          }
        }
      }
    }
  }
  const { parquetWriteFile } = await import('hyparquet-writer');
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'twin_id', data: twin.map((x) => BigInt(x)), type: 'INT64' },
      { name: 'arm', data: arm, type: 'STRING' },
      { name: 'allocated', data: allocated, type: 'INT32' },
      { name: 'day', data: day, type: 'DOUBLE' },
      { name: 'dropout_day', data: dropout, type: 'DOUBLE' },
      { name: 'age', data: ageCol, type: 'DOUBLE' },
      { name: 'sex', data: sexCol, type: 'INT32' },
      ...variables.map((v) => ({ name: v, data: cols[v], type: 'DOUBLE' as const })),
    ],
  });
}
