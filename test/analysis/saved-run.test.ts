import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trialDataFromTrajectories } from '../../src/analysis/saved_run.js';
import { analyseTrial } from '../../src/analysis/trial.js';
import { InputError } from '../../src/core/errors.js';
import { buildTrialData, endpoint, makeSpec, synthTrajectories } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vtrial-saved-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trialDataFromTrajectories', () => {
  const spec = makeSpec([endpoint({ name: 'sbp_change', primary: true }), endpoint({ name: 'dbp_diff', variable: 'dbp', analysis: 'difference' })]);
  const n = 150;
  const data = buildTrialData(spec, n, -5, 21);
  const arms = [synthTrajectories(n, 0, 21), synthTrajectories(n, -5, 21)];
  // the long format `vtrial run --trajectories` writes
  const lines = ['twin_id,arm,allocated,day,dropout_day,sbp,dbp'];
  for (let t = 0; t < n; t++)
    arms.forEach((traj, a) => {
      traj.visitDays.forEach((day, v) => {
        const cell = (x: number): string => (Number.isFinite(x) ? String(x) : '');
        lines.push(`${t + 100},${spec.arms[a].id},${data.allocation[t] === a ? 1 : 0},${day},${cell(traj.dropoutDay[t])},${cell(traj.values.sbp[t * 3 + v])},${cell(traj.values.dbp[t * 3 + v])}`);
      });
    });
  const file = join(dir, 'traj.csv');
  writeFileSync(file, lines.join('\n') + '\n');

  it('recomputes the same analysis as the original run', async () => {
    const again = analyseTrial(await trialDataFromTrajectories(spec, file), { individual: false });
    const original = analyseTrial(data, { individual: false });
    for (let k = 0; k < 2; k++) {
      expect(again.endpoints[k].estimate).toBeCloseTo(original.endpoints[k].estimate, 10);
      expect(again.endpoints[k].n).toEqual(original.endpoints[k].n);
    }
  });

  it('re-analyses with another analysis and covariates (baseline dbp as an ANCOVA covariate)', async () => {
    const other = makeSpec([endpoint({ name: 'sbp_change', covariates: ['dbp'] })]);
    const res = analyseTrial(await trialDataFromTrajectories(other, file), { individual: false });
    expect(res.endpoints[0].covariates).toEqual(['baseline', 'dbp']);
    expect(res.endpoints[0].ci95[1]).toBeLessThan(0);
  });

  it('names the file and the problem for a file that is not a saved run', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'id,sbp\n1,120\n');
    await expect(trialDataFromTrajectories(spec, bad)).rejects.toThrow(InputError);
    await expect(trialDataFromTrajectories(spec, bad)).rejects.toThrow(/bad\.csv: not a saved trajectories file \(missing columns twin_id, arm, allocated, day\)/);
  });
});
