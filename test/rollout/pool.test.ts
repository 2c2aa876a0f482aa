import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrial } from '../../src/trial-dsl/index.js';
import type { TrialSpec } from '../../src/trial-dsl/spec.js';
import type { TwinBatch } from '../../src/core/simulator.js';
import type { InputError } from '../../src/core/errors.js';
import { RunInterrupted, ShardFailed, runTrial, runInfoOf, type RunOptions } from '../../src/rollout/run.js';
import { fingerprintData, fixtureTwins, FIXTURES, SIMULATOR, SMALL_TRIAL, tempDir } from './helpers.js';
import { pathToFileURL } from 'node:url';

let spec: TrialSpec;
let twins: TwinBatch;
const N = 250;
const base = (): RunOptions => ({ twins, simulatorModule: SIMULATOR, shardSize: 50, fault: null });

beforeAll(async () => {
  spec = await loadTrial(SMALL_TRIAL);
  twins = await fixtureTwins(N);
});

describe('runTrial with a worker pool (fixture simulator)', () => {
  it('gives bit-identical data with 1, 2 and 3 workers', async () => {
    const one = await runTrial(spec, { ...base(), workers: 1 });
    const two = await runTrial(spec, { ...base(), workers: 2 });
    const three = await runTrial(spec, { ...base(), workers: 3 });
    expect(one.allocation.length).toBe(N);
    expect(one.endpoints.sbp_change_12w).toHaveLength(spec.arms.length);
    expect(one.endpoints.sbp_change_12w[0].y.length).toBe(N);
    const f1 = fingerprintData(one);
    expect(fingerprintData(two)).toBe(f1);
    expect(fingerprintData(three)).toBe(f1);
    expect(runInfoOf(three)?.workers).toBe(3);
    expect(runInfoOf(one)?.fingerprint).toBe('test-fixture-simulator/1');
  });

  it('hands each shard the screening readings its drawn twins were selected on', async () => {
    const screeningSim = pathToFileURL(join(FIXTURES, 'screening-simulator.mjs')).href;
    const drawn = await runTrial(spec, { simulatorModule: screeningSim, shardSize: 50, fault: null, workers: 2 });
    expect(drawn.allocation.length).toBe(spec.population.n);
    // twins supplied without readings reach the simulator without them (the fixture refuses)
    await expect(runTrial(spec, { ...base(), simulatorModule: screeningSim, workers: 1, maxAttempts: 1 })).rejects.toThrow(/screening readings missing/);
  });

  it('rolls every twin out under every arm with the same streams (paired counterfactuals)', async () => {
    const d = await runTrial(spec, { ...base(), workers: 1 });
    const [usual, dash] = d.endpoints.sbp_change_12w;
    // the fixture arm effect is exactly -6 mmHg at the end: same noise under both arms
    for (let i = 0; i < N; i++) {
      if (Number.isFinite(usual.y[i])) expect(dash.y[i] - usual.y[i]).toBeCloseTo(-6, 9);
    }
  });

  it('retries a shard whose worker throws once, then gives the same data', async () => {
    const clean = fingerprintData(await runTrial(spec, { ...base(), workers: 2 }));
    const retried = await runTrial(spec, { ...base(), workers: 2, fault: { shard: 2, mode: 'throw', times: 1 } });
    expect(fingerprintData(retried)).toBe(clean);
    const died = await runTrial(spec, { ...base(), workers: 2, fault: { shard: 1, mode: 'exit', times: 2 } });
    expect(fingerprintData(died)).toBe(clean);
  });

  it('fails naming the shard and the cause when a shard keeps failing', async () => {
    const runDir = tempDir();
    const err = await runTrial(spec, { ...base(), workers: 2, runDir, maxAttempts: 2, fault: { shard: 3, mode: 'throw', times: Infinity } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShardFailed);
    expect((err as Error).message).toMatch(/^shard 3 \(twins 150-199\) failed after 2 attempts: injected fault/);
    // never a partial result: shard 3 is not kept, the run folder can be resumed
    expect(existsSync(join(runDir, 'shard-000003.bin'))).toBe(false);
  });

  it('keeps finished shards when interrupted, and a resumed run equals an uninterrupted one', async () => {
    const clean = fingerprintData(await runTrial(spec, { ...base(), workers: 1 }));
    const runDir = tempDir();
    const ac = new AbortController();
    const err = await runTrial(spec, {
      ...base(),
      workers: 2,
      runDir,
      signal: ac.signal,
      fault: { shard: -1, mode: 'delay', delayMs: 30 },
      progress: (e) => {
        if (e.phase === 'rollout' && e.shardsDone >= 2) ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunInterrupted);
    const kept = readdirSync(runDir).filter((f) => f.startsWith('shard-'));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThan(5);
    const resumed = await runTrial(spec, { ...base(), workers: 2, resumeDir: runDir });
    expect(runInfoOf(resumed)?.resumedShards).toBe(kept.length);
    expect(fingerprintData(resumed)).toBe(clean);
  });

  it('writes every twin under every arm to CSV and Parquet trajectories', async () => {
    const dir = tempDir();
    const csv = join(dir, 't.csv');
    const pq = join(dir, 't.parquet');
    const a = await runTrial(spec, { ...base(), workers: 2, trajectoriesOut: csv });
    const b = await runTrial(spec, { ...base(), workers: 1, trajectoriesOut: pq });
    expect(fingerprintData(a)).toBe(fingerprintData(b));
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    const nVisits = spec.schedule.visits.length;
    const header = lines[0].split(',');
    expect(header.slice(0, 7)).toEqual(['twin_id', 'arm', 'allocated', 'day', 'dropout_day', 'age', 'sex']);
    expect([...header.slice(7)].sort()).toEqual(['body_weight', 'dbp', 'hdl_c', 'ldl_c', 'sbp']);
    // age and sex are the twin's baseline values, the same on every row of the twin
    const twinRows = lines.slice(1).map((l) => l.split(',')).filter((c) => c[0] === String(twins.ids[7]));
    expect(twinRows).toHaveLength(spec.arms.length * nVisits);
    for (const c of twinRows) {
      expect(Number(c[5])).toBe(twins.columns.age[7]);
      expect(Number(c[6])).toBe(twins.columns.sex[7]);
    }
    const sbpCol = header.indexOf('sbp');
    expect(lines.length - 1).toBe(N * spec.arms.length * nVisits);
    const allocatedRows = lines.slice(1).filter((l) => l.split(',')[2] === '1').length;
    expect(allocatedRows).toBe(N * nVisits);
    const { parquetReadObjects } = await import('hyparquet');
    const buf = readFileSync(pq);
    const rows = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })) as Record<string, unknown>[];
    expect(rows.length).toBe(N * spec.arms.length * nVisits);
    const first = lines[1].split(',');
    expect(Number(rows[0].twin_id)).toBe(Number(first[0]));
    expect(rows[0].arm).toBe(first[1]);
    expect(rows[0].sbp).toBeCloseTo(Number(first[sbpCol]), 12);
  });

  it('refuses to resume a folder from a different run', async () => {
    const runDir = tempDir();
    await runTrial(spec, { ...base(), workers: 1, runDir });
    const err = await runTrial(spec, { ...base(), workers: 1, resumeDir: runDir, seed: 99 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`this run and ${runDir} are not the same run`);
    expect((err as InputError).details).toEqual([`seed: 2001 in ${runDir}, 99 in this run`]);
  });
});
