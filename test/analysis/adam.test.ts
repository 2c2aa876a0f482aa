import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { paramcdFor, writeAdam, type AdamShard } from '../../src/analysis/adam.js';
import { makeSpec, endpoint, synthTrajectories } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vtrial-adam-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = makeSpec([endpoint({ name: 'sbp_change' })]);
function shard(from: number, n: number): AdamShard {
  const usual = synthTrajectories(from + n, 0, 5);
  const dash = synthTrajectories(from + n, -6, 5);
  const nV = usual.visitDays.length;
  const cut = (t: typeof usual): typeof usual => ({
    n,
    visitDays: t.visitDays,
    values: Object.fromEntries(Object.entries(t.values).map(([k, v]) => [k, v.slice(from * nV, (from + n) * nV)])),
    dropoutDay: t.dropoutDay.slice(from, from + n),
  });
  return {
    ids: Uint32Array.from({ length: n }, (_, i) => from + i + 1),
    allocation: Uint8Array.from({ length: n }, (_, i) => (from + i) % 2),
    covariates: { age: Float64Array.from({ length: n }, (_, i) => 40 + i), sex: Float64Array.from({ length: n }, (_, i) => i % 2), bmi: new Float64Array(n).fill(27) },
    arms: [cut(usual), cut(dash)],
  };
}

describe('writeAdam', () => {
  it('writes ADSL (one row per twin and arm) and BDS as CSV, appended shard by shard', async () => {
    const res = await writeAdam({ dir: join(dir, 'csv'), format: 'csv', spec, studyId: 'TEST' }, [shard(0, 10), shard(10, 7)]);
    expect(res.adslRows).toBe(2 * 17);
    const adsl = readFileSync(join(dir, 'csv', 'adsl.csv'), 'utf8').trim().split('\n');
    expect(adsl[0]).toBe('STUDYID,USUBJID,SUBJID,TRT01P,TRT01PN,ARMCD,RANDFL,AGE,SEX,COMPLFL,EOSDY,BMI');
    expect(adsl).toHaveLength(1 + 34);
    expect(adsl.filter((l) => l.includes(',Y,')).length).toBeGreaterThanOrEqual(17);
    expect(adsl[1]).toMatch(/^TEST,TEST-1-usual,1,Usual diet,0,usual,Y,40,M,/);
    const bds = readFileSync(join(dir, 'csv', 'adbds.csv'), 'utf8').trim().split('\n');
    expect(bds[0]).toBe('STUDYID,USUBJID,PARAMCD,PARAM,AVISIT,AVISITN,ADY,AVAL,BASE,CHG,PCHG,ABLFL,TRTP,TRTPN,RANDFL');
    expect(bds.length - 1).toBe(res.bdsRows);
    // CHG = AVAL - BASE on every row; baseline rows flagged
    for (const line of bds.slice(1)) {
      const c = line.split(',');
      expect(Number(c[9])).toBeCloseTo(Number(c[7]) - Number(c[8]), 9);
      expect(c[11] === 'Y').toBe(c[5] === '0');
    }
  });

  it('writes the same rows as Parquet, and only the randomised arm when asked', async () => {
    const all = await writeAdam({ dir: join(dir, 'pq'), format: 'parquet', spec }, [shard(0, 10), shard(10, 7)]);
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, 'pq', 'adbds.parquet')) });
    expect(rows.length).toBe(all.bdsRows);
    const adsl = await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, 'pq', 'adsl.parquet')) });
    expect(adsl.length).toBe(34);
    expect(adsl[0].USUBJID).toMatch(/-1-usual$/);
    const observed = await writeAdam({ dir: join(dir, 'obs'), format: 'csv', spec, observedOnly: true }, [shard(0, 10), shard(10, 7)]);
    expect(observed.adslRows).toBe(17);
  });

  it('makes unique 8-character PARAMCDs', () => {
    const codes = paramcdFor(['body_weight', 'body_weight_x', 'sbp']);
    expect([...codes.values()]).toEqual(['BODYWEIG', 'BODYWEI2', 'SBP']);
  });
});
