// One warm pool across runs (withPool / RunOptions.pool / runTrialWith), ADaM export of a run,
// and age/sex in saved trajectories for re-analysis. Fixture simulator, small n: seconds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrial } from '../../src/trial-dsl/index.js';
import type { TrialSpec } from '../../src/trial-dsl/spec.js';
import type { TwinBatch } from '../../src/core/simulator.js';
import { trialDataFromTrajectories } from '../../src/analysis/saved_run.js';
import { parseCsv } from '../../src/population/participants.js';
import { runAhead } from '../../src/rollout/ahead.js';
import { openPool, withPool } from '../../src/rollout/pool.js';
import { mergeRunFolders, runPart, runTrial, runTrialWith, ShardFailed, type RunOptions } from '../../src/rollout/run.js';
import { fingerprintData, fixtureTwins, SIMULATOR, SMALL_TRIAL, tempDir } from './helpers.js';

let spec: TrialSpec;
let twins: TwinBatch;
const N = 120;
const base = (): RunOptions => ({ twins, simulatorModule: SIMULATOR, shardSize: 50, fault: null });

beforeAll(async () => {
  spec = await loadTrial(SMALL_TRIAL);
  twins = await fixtureTwins(N);
});

/** A CSV file as header and rows (quoted cells handled: arm labels hold commas). */
function csvRows(text: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = parseCsv(text).filter((r) => r.length > 1);
  return { header, rows };
}

describe('one pool across runs', () => {
  it('gives the same data as separate runs, for multi-shard runs and whole small trials on a thread', async () => {
    const alone = await runTrial(spec, { ...base(), workers: 1 });
    const aloneSmall = await runTrial(spec, { ...base(), workers: 1, shardSize: 1000 });
    const replicate3 = await runTrial(spec, { ...base(), workers: 1, shardSize: 1000, replicate: 3 });
    await withPool({ workers: 2 }, async (pool) => {
      expect(pool.threads).toBe(2);
      const a = await runTrial(spec, { ...base(), pool });
      const b = await runTrial(spec, { ...base(), pool });
      expect(pool.closed).toBe(false); // a run leaves a given pool open
      expect(fingerprintData(a)).toBe(fingerprintData(alone));
      expect(fingerprintData(b)).toBe(fingerprintData(alone));
      // a one-shard trial runs whole on one thread; two of them side by side
      const [c, d] = await Promise.all([
        runTrialWith(pool, spec, { ...base(), shardSize: 1000 }),
        runTrialWith(pool, spec, { ...base(), shardSize: 1000, replicate: 3 }),
      ]);
      expect(fingerprintData(c)).toBe(fingerprintData(aloneSmall));
      expect(fingerprintData(d)).toBe(fingerprintData(replicate3));
    });
  });

  it('brings a failing whole-trial task back as the same error class', async () => {
    const pool = openPool({ workers: 2 });
    try {
      const err = await runTrialWith(pool, spec, { ...base(), shardSize: 1000, maxAttempts: 1, fault: { shard: 0, mode: 'throw', times: Infinity } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShardFailed);
      expect((err as Error).message).toMatch(/^shard 0 \(twins 0-119\) failed after 1 attempt: injected fault/);
    } finally {
      await pool.close();
    }
    expect(pool.closed).toBe(true);
    await expect(runTrial(spec, { ...base(), pool })).rejects.toThrow(/pool is closed/);
  });

  it('runs jobs ahead in order, at most `window` at once, and returns each result once asked', async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const ahead = runAhead(['a', 'b', 'c', 'd', 'e'], async (k) => {
      started.push(k);
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return k.toUpperCase();
    }, 2);
    const got: string[] = [];
    for (const k of ['a', 'b', 'c', 'd', 'e']) got.push(await ahead.get(k));
    expect(got).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(most).toBe(2);
  });
});

describe('--adam: ADaM tables of a run', () => {
  it('writes ADSL (one row per twin and arm, baseline covariates) and BDS (one row per twin, arm, variable and visit measured)', async () => {
    const dir = tempDir();
    const adam = join(dir, 'adam');
    const traj = join(dir, 't.csv');
    const data = await runTrial(spec, { ...base(), workers: 2, adamDir: adam, trajectoriesOut: traj });
    const arms = spec.arms.length;
    const adsl = csvRows(readFileSync(join(adam, 'adsl.csv'), 'utf8'));
    expect(adsl.rows).toHaveLength(N * arms);
    for (const col of ['USUBJID', 'SUBJID', 'TRT01P', 'ARMCD', 'RANDFL', 'AGE', 'SEX', 'SBP', 'DBP']) expect(adsl.header).toContain(col);
    const h = (name: string): number => adsl.header.indexOf(name);
    // every twin once per arm, in twin order within each shard, randomised arm flagged
    expect(new Set(adsl.rows.map((r) => r[h('USUBJID')])).size).toBe(N * arms);
    expect(adsl.rows.filter((r) => r[h('RANDFL')] === 'Y')).toHaveLength(N);
    const row7 = adsl.rows.find((r) => r[h('SUBJID')] === String(twins.ids[7]) && r[h('ARMCD')] === spec.arms[data.allocation[7]].id)!;
    expect(row7[h('RANDFL')]).toBe('Y');
    expect(Number(row7[h('AGE')])).toBe(twins.columns.age[7]);
    expect(row7[h('SEX')]).toBe(twins.columns.sex[7] === 0 ? 'M' : 'F');
    expect(Number(row7[h('SBP')])).toBe(twins.columns.sbp[7]);

    const bds = csvRows(readFileSync(join(adam, 'adbds.csv'), 'utf8'));
    for (const col of ['USUBJID', 'PARAMCD', 'AVISIT', 'AVAL', 'BASE', 'CHG', 'TRTP']) expect(bds.header).toContain(col);
    const b = (name: string): number => bds.header.indexOf(name);
    // the BDS holds exactly the measured values of the trajectories file: n x arms x visits rows there,
    // one BDS row per non-missing variable value
    const t = csvRows(readFileSync(traj, 'utf8'));
    expect(t.rows).toHaveLength(N * arms * spec.schedule.visits.length);
    const variables = t.header.slice(7);
    let measured = 0;
    for (const r of t.rows) for (let j = 7; j < t.header.length; j++) if (r[j] !== '') measured++;
    expect(bds.rows).toHaveLength(measured);
    expect(new Set(bds.rows.map((r) => r[b('PARAMCD')]))).toEqual(new Set(variables.map((v) => v.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 8))));
    for (const r of bds.rows.slice(0, 200)) {
      if (r[b('BASE')] !== '') expect(Number(r[b('CHG')])).toBeCloseTo(Number(r[b('AVAL')]) - Number(r[b('BASE')]), 9);
    }
    // SBP of twin 7 under its randomised arm at the last visit matches the trajectories file
    const last = spec.schedule.visits.at(-1)!;
    const trow = t.rows.find((r) => r[0] === String(twins.ids[7]) && r[2] === '1' && Number(r[3]) === last.day)!;
    const sbpT = trow[t.header.indexOf('sbp')];
    const brow = bds.rows.find((r) => r[b('USUBJID')] === row7[h('USUBJID')] && r[b('PARAMCD')] === 'SBP' && Number(r[b('AVISITN')]) === last.day);
    if (sbpT === '') expect(brow).toBeUndefined();
    else expect(Number(brow![b('AVAL')])).toBe(Number(sbpT));
  });

  it('writes the same tables from merged parts, and Parquet with the same rows', async () => {
    const dir = tempDir();
    const whole = join(dir, 'whole');
    await runTrial(spec, { ...base(), workers: 1, adamDir: whole });
    const parts = [0, 1].map((i) => join(dir, `part-${i}`));
    for (const [i, p] of parts.entries()) await runPart(spec, p, { ...base(), workers: 1, adamDir: p + '-unused', shard: { index: i, count: 2 } });
    const merged = join(dir, 'merged');
    await mergeRunFolders(parts, { adamDir: merged });
    expect(readFileSync(join(merged, 'adsl.csv'), 'utf8')).toBe(readFileSync(join(whole, 'adsl.csv'), 'utf8'));
    expect(readFileSync(join(merged, 'adbds.csv'), 'utf8')).toBe(readFileSync(join(whole, 'adbds.csv'), 'utf8'));
    const pq = join(dir, 'pq');
    await runTrial(spec, { ...base(), workers: 1, adamDir: pq, adamFormat: 'parquet' });
    const { parquetReadObjects } = await import('hyparquet');
    const read = async (f: string): Promise<Record<string, unknown>[]> => {
      const buf = readFileSync(f);
      return (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })) as Record<string, unknown>[];
    };
    expect(await read(join(pq, 'adsl.parquet'))).toHaveLength(N * spec.arms.length);
    expect(await read(join(pq, 'adbds.parquet'))).toHaveLength(csvRows(readFileSync(join(whole, 'adbds.csv'), 'utf8')).rows.length);
  });

  it('refuses to merge ADaM tables from parts run without trajectories', async () => {
    const dir = tempDir();
    const parts = [0, 1].map((i) => join(dir, `part-${i}`));
    for (const [i, p] of parts.entries()) await runPart(spec, p, { ...base(), workers: 1, shard: { index: i, count: 2 } });
    await expect(mergeRunFolders(parts, { adamDir: join(dir, 'adam') })).rejects.toThrow(/--adam needs every part run with --trajectories or --adam/);
  });
});

describe('--trajectories: age and sex for re-analysis', () => {
  it('a saved run gives the run data back with age and sex covariates, not as trajectories', async () => {
    const dir = tempDir();
    const file = join(dir, 't.csv');
    const data = await runTrial(spec, { ...base(), workers: 1, trajectoriesOut: file });
    const again = await trialDataFromTrajectories(spec, file);
    expect([...again.covariates.age]).toEqual([...twins.columns.age]);
    expect([...again.covariates.sex]).toEqual([...twins.columns.sex]);
    expect([...again.allocation]).toEqual([...data.allocation]);
    const acc = again.trajectories[spec.arms[0].id] as { variables: string[] };
    expect(acc.variables).not.toContain('age');
    expect(acc.variables).not.toContain('sex');
    const ep = spec.endpoints[0].name;
    expect([...again.endpoints[ep][1].y]).toEqual([...data.endpoints[ep][1].y]);
  });
});
